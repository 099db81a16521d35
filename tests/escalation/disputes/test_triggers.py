"""What each change to a dispute sets off, and who the policy says must hear of it (policy-audit.md §9).

Raising sets off `raised`, `stage_entered` at its stage and `stage_reached` for every stage reached or passed; an
escalation sets off `escalation_proposed` at the stage it leaves, then `stage_entered` and `stage_reached`; a risk
of immediate harm reported after raising sets off `immediate_harm_flagged` and starts the policy's harm rules.
The policy is a small file loaded as the seeds are, so these tests do not depend on the seeds' wording.
"""

import datetime

import pytest
import yaml
from django.urls import reverse

from agencies.models import Office, OfficeHolder
from escalation.access.models import DisputeAccess
from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.permissions import ActionRefused, allowed_actions
from escalation.disputes.selectors import can_see
from escalation.notifications.models import Notification
from escalation.records.models import RecordSnapshot
from policies.schema import parse_policy
from policies.services import load_policy
from tests.conftest import build_world, london
from tests.factories import UserFactory
from tests.web.conftest import messages_of, page_text

RAISED = london(2026, 3, 2, 10)  # a Monday
PROPOSED = london(2026, 3, 3, 9)
APPROVED = london(2026, 3, 3, 11)
FLAGGED = london(2026, 3, 5, 14)

POLICY = {
    "slug": "triggers-test",
    "name": "Triggers test policy",
    "subjects": ["child"],
    "stages": [
        {"number": 0, "name": "Talk to your supervisor", "raising_side": "Practitioner", "pre_escalation": True},
        {"number": 1, "name": "Worker to worker", "raising_side": "Practitioner", "approval_required": False},
        {"number": 2, "name": "Manager to manager", "raising_side": "Manager", "approval_required": False},
        {
            "number": 3,
            "name": "Senior managers",
            "raising_side": "Senior manager",
            "approver_roles": ["senior_manager"],
        },
        {"number": 4, "name": "Panel", "raising_side": "Chair", "approver_roles": ["business_manager"]},
    ],
    "immediate_harm": {"start_stages": [1, 2, 3]},
    "deadline_rules": [
        {
            "name": "harm",
            "label": "Action to keep the child safe within 24 hours",
            "stages": [1, 2, 3, 4],
            "anchor": "raised",
            "kind": "calendar_hours",
            "length": 24,
            "condition": "immediate_harm",
        }
    ],
    "notification_rules": [
        {"event": "stage_entered", "stages": [2, 3, 4], "to": ["raiser"], "message": "Your concern has moved on."},
        {"event": "escalation_proposed", "stages": [2], "to": [{"role": "senior_manager", "sides": "both"}]},
        {"event": "stage_reached", "stages": [2, 3], "to": ["business_manager"]},
        {
            "event": "stage_entered",
            "stages": [2],
            "condition": "cp_plan_or_looked_after",
            "to": [{"any_of": ["cp_chair", "iro"]}],
        },
        {"event": "immediate_harm_flagged", "to": [{"stage_actors": "both"}, "business_manager"]},
    ],
    "form_requirements": [
        {"stage": 2, "event": "stage_reached", "to": ["business_manager"]},
        {"stage": 2, "event": "escalation_proposed", "to": [{"role": "senior_manager", "sides": "both"}]},
        {"stage": 1, "event": "immediate_harm_flagged", "to": ["business_manager"]},
    ],
    "final_stage": {"decision_maker": "The panel"},
}


@pytest.fixture
def world(db):
    load_policy(parse_policy(yaml.safe_dump(POLICY), source="triggers-test.yaml"))
    return build_world("triggers-test", "TRG")


@pytest.fixture
def set_off(monkeypatch) -> list[tuple[str, int]]:
    """Every trigger the services set off, in order."""
    seen: list[tuple[str, int]] = []
    original = services.queue_policy_notifications

    def spy(dispute, event, stage_number, now, **kwargs):
        seen.append((str(event), stage_number))
        return original(dispute, event, stage_number, now, **kwargs)

    monkeypatch.setattr(services, "queue_policy_notifications", spy)
    return seen


