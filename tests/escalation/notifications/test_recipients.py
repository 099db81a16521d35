"""Who is told: each kind of recipient a policy can name, found for a dispute, and the gaps reported.

The policy here is a small file loaded through the same path as the seeds (`parse_policy`, `load_policy`), so the
tests do not depend on the seed policies' wording.
"""

import datetime

import pytest
import yaml

from agencies.models import Membership, Office, OfficeHolder, Role
from escalation.access.models import DisputeAccess
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.disputes.selectors import can_see
from escalation.notifications.models import Notification
from escalation.notifications.outbox import as_recipients, people_for, queue, queue_recipients
from escalation.records import render
from escalation.records.models import RecordSnapshot
from escalation.records.requirements import render_snapshot
from policies.schema import parse_policy
from policies.services import load_policy
from tests.conftest import build_world, london
from tests.factories import UserFactory

RAISED = london(2026, 3, 2, 10)  # a Monday
LATER = london(2026, 3, 3, 10)

POLICY = {
    "slug": "who-is-told",
    "name": "Who is told test policy",
    "subjects": ["child"],
    "stages": [
        {
            "number": 1,
            "name": "Worker to worker",
            "raising_side": "Practitioner",
            "other_side": "Practitioner",
            "approval_required": False,
        },
        {
            "number": 2,
            "name": "Manager to manager",
            "raising_side": "Manager",
            "other_side": "Manager",
            "approver_roles": ["manager", "senior_manager"],
            "actors": {"other": ["manager"]},
        },
        {
            "number": 3,
            "name": "The school's own committee",
            "raising_side": "Committee chair",
            "sides": "raising",
            "approver_roles": ["senior_manager"],
            "actors": {"raising": ["director"]},
        },
    ],
    "deadline_rules": [
        {
            "name": "stage-1",
            "label": "Stage 1 within 2 working days",
            "stages": [1],
            "anchor": "stage_entry",
            "kind": "working_days",
            "length": 2,
            "remind": ["raiser"],
            "on_breach": [{"stage_actors": "other"}, "designated_nurse"],
        }
    ],
    "form_requirements": [{"stage": 2, "event": "stage_entered", "to": ["raiser", "designated_nurse"]}],
    "final_stage": {"decision_maker": "The committee"},
}


@pytest.fixture
def world(db):
    load_policy(parse_policy(yaml.safe_dump(POLICY), source="who-is-told.yaml"))
    return build_world("who-is-told", "WHO")


@pytest.fixture
def dispute(world):
    return world.raise_dispute(now=RAISED)


def hold(world, office: str, username: str):
    """Someone outside the two agencies who holds `office` in the world's partnership."""
    user = UserFactory(username=username)
    OfficeHolder.objects.create(partnership=world.partnership, office=office, user=user)
    return user


def found(dispute, *recipients, stage=None) -> tuple[set[tuple[str, str]], list[str]]:
    people, gaps = people_for(dispute, recipients, stage=stage)
    return {(user.username, named_as) for user, named_as in people}, gaps


def gap_messages(dispute) -> list[str]:
    return list(Notification.objects.filter(dispute=dispute, event="unfilled_role").values_list("message", flat=True))


def test_the_raiser_is_the_worker_who_raised_the_dispute(dispute):
    assert found(dispute, {"kind": "raiser"}) == ({("who-teacher", "raiser")}, [])


def test_an_inactive_raiser_is_a_gap_for_the_business_manager(world, dispute):
    world.teacher.is_active = False
    world.teacher.save()
    people, gaps = found(dispute, {"kind": "raiser"})
    assert people == set() and gaps == ["the worker who raised the dispute (their account is not active)"]


def test_stage_actors_are_the_roles_the_stage_names_for_each_side(dispute):
    stage_2_other = found(dispute, {"kind": "stage_actors", "sides": "other"}, stage=2)
    assert stage_2_other == ({("who-tm", "manager")}, [])


def test_a_side_with_no_actors_named_is_the_stages_approvers_where_entry_needs_approval(dispute):
    people, gaps = found(dispute, {"kind": "stage_actors", "sides": "raising"}, stage=2)
    assert people == {("who-head", "manager"), ("who-senior", "senior_manager")} and gaps == []


def test_a_side_with_no_actors_named_at_a_stage_without_approval_is_its_practitioners(dispute):
    people, gaps = found(dispute, {"kind": "stage_actors", "sides": "both"})
    assert people == {("who-teacher", "practitioner"), ("who-sw", "practitioner")} and gaps == []


