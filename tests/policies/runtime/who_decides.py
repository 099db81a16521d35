"""A small policy with every way a stage can say who decides, for the runtime and the service tests.

Stage 1: both sides, a resolution both must confirm. Stage 2: internal to the raising agency (its own leader).
Stage 3: both sides, only a senior manager or the designated nurse records the outcome. Stage 4: internal to
the other agency. Stage 5: a final and binding panel whose decision only the independent chair records.
A reply is due within 5 working days of raising; unanswered, the business manager may move the dispute on.
"""

import copy

import yaml

from policies.schema import PolicySpec, parse_policy

POLICY = {
    "slug": "who-decides",
    "name": "Who decides test policy",
    "subjects": ["child"],
    "immediate_harm": {"start_stages": [3, 5]},
    "stages": [
        {
            "number": 1,
            "name": "Worker to worker",
            "raising_side": "Practitioner",
            "other_side": "Practitioner",
            "approval_required": False,
            "confirm_both_sides": True,
            "actors": {"raising": ["practitioner"], "other": ["practitioner"]},
        },
        {
            "number": 2,
            "name": "The setting's leader",
            "raising_side": "Leader",
            "sides": "raising",
            "approval_required": False,
            "actors": {"raising": ["manager"]},
        },
        {
            "number": 3,
            "name": "Senior managers",
            "raising_side": "Senior manager",
            "other_side": "Senior manager",
            "approver_roles": ["manager"],
            "outcome_roles": ["senior_manager", "designated_nurse"],
        },
        {
            "number": 4,
            "name": "The other agency's own review",
            "raising_side": "Not involved",
            "other_side": "Director",
            "sides": "other",
            "approval_required": False,
        },
        {
            "number": 5,
            "name": "Independent panel",
            "raising_side": "Independent chair",
            "binding": True,
            "approver_roles": ["business_manager"],
            "decision_maker": {"office": "independent_chair"},
        },
    ],
    "deadline_rules": [
        {
            "name": "reply",
            "label": "A reply within 5 working days",
            "stages": [1, 2, 3],
            "anchor": "raised",
            "kind": "working_days",
            "length": 5,
            "met_by": "response",
            "breach_event": "no_response",
            "escalate_on_breach": ["business_manager"],
        },
    ],
    "final_stage": {"decision_maker": "The independent chair"},
}


def who_decides(slug: str = "who-decides", **changes) -> PolicySpec:
    """The policy file, checked; `changes` replace top-level fields, `stage_N` ones update stage N."""
    data = copy.deepcopy(POLICY)
    data["slug"] = slug
    for key, value in changes.items():
        if key.startswith("stage_"):
            number = int(key.removeprefix("stage_"))
            next(stage for stage in data["stages"] if stage["number"] == number).update(value)
        else:
            data[key] = value
    return parse_policy(yaml.safe_dump(data), source=f"{slug}.yaml")