def told(dispute, event: str) -> set[tuple[str, str]]:
    rows = Notification.objects.filter(dispute=dispute, event=event)
    return set(rows.values_list("recipient__username", "role"))


def headlines(dispute, user) -> list[str]:
    return list(Notification.objects.filter(dispute=dispute, recipient=user).values_list("headline", flat=True))


def records(dispute) -> list[str]:
    return sorted(RecordSnapshot.objects.filter(dispute=dispute).values_list("requirement_key", flat=True))


def to_stage_2(world, dispute):
    """The raising agency's manager moves the dispute on; stage 2 needs no approval."""
    return services.propose_escalation(dispute=dispute, proposed_by=world.head, reason="No reply.", now=PROPOSED)


def test_raising_sets_off_raised_the_stage_entered_and_each_stage_reached(world, set_off):
    world.raise_dispute(now=RAISED, immediate_harm=True, start_stage=3)
    assert set_off == [
        ("raised", 3),
        ("stage_entered", 3),
        ("stage_reached", 1),
        ("stage_reached", 2),
        ("stage_reached", 3),
    ]


def test_an_escalation_sets_off_the_proposal_at_the_stage_left_then_the_stage_entered_and_reached(world, set_off):
    dispute = world.raise_dispute(now=RAISED)
    set_off.clear()
    to_stage_2(world, dispute)
    assert set_off == [("escalation_proposed", 1), ("stage_entered", 2), ("stage_reached", 2)]
    set_off.clear()
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Stuck.", now=PROPOSED)
    assert set_off == [("escalation_proposed", 2)], "waiting for approval: the proposal only"
    set_off.clear()
    services.approve_escalation(dispute=dispute, approver=world.senior, now=APPROVED)
    assert set_off == [("stage_entered", 3), ("stage_reached", 3)]


def test_audit_9_9_the_raiser_is_kept_informed_when_their_manager_escalates(world):
    dispute = world.raise_dispute(now=RAISED)
    to_stage_2(world, dispute)
    informed = Notification.objects.get(dispute=dispute, recipient=world.teacher, event="stage_entered")
    assert informed.role == "raiser" and informed.message.startswith("Your concern has moved on. ")
    assert informed.headline == f"{dispute.reference}: moved to stage 2 (Manager to manager)", "plain English"

    services.propose_escalation(dispute=dispute, proposed_by=world.social_worker, reason="Stuck.", now=PROPOSED)
    services.approve_escalation(dispute=dispute, approver=world.service_manager, now=APPROVED)
    entered = Notification.objects.filter(dispute=dispute, recipient=world.teacher, event="stage_entered")
    assert list(entered.values_list("headline", flat=True)) == [
        f"{dispute.reference}: escalation to stage 3 (Senior managers) approved",
        f"{dispute.reference}: moved to stage 2 (Manager to manager)",
    ], "told at each escalation, whoever asked for it"


def test_audit_9_8_both_sides_senior_managers_are_told_when_stage_2_fails(world):
    dispute = world.raise_dispute(now=RAISED)
    to_stage_2(world, dispute)
    assert not Notification.objects.filter(dispute=dispute, role="senior_manager").exists(), "not out of stage 1"

    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Stuck.", now=PROPOSED)
    proposal = Notification.objects.filter(
        dispute=dispute, headline__endswith="escalation to stage 3 (Senior managers) proposed and waiting for approval"
    )
    assert set(proposal.values_list("recipient__username", "role")) == {
        ("trg-senior", "senior_manager"),
        ("trg-sm", "senior_manager"),
    }
    assert records(dispute) == ["general:escalation_proposed:stage-2", "general:stage_reached:stage-2"]