def test_stage_actors_default_to_the_current_stage(world, dispute):
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Stuck.", now=LATER)
    services.approve_escalation(dispute=dispute, approver=world.head, now=LATER)
    dispute.refresh_from_db()
    assert found(dispute, {"kind": "stage_actors", "sides": "other"}) == ({("who-tm", "manager")}, [])


def test_at_an_internal_stage_the_side_not_taking_part_has_no_actors_and_no_gap(dispute):
    assert found(dispute, {"kind": "stage_actors", "sides": "other"}, stage=3) == (set(), [])
    assert found(dispute, {"kind": "stage_actors", "sides": "both"}, stage=3) == ({("who-director", "director")}, [])


def test_a_side_where_nobody_holds_any_actor_role_is_one_gap(world, dispute):
    Membership.objects.filter(user=world.team_manager).delete()
    people, gaps = found(dispute, {"kind": "stage_actors", "sides": "other"}, stage=2)
    assert people == set() and gaps == ["Manager at WHO Children's Services (stage 2)"]


def test_a_role_on_both_sides_reaches_each_sides_holders(dispute):
    both = found(dispute, {"kind": "role", "role": "senior_manager", "sides": "both"})
    assert both == ({("who-senior", "senior_manager"), ("who-sm", "senior_manager")}, [])
    other = found(dispute, {"kind": "role", "role": "senior_manager", "sides": "other"})
    assert other == ({("who-sm", "senior_manager")}, [])


def test_a_role_nobody_holds_on_a_side_is_a_gap_naming_the_agency(dispute):
    assert found(dispute, {"kind": "role", "role": "dsl", "sides": "other"}) == (
        set(),
        ["Designated safeguarding lead at WHO Children's Services"],
    )


def test_partnership_roles_mean_the_partnerships_holders_whatever_the_sides(dispute):
    for role, username in (("business_manager", "who-bm"), ("chair", "who-chair"), ("admin", "who-admin")):
        assert found(dispute, {"kind": "role", "role": role, "sides": "raising"}) == ({(username, role)}, [])


def test_an_office_is_its_holders_in_the_partnership_and_they_are_let_in(world, dispute):
    nurse = hold(world, Office.DESIGNATED_NURSE, "who-nurse")
    assert not can_see(nurse, dispute)
    queue_recipients(dispute, "stage_entered", [{"kind": "office", "office": "designated_nurse"}], "WHO: told", LATER)
    told = Notification.objects.get(dispute=dispute, recipient=nurse)
    assert told.role == "designated_nurse"
    assert can_see(nurse, dispute)


def test_an_office_nobody_holds_is_reported_to_the_business_manager(world, dispute):
    queue_recipients(dispute, "stage_entered", [{"kind": "office", "office": "iro"}], "WHO: told", LATER)
    gap = Notification.objects.get(dispute=dispute, event="unfilled_role")
    assert gap.recipient == world.business_manager
    assert "Independent reviewing officer for the partnership" in gap.message


def test_any_of_reports_a_gap_only_when_no_alternative_is_held(world, dispute):
    either = {"kind": "any_of", "of": [{"kind": "office", "office": "cp_chair"}, {"kind": "office", "office": "iro"}]}
    queue_recipients(dispute, "stage_entered", [either], "WHO: first", LATER)
    assert len(gap_messages(dispute)) == 1
    assert "Child protection chair" in gap_messages(dispute)[0]
    assert "Independent reviewing officer" in gap_messages(dispute)[0]

    iro = hold(world, Office.IRO, "who-iro")
    queue_recipients(dispute, "stage_entered", [either], "WHO: second", LATER)
    assert len(gap_messages(dispute)) == 1, "one alternative held: no new gap"
    assert Notification.objects.filter(dispute=dispute, recipient=iro, headline="WHO: second").count() == 1


def test_any_of_tells_whoever_holds_any_alternative(world, dispute):
    either = {
        "kind": "any_of",
        "of": [
            {"kind": "role", "role": "dsl", "sides": "other"},
            {"kind": "role", "role": "manager", "sides": "other"},
        ],
    }
    assert found(dispute, either) == ({("who-tm", "manager")}, [])


def test_each_person_is_told_once_as_what_named_them_first(world, dispute):
    queue_recipients(
        dispute,
        "stage_entered",
        [{"kind": "raiser"}, {"kind": "role", "role": "practitioner", "sides": "raising"}],
        "WHO: once",
        LATER,
    )
    told = Notification.objects.filter(dispute=dispute, recipient=world.teacher)
    assert [(row.role, row.headline) for row in told] == [("raiser", "WHO: once")]


def test_the_person_who_acted_can_be_left_out(world, dispute):
    queue_recipients(dispute, "stage_entered", [{"kind": "raiser"}], "WHO: not me", LATER, exclude=[world.teacher])
    assert not Notification.objects.filter(dispute=dispute, headline="WHO: not me").exists()


