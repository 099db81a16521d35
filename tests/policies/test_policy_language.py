"""The policy language: recipients by their part in the dispute, triggers, anchors, strength, decisions,
internal stages and the basis of everything, checked on load, kept when loaded and exported."""

import copy

import pytest
import yaml

from policies.models import PolicyVersion
from policies.schema import PolicyFileError, parse_policy
from policies.services import export_policy, load_policy

QUOTE = {"kind": "policy", "quote": "Within 2 working days", "where": "line 66"}
BASE = {
    "slug": "language-test",
    "name": "Language test policy",
    "subjects": ["child"],
    "stages": [
        {
            "number": 1,
            "name": "Worker to worker",
            "raising_side": "Practitioner",
            "other_side": "Practitioner",
            "approval_required": False,
            "actors": {"raising": ["practitioner"], "other": ["practitioner"]},
            "basis": QUOTE,
        },
        {
            "number": 2,
            "name": "Setting's own committee",
            "raising_side": "Committee chair",
            "sides": "raising",
            "approver_roles": ["manager"],
            "basis": {"kind": "reading", "note": "The document's stage 3 happens inside the setting."},
        },
        {
            "number": 3,
            "name": "Panel",
            "raising_side": "Independent chair",
            "binding": True,
            "approver_roles": ["business_manager"],
            "decision_maker": {"office": "independent_chair"},
            "outcome_roles": ["independent_chair"],
            "confirm_both_sides": False,
        },
    ],
    "deadline_rules": [
        {
            "name": "overall",
            "label": "Resolved or escalated within 10 working days of the outset",
            "stages": [1, 2],
            "anchor": "concern_outset",
            "kind": "working_days",
            "length": 10,
            "strength": "guide",
            "remind": ["raiser", {"stage_actors": "both"}],
            "on_breach": [{"role": "business_manager", "basis": {"kind": "partnership_default", "note": "Silent."}}],
            "basis": QUOTE,
            "length_basis": QUOTE,
        },
        {
            "name": "harm",
            "label": "Required action within 24 hours",
            "stages": [1, 2, 3],
            "anchor": "raised",
            "kind": "calendar_hours",
            "length": 24,
            "condition": "immediate_harm",
            "met_by": "required_action",
            "able_roles": ["manager"],
        },
        {
            "name": "reply",
            "label": "A reply within 5 working days",
            "stages": [1, 2],
            "anchor": "raised",
            "kind": "working_days",
            "length": 5,
            "met_by": "response",
            "breach_event": "no_response",
            "escalate_on_breach": ["business_manager"],
        },
    ],
    "notification_rules": [
        {"event": "stage_reached", "stages": [2], "to": [{"any_of": [{"office": "cp_chair"}, {"office": "iro"}]}]},
        {"event": "escalation_proposed", "to": ["raiser", {"role": "senior_manager", "sides": "both"}]},
        {"event": "immediate_harm_flagged", "roles": ["dsl"], "sides": "raising"},
    ],
    "form_requirements": [{"stage": 2, "event": "stage_reached", "to": ["business_manager", "designated_nurse"]}],
    "final_stage": {"decision_maker": "The independent chair"},
}


def spec(**changes):
    data = copy.deepcopy(BASE)
    data.update(changes)
    return parse_policy(yaml.safe_dump(data), source="language-test.yaml")


def test_the_whole_language_loads_and_every_piece_is_stored(db):
    version, created = load_policy(spec())
    assert created
    stage_2 = version.stages.get(number=2)
    assert stage_2.sides == "raising" and stage_2.basis["kind"] == "reading"
    stage_3 = version.stages.get(number=3)
    assert stage_3.decision_maker == {"kind": "office", "office": "independent_chair", "basis": None}
    assert stage_3.outcome_roles == ["independent_chair"]
    overall = version.deadline_rules.get(name="overall")
    assert (overall.anchor, overall.strength) == ("concern_outset", "guide")
    assert [r["kind"] for r in overall.remind_to] == ["raiser", "stage_actors"]
    assert overall.breach_to[0]["basis"]["kind"] == "partnership_default"
    assert overall.breach_roles == ["business_manager"]
    assert overall.length_basis["quote"] == "Within 2 working days"
    assert version.deadline_rules.get(name="harm").able_roles == ["manager"]
    assert version.deadline_rules.get(name="reply").escalate_on_breach == ["business_manager"]
    reached = version.notification_rules.get(event="stage_reached")
    assert reached.recipients[0]["kind"] == "any_of"
    assert [r["office"] for r in reached.recipients[0]["of"]] == ["cp_chair", "iro"]
    harm = version.notification_rules.get(event="immediate_harm_flagged")
    assert harm.recipients == [{"kind": "role", "role": "dsl", "sides": "raising", "basis": None}]
    form = version.form_requirements.get()
    assert [r.get("role") or r.get("office") for r in form.recipients] == ["business_manager", "designated_nurse"]


def test_export_keeps_the_basis_and_loads_back_to_the_same_version(db):
    version, _ = load_policy(spec())
    exported = yaml.safe_load(export_policy(version))
    assert exported["stages"][0]["basis"] == {**QUOTE, "note": ""}
    again, created = load_policy(parse_policy(export_policy(version), source="export.yaml"))
    assert (again.pk, created) == (version.pk, False)
    assert PolicyVersion.objects.filter(policy__slug="language-test").count() == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"basis": {"kind": "policy", "quote": "words"}}, "gives its quote and where it is"),
        ({"basis": {"kind": "reading"}}, "says why in a note"),
        ({"basis": {"kind": "hearsay", "note": "x"}}, "basis.kind"),
    ],
)
def test_a_basis_must_carry_its_evidence(change, message):
    stages = copy.deepcopy(BASE["stages"])
    stages[0].update(change)
    with pytest.raises(PolicyFileError, match=message):
        spec(stages=stages)


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        ("headteacher", "is not 'raiser', a role or an office"),
        ({"role": "manager", "office": "iro"}, "exactly one of"),
        ({"any_of": [{"office": "iro"}]}, "at least two alternatives"),
        ({"stage_actors": "neither"}, "stage_actors"),
    ],
)
def test_a_recipient_is_exactly_one_thing(recipient, message):
    rules = copy.deepcopy(BASE["notification_rules"])
    rules[0]["to"] = [recipient]
    with pytest.raises(PolicyFileError, match=message):
        spec(notification_rules=rules)


def test_a_decision_maker_is_a_role_or_an_office_not_a_part_in_the_dispute():
    stages = copy.deepcopy(BASE["stages"])
    stages[2]["decision_maker"] = "raiser"
    with pytest.raises(PolicyFileError, match="name a role or an office"):
        spec(stages=stages)


def test_only_a_required_action_rule_names_who_is_able():
    rules = copy.deepcopy(BASE["deadline_rules"])
    rules[1]["met_by"] = "leaving_stages"
    with pytest.raises(PolicyFileError, match="able_roles"):
        spec(deadline_rules=rules)


def test_older_files_naming_roles_still_load_as_recipients(db):
    rules = [{"event": "stage_entered", "stages": [2], "roles": ["business_manager", "chair"], "sides": "both"}]
    version, _ = load_policy(spec(notification_rules=rules, form_requirements=[]))
    assert [r["role"] for r in version.notification_rules.get().recipients] == ["business_manager", "chair"]