def test_audit_9_2_a_dispute_started_at_stage_3_under_immediate_harm_still_registers_stage_2(world):
    dispute = world.raise_dispute(now=RAISED, immediate_harm=True, start_stage=3)
    assert records(dispute) == ["general:stage_reached:stage-2"]
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    assert snapshot.stage_number == 2 and snapshot.produced_at == RAISED
    reached = Notification.objects.filter(dispute=dispute, event="stage_reached")
    assert sorted(reached.values_list("recipient__username", "headline")) == [
        ("trg-bm", f"{dispute.reference}: the dispute has passed stage 2 (Manager to manager) and is at stage 3"),
        ("trg-bm", f"{dispute.reference}: the dispute has reached stage 3 (Senior managers)"),
    ]


def test_a_stage_reached_on_the_way_up_is_registered_once(world):
    dispute = world.raise_dispute(now=RAISED)
    assert records(dispute) == []
    to_stage_2(world, dispute)
    assert records(dispute) == ["general:stage_reached:stage-2"]
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Stuck.", now=PROPOSED)
    services.approve_escalation(dispute=dispute, approver=world.senior, now=APPROVED)
    assert RecordSnapshot.objects.filter(dispute=dispute, requirement_key="general:stage_reached:stage-2").count() == 1
    assert told(dispute, "stage_reached") == {("trg-bm", "business_manager")}
    assert Notification.objects.filter(dispute=dispute, event="stage_reached").count() == 2, "stages 2 and 3, once"


def hold(world, office: str, username: str):
    user = UserFactory(username=username)
    OfficeHolder.objects.create(partnership=world.partnership, office=office, user=user)
    return user


def looked_after_child() -> dict:
    return {"kind": "child", "name": "Child L", "date_of_birth": datetime.date(2014, 5, 1), "looked_after": True}


def test_audit_9_1_the_cp_chair_and_iro_are_reached_for_a_looked_after_child(world):
    cp_chair = hold(world, Office.CP_CHAIR, "trg-cp-chair")
    iro = hold(world, Office.IRO, "trg-iro")
    dispute = world.raise_dispute(now=RAISED, subject=looked_after_child())
    assert not can_see(cp_chair, dispute) and not can_see(iro, dispute)

    to_stage_2(world, dispute)

    assert told(dispute, "stage_entered") >= {("trg-cp-chair", "cp_chair"), ("trg-iro", "iro")}
    assert can_see(cp_chair, dispute) and can_see(iro, dispute)
    assert set(DisputeAccess.objects.filter(dispute=dispute).values_list("user__username", "office")) == {
        ("trg-cp-chair", "cp_chair"),
        ("trg-iro", "iro"),
    }
    assert not Notification.objects.filter(dispute=dispute, event="unfilled_role").exists()


def test_audit_9_1_one_of_the_cp_chair_or_iro_is_enough_and_none_is_a_gap(world):
    dispute = world.raise_dispute(now=RAISED, subject=looked_after_child())
    to_stage_2(world, dispute)
    gap = Notification.objects.get(dispute=dispute, event="unfilled_role")
    assert gap.recipient == world.business_manager
    assert "Child protection chair" in gap.message and "Independent reviewing officer" in gap.message

    iro = hold(world, Office.IRO, "trg-iro")
    second = world.raise_dispute(now=RAISED, subject=looked_after_child())
    to_stage_2(world, second)
    assert told(second, "stage_entered") >= {("trg-iro", "iro")}
    assert not Notification.objects.filter(dispute=second, event="unfilled_role").exists()
    assert can_see(iro, second) and not can_see(iro, dispute)


def test_audit_9_1_nobody_outside_the_agencies_is_brought_in_for_a_child_not_looked_after(world):
    cp_chair = hold(world, Office.CP_CHAIR, "trg-cp-chair")
    dispute = world.raise_dispute(now=RAISED)
    to_stage_2(world, dispute)
    assert not Notification.objects.filter(dispute=dispute, recipient=cp_chair).exists()
    assert not DisputeAccess.objects.exists() and not can_see(cp_chair, dispute)


