"""A small policy with one part of each basis (the policy's words, a reading, the partnership's own choice and
none), for the tests of how a basis is shown. It does not depend on the seed files."""

import copy

import yaml

from policies.models import PolicyVersion
from policies.schema import PolicySpec, parse_policy
from policies.services import load_policy

SLUG = "basis-test"
#: The policy's own words, and where they are.
STAGE_QUOTE = "Practitioners should first talk the disagreement through with each other"
LENGTH_QUOTE = "Stage one should be completed within 2 working days"
NOTICE_QUOTE = "The CP chair and/or the IRO must be notified"
FORM_QUOTE = "The pro-forma is sent to the Business Manager once stage two is reached"
#: The partnership's words: a reading or its own choice. Never to be shown as a quotation.
STAGE_READING = "The document's managers meet, which the partnership reads as a stage of its own"
STAGE_ADDITION = "The partnership adds a panel the document does not describe"
LENGTH_DEFAULT = "The document gives stage two no timescale, so the partnership chose five working days"
REMIND_DEFAULT = "The document names no one to remind; the partnership reminds the worker who raised it"
BREACH_READING = "The partnership reads the senior managers as the people to tell when stage one overruns"
NOTICE_READING = "The partnership reads the next stage's actors as the people to tell of a proposal"
FORM_DEFAULT = "The partnership also sends the pro-forma to the worker who raised the dispute"
NOTICE_NOTE = "Either office holder is told; the partnership reports a gap only when neither is held"
NOTES = [
    STAGE_READING,
    STAGE_ADDITION,
    LENGTH_DEFAULT,
    REMIND_DEFAULT,
    BREACH_READING,
    NOTICE_READING,
    FORM_DEFAULT,
    NOTICE_NOTE,
]

ACTORS = {"raising": ["practitioner"], "other": ["practitioner"]}


def _stage(number: int, name: str, basis: dict | None, **more) -> dict:
    stage = {
        "number": number,
        "name": name,
        "raising_side": "Worker who raised it",
        "other_side": "Worker in the other agency",
        "approval_required": False,
        "actors": ACTORS,
        **more,
    }
    return {**stage, "basis": basis} if basis else stage


DOCUMENT = {
    "slug": SLUG,
    "name": "Basis test policy",
    "subjects": ["child"],
    "stages": [
        _stage(1, "Worker to worker", {"kind": "policy", "quote": STAGE_QUOTE, "where": "line 12"}),
        _stage(2, "Manager to manager", {"kind": "reading", "note": STAGE_READING}),
        _stage(3, "Partnership panel", {"kind": "partnership_default", "note": STAGE_ADDITION}),
        _stage(4, "Independent decision", None, binding=True, decision_maker={"office": "independent_chair"}),
    ],
    "deadline_rules": [
        {
            "name": "stage-1",
            "label": "Stage 1 within 2 working days",
            "stages": [1],
            "anchor": "stage_entry",
            "kind": "working_days",
            "length": 2,
            "remind": [{"raiser": True, "basis": {"kind": "partnership_default", "note": REMIND_DEFAULT}}],
            "on_breach": [
                {"role": "senior_manager", "sides": "both", "basis": {"kind": "reading", "note": BREACH_READING}}
            ],
            "basis": {"kind": "policy", "quote": LENGTH_QUOTE, "where": "line 20"},
            "length_basis": {"kind": "policy", "quote": LENGTH_QUOTE, "where": "line 20"},
        },
        {
            "name": "stage-2",
            "label": "Stage 2 in the partnership's usual time",
            "stages": [2],
            "anchor": "stage_entry",
            "kind": "working_days",
            "length": "partnership_default",
            "length_basis": {"kind": "partnership_default", "note": LENGTH_DEFAULT},
        },
        {
            "name": "stage-4",
            "label": "Stage 4 as the chair sets",
            "stages": [4],
            "anchor": "stage_entry",
            "kind": "manual",
        },
    ],
    "notification_rules": [
        {
            "event": "stage_reached",
            "stages": [2],
            "to": [{"any_of": [{"office": "cp_chair"}, {"office": "iro"}]}],
            "basis": {"kind": "policy", "quote": NOTICE_QUOTE, "where": "section 4", "note": NOTICE_NOTE},
        },
        {
            "event": "escalation_proposed",
            "to": [{"stage_actors": "other", "basis": {"kind": "reading", "note": NOTICE_READING}}],
        },
        {"event": "resolved_at_stage", "roles": ["business_manager"]},
    ],
    "form_requirements": [
        {
            "stage": 2,
            "event": "stage_reached",
            "to": [
                "business_manager",
                {"raiser": True, "basis": {"kind": "partnership_default", "note": FORM_DEFAULT}},
            ],
            "basis": {"kind": "policy", "quote": FORM_QUOTE, "where": "appendix 2"},
        }
    ],
    "final_stage": {"decision_maker": "The independent chair"},
}


def basis_spec() -> PolicySpec:
    return parse_policy(yaml.safe_dump(copy.deepcopy(DOCUMENT)), source=f"{SLUG}.yaml")


def load_basis_policy() -> PolicyVersion:
    version, _ = load_policy(basis_spec(), source_file=f"{SLUG}.yaml")
    return version
