"""Bringing a deadline forward "to protect the child" (policy-audit.md C10 and section 9, item 11): "within one
working week or a timescale that protects the child from harm (whichever is shortest)"."""

import pytest

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.deadlines.sweep import sweep
from escalation.disputes.deadline_changes import (
    add_closure_day,
    extend_deadline,
    pause_deadline,
    refusal,
    shorten_deadline,
)
from escalation.disputes.permissions import ActionRefused
from escalation.notifications.models import Notification
from tests.conftest import london
from tests.escalation.deadlines.timing_policy import timing_world

RAISED = london(2026, 3, 2, 10)  # Monday; the one-working-week guide is due Monday 9 March 17:00
SOONER = london(2026, 3, 4, 12)
REASON = "The child is due to move placement on Thursday."


@pytest.fixture
def world(db):
    return timing_world("SHORT")


@pytest.fixture
def dispute(world):
    return world.raise_dispute(now=RAISED)


def guide(dispute) -> Deadline:
    return dispute.deadlines.get(rule__name="guide", closed_at__isnull=True)


def test_audit_9_11_a_manager_brings_the_guide_forward_to_protect_the_child(world, dispute):
    row = shorten_deadline(deadline=guide(dispute), by=world.team_manager, due_at=SOONER, reason=REASON, now=RAISED)
    row.refresh_from_db()
    assert (row.shortened_due_at, row.due_at) == (SOONER, SOONER)
    assert row.remind_at == london(2026, 3, 3, 9), "reminded a working day before the earlier moment"
    event = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="deadline.shortened")
    assert event.actor == world.team_manager and event.after["reason"] == REASON
    assert event.before["due_at"] == london(2026, 3, 9, 17).isoformat()
    assert event.after["shortened_due_at"] == SOONER.isoformat()
    told = Notification.objects.filter(event="deadline_changed", deadline=row)
    assert told.exists() and world.team_manager not in {n.recipient for n in told}
    assert all(REASON not in n.message for n in told), "the reason stays on the dispute's page"


def test_audit_9_11_the_earlier_moment_stands_whichever_way_the_deadline_is_recomputed(world, dispute):
    shorten_deadline(deadline=guide(dispute), by=world.business_manager, due_at=SOONER, reason=REASON, now=RAISED)
    add_closure_day(partnership=world.partnership, date=london(2026, 3, 3).date(), changed_by=world.admin, now=RAISED)
    assert guide(dispute).due_at == SOONER


def test_audit_9_11_a_shortened_rule_is_breached_at_its_earlier_moment(world, dispute):
    stage_1 = dispute.deadlines.get(rule__name="stage-1", closed_at__isnull=True)
    earlier = london(2026, 3, 3, 12)
    shorten_deadline(deadline=stage_1, by=world.head, due_at=earlier, reason=REASON, now=RAISED)
    sweep(now=london(2026, 3, 3, 12, 1))
    stage_1.refresh_from_db()
    assert stage_1.breached_at == london(2026, 3, 3, 12, 1)


@pytest.mark.parametrize(
    ("due_at", "why"),
    [
        (london(2026, 3, 2, 9), "must be in the future"),
        (london(2026, 3, 9, 17), "must be before 5pm on Monday 9 March 2026"),
        (london(2026, 3, 10, 9), "must be before"),
    ],
)
def test_the_new_moment_is_in_the_future_and_earlier_than_now(world, dispute, due_at, why):
    with pytest.raises(ActionRefused, match=why):
        shorten_deadline(deadline=guide(dispute), by=world.business_manager, due_at=due_at, reason=REASON, now=RAISED)
    assert guide(dispute).shortened_due_at is None


def test_a_reason_is_needed(world, dispute):
    with pytest.raises(ActionRefused, match="Give a reason"):
        shorten_deadline(deadline=guide(dispute), by=world.business_manager, due_at=SOONER, reason=" ", now=RAISED)


@pytest.mark.parametrize("who", ["teacher", "social_worker", "outsider", "chair"])
def test_only_the_business_manager_and_managers_of_either_agency_may(world, dispute, who):
    with pytest.raises(ActionRefused, match="bring a deadline forward"):
        shorten_deadline(deadline=guide(dispute), by=getattr(world, who), due_at=SOONER, reason=REASON, now=RAISED)


@pytest.mark.parametrize("who", ["head", "senior", "director", "team_manager", "service_manager", "business_manager"])
def test_managers_of_either_agency_and_the_business_manager_may(world, dispute, who):
    shorten_deadline(deadline=guide(dispute), by=getattr(world, who), due_at=SOONER, reason=REASON, now=RAISED)


def test_a_shortened_deadline_is_not_extended_or_paused_and_a_missed_one_is_not_shortened(world, dispute):
    row = shorten_deadline(deadline=guide(dispute), by=world.head, due_at=SOONER, reason=REASON, now=RAISED)
    assert "brought forward" in refusal(row, "extend") and "brought forward" in refusal(row, "pause")
    with pytest.raises(ActionRefused, match="brought forward"):
        extend_deadline(deadline=row, by=world.business_manager, working_days=2, reason="More time.", now=RAISED)
    with pytest.raises(ActionRefused, match="brought forward"):
        pause_deadline(deadline=row, by=world.business_manager, reason="Waiting.", now=RAISED)
    stage_1 = dispute.deadlines.get(rule__name="stage-1", closed_at__isnull=True)
    sweep(now=london(2026, 3, 5, 9))
    stage_1.refresh_from_db()
    assert refusal(stage_1, "shorten") == "This deadline has already been missed, so it cannot be brought forward."
