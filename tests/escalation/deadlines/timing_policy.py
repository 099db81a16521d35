"""A small policy that has each kind of clock the five documents ask for, loaded from its own file.

Stages 1 and 2 need no approval; stage 3 needs a senior manager's, stage 4 a director's. Its rules: a stage-1
deadline, Torbay's stages 1+2 (5 working days from raising) and its reply rule, Torbay's stage 3 (5 working days
from stage 2 failing), Bath's overall 10 working days from the outset and its 24 hours for the required action,
and City & Hackney's one-working-week guide.
"""

import copy

import yaml

from policies.schema import parse_policy
from policies.services import load_policy
from tests.conftest import World, build_world

DEFAULT = {"kind": "partnership_default", "note": "The test policy names nobody."}
POLICY = {
    "slug": "timing-test",
    "name": "Timing test policy",
    "subjects": ["child"],
    "record_form": {"title": "Registration of use of Escalation Procedure", "template": "records/appendix_2.html"},
    "immediate_harm": {"start_stages": [1, 2, 3]},
    "stages": [
        {"number": 1, "name": "Practitioners", "raising_side": "Practitioner", "approval_required": False},
        {"number": 2, "name": "Managers", "raising_side": "Manager", "approval_required": False},
        {
            "number": 3,
            "name": "Senior managers",
            "raising_side": "Senior manager",
            "approver_roles": ["senior_manager"],
        },
        {"number": 4, "name": "Directors", "raising_side": "Director", "approver_roles": ["director"]},
    ],
    "deadline_rules": [
        {
            "name": "stage-1",
            "label": "Stage 1 within 2 working days",
            "stages": [1],
            "anchor": "stage_entry",
            "kind": "working_days",
            "length": 2,
            "remind": [{"stage_actors": "both", "basis": DEFAULT}],
            "on_breach": [{"role": "manager", "basis": DEFAULT}],
        },
        {
            "name": "stages-1-and-2",
            "label": "Stages 1 and 2 within 5 working days of raising",
            "stages": [1, 2],
            "anchor": "raised",
            "kind": "working_days",
            "length": 5,
        },
        {
            "name": "no-response",
            "label": "A response within 5 working days",
            "stages": [1, 2],
            "anchor": "raised",
            "kind": "working_days",
            "length": 5,
            "met_by": "response",
            "breach_event": "no_response",
        },
        {
            "name": "stage-3",
            "label": "Stage 3 within 5 working days of stage 2 failing",
            "stages": [3],
            "anchor": "escalation_proposed",
            "kind": "working_days",
            "length": 5,
        },
        {
            "name": "overall",
            "label": "Resolved or at stage 4 within 10 working days of the outset",
            "stages": [1, 2, 3],
            "anchor": "concern_outset",
            "kind": "working_days",
            "length": 10,
        },
        {
            "name": "harm",
            "label": "The required action within 24 hours",
            "stages": [1, 2, 3, 4],
            "anchor": "raised",
            "kind": "calendar_hours",
            "length": 24,
            "condition": "immediate_harm",
            "met_by": "required_action",
        },
        {
            "name": "guide",
            "label": "As a guide, resolved through discussion within one working week",
            "stages": [1],
            "anchor": "stage_entry",
            "kind": "working_days",
            "length": 5,
            "strength": "guide",
            "remind": [{"stage_actors": "both", "basis": DEFAULT}],
            "on_breach": [{"role": "manager", "basis": DEFAULT}],
        },
    ],
    "final_stage": {"decision_maker": "The directors"},
}


def timing_world(prefix: str = "TIME", **changes) -> World:
    """A partnership whose policy is POLICY (with `changes`), and the people of `tests.conftest.World`."""
    data = copy.deepcopy(POLICY)
    data.update(changes)
    load_policy(parse_policy(yaml.safe_dump(data), source="timing-test.yaml"))
    return build_world(data["slug"], prefix)