def test_audit_9_15_immediate_harm_flagged_after_raising_starts_the_harm_rule_and_tells_people(world):
    dispute = world.raise_dispute(now=RAISED)
    assert not dispute.deadlines.filter(rule__name="harm").exists()

    services.flag_immediate_harm(
        dispute=dispute, flagged_by=world.social_worker, reason="The child said he is afraid to go home.", now=FLAGGED
    )

    dispute.refresh_from_db()
    assert dispute.immediate_harm and dispute.immediate_harm_flagged_at == FLAGGED
    harm = dispute.deadlines.get(rule__name="harm", closed_at__isnull=True)
    assert harm.anchor_at == FLAGGED, "24 hours from the report, not from the raising three days before"
    assert harm.due_at == FLAGGED + datetime.timedelta(hours=24)
    assert told(dispute, "immediate_harm_flagged") == {
        ("trg-teacher", "practitioner"),
        ("trg-bm", "business_manager"),
    }, "the social worker who reported it is not told of their own report"
    assert records(dispute) == ["general:immediate_harm_flagged:stage-1"]
    event = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="dispute.immediate_harm_flagged")
    assert event.actor == world.social_worker and event.at == FLAGGED
    assert event.before == {"immediate_harm": False}
    assert event.after == {
        "state": "raised",
        "stage": 1,
        "immediate_harm": True,
        "flagged_at": FLAGGED.isoformat(),
        "reason": "The child said he is afraid to go home.",
    }


def test_a_risk_already_reported_cannot_be_reported_again(world):
    dispute = world.raise_dispute(now=RAISED, immediate_harm=True)
    with pytest.raises(ActionRefused, match="already been reported"):
        services.flag_immediate_harm(dispute=dispute, flagged_by=world.teacher, reason="Again.", now=FLAGGED)
    assert "flag_immediate_harm" not in allowed_actions(world.teacher, dispute)


def test_only_the_two_agencies_may_report_a_risk_and_only_while_the_dispute_is_open(world):
    dispute = world.raise_dispute(now=RAISED)
    for outsider in (world.outsider, world.business_manager, world.admin):
        with pytest.raises(ActionRefused):
            services.flag_immediate_harm(dispute=dispute, flagged_by=outsider, reason="Risk.", now=FLAGGED)
    services.withdraw_dispute(dispute=dispute, withdrawn_by=world.teacher, reason="Sorted.", now=FLAGGED)
    with pytest.raises(ActionRefused, match="withdrawn"):
        services.flag_immediate_harm(dispute=dispute, flagged_by=world.social_worker, reason="Risk.", now=FLAGGED)
    dispute.refresh_from_db()
    assert not dispute.immediate_harm


def test_a_risk_reported_without_saying_what_it_is_is_refused(world):
    dispute = world.raise_dispute(now=RAISED)
    with pytest.raises(ActionRefused, match="Say what the risk"):
        services.flag_immediate_harm(dispute=dispute, flagged_by=world.teacher, reason="  ", now=FLAGGED)


def test_the_dispute_page_offers_the_report_and_the_form_makes_it(world, client_for):
    dispute = world.raise_dispute(now=RAISED)
    client = client_for(world.social_worker)
    page = reverse("dispute", kwargs={"reference": dispute.reference})
    form = reverse("dispute-flag-harm", kwargs={"reference": dispute.reference})
    assert "Report a risk of immediate harm" in page_text(client.get(page))
    assert "within 24 hours" in page_text(client.get(form))

    empty = client.post(form, {"reason": ""})
    assert empty.status_code == 200 and "Enter what the risk of immediate harm is" in page_text(empty)

    done = client.post(form, {"reason": "The child is afraid to go home."})
    assert done.status_code == 302 and done["Location"] == page
    assert messages_of(done) == ["Risk of immediate harm reported. The people the policy names have been told."]
    dispute.refresh_from_db()
    assert dispute.immediate_harm
    shown = page_text(client.get(page))
    assert "Report a risk of immediate harm" not in shown
    assert "Risk of immediate harm reported" in shown, "on the timeline"