def test_nobody_outside_the_two_agencies_gains_access_but_the_office_holders_named(world, dispute):
    nurse = hold(world, Office.DESIGNATED_NURSE, "who-nurse")
    hold(world, Office.CP_CHAIR, "who-cp-chair")
    everyone = [
        {"kind": "raiser"},
        {"kind": "stage_actors", "sides": "both"},
        {"kind": "role", "role": "admin", "sides": "both"},
        {"kind": "role", "role": "business_manager", "sides": "both"},
        {"kind": "role", "role": "chair", "sides": "both"},
        {"kind": "office", "office": "designated_nurse"},
    ]
    queue_recipients(dispute, "stage_entered", everyone, "WHO: everyone", LATER)
    assert set(DisputeAccess.objects.values_list("user__username", "office")) == {(nurse.username, "designated_nurse")}
    assert not can_see(world.admin, dispute)
    assert not can_see(world.outsider, dispute)


def test_queue_by_roles_still_works_for_existing_callers(world, dispute):
    queue(dispute, "raised", [Role.MANAGER, Role.DSL], "WHO: roles", LATER, sides="other", any_of=True)
    told = Notification.objects.filter(dispute=dispute, headline="WHO: roles")
    assert {(row.recipient, row.role) for row in told} == {(world.team_manager, "manager")}
    assert not gap_messages(dispute), "the DSL is an alternative: the manager is enough"
    queue(dispute, "raised", [Role.DSL], "WHO: dsl only", LATER, sides="other")
    assert "Designated safeguarding lead at WHO Children's Services" in gap_messages(dispute)[0]


def test_bare_words_read_as_the_policy_file_reads_them():
    assert as_recipients(["raiser", "iro", "manager", {"kind": "raiser"}]) == [
        {"kind": "raiser"},
        {"kind": "office", "office": "iro"},
        {"kind": "role", "role": "manager", "sides": "both", "basis": None},
        {"kind": "raiser"},
    ]


def test_the_sweep_reminds_and_tells_of_a_breach_whom_the_rule_names(world, dispute):
    nurse = hold(world, Office.DESIGNATED_NURSE, "who-nurse")
    row = dispute.deadlines.get(rule__name="stage-1")
    sweep(now=row.remind_at)
    reminded = Notification.objects.filter(deadline=row, event="deadline_near")
    assert {(n.recipient.username, n.role) for n in reminded} == {("who-teacher", "raiser")}
    sweep(now=row.due_at + datetime.timedelta(seconds=1))
    breached = Notification.objects.filter(deadline=row, event="deadline_breached")
    assert {(n.recipient.username, n.role) for n in breached} == {
        ("who-sw", "practitioner"),
        ("who-nurse", "designated_nurse"),
    }
    assert can_see(nurse, dispute)


def test_a_record_goes_to_the_recipients_its_requirement_names(world, dispute, monkeypatch):
    monkeypatch.setattr(render, "render_html", lambda *args, **kwargs: "<p>record</p>")
    monkeypatch.setattr(render, "html_to_pdf", lambda html: b"%PDF-1.4 test")
    nurse = hold(world, Office.DESIGNATED_NURSE, "who-nurse")
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Stuck.", now=LATER)
    services.approve_escalation(dispute=dispute, approver=world.head, now=LATER)
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    assert [r["kind"] for r in snapshot.recipient_roles] == ["raiser", "office"]
    assert render_snapshot(snapshot_id=snapshot.pk, now=LATER) == "ready"
    told = Notification.objects.filter(dispute=dispute, event="record_required")
    assert {(n.recipient, n.role) for n in told} == {(world.teacher, "raiser"), (nurse, "designated_nurse")}
    assert can_see(nurse, dispute)


def test_a_record_asked_for_before_recipients_were_stored_still_reaches_its_roles(world, dispute, monkeypatch):
    monkeypatch.setattr(render, "render_html", lambda *args, **kwargs: "<p>record</p>")
    monkeypatch.setattr(render, "html_to_pdf", lambda html: b"%PDF-1.4 test")
    snapshot = RecordSnapshot.objects.create(
        dispute=dispute,
        form="general",
        requirement_key="general:stage_entered:stage-1",
        stage_number=1,
        produced_at=RAISED,
        recipient_roles=["business_manager"],
    )
    assert render_snapshot(snapshot_id=snapshot.pk, now=LATER) == "ready"
    told = Notification.objects.get(dispute=dispute, event="record_required")
    assert (told.recipient, told.role) == (world.business_manager, "business_manager")
