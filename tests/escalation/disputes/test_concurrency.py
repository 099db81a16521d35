"""Two managers approving the same escalation at once: one wins, the other is told why."""

import threading

import pytest
from django.db import connection, connections

from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.models import Dispute
from escalation.disputes.permissions import ActionRefused
from policies.vocabulary import DisputeState

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are proven on PostgreSQL (make test runs it)"
)


def run_together(*calls):
    """Run the calls in threads released at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def awaiting(transactional_db, world_for):
    world = world_for("bcssp", "RACE")
    dispute = world.raise_dispute()
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No reply in 2 days.")
    return world, Dispute.objects.get(pk=dispute.pk)


@pytest.mark.parametrize("attempt", range(5))
def test_two_managers_approving_at_once_gives_one_winner(awaiting, attempt):
    world, dispute = awaiting
    results = run_together(
        lambda: services.approve_escalation(dispute=dispute, approver=world.head),
        lambda: services.approve_escalation(dispute=dispute, approver=world.senior),
    )
    winners = [r for r in results if isinstance(r, Dispute)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], ActionRefused)
    assert "already been decided" in str(losers[0])
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == (DisputeState.IN_DISCUSSION, 2)
    assert dispute.stage_visits.filter(stage_number=2).count() == 1
    assert AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="escalation.approved").count() == 1
    assert dispute.deadlines.filter(rule__name="stage-2", closed_at__isnull=True).count() == 1


def test_approve_and_decline_at_once_gives_one_decision(awaiting):
    world, dispute = awaiting
    results = run_together(
        lambda: services.approve_escalation(dispute=dispute, approver=world.head),
        lambda: services.decline_escalation(dispute=dispute, approver=world.senior, reason="Not yet."),
    )
    assert sum(isinstance(r, ActionRefused) for r in results) == 1
    dispute.refresh_from_db()
    decisions = AuditEvent.objects.filter(
        dispute_id_value=dispute.pk, action__in=["escalation.approved", "escalation.declined"]
    )
    assert decisions.count() == 1
    assert dispute.state == DisputeState.IN_DISCUSSION


def test_a_stale_copy_cannot_overwrite_a_newer_state(awaiting):
    """django-fsm's ConcurrentTransitionMixin refuses a save from an object loaded before the change."""
    from django_fsm import ConcurrentTransition

    world, dispute = awaiting
    stale = Dispute.objects.get(pk=dispute.pk)
    services.approve_escalation(dispute=dispute, approver=world.head)
    stale.decline_escalation()
    with pytest.raises(ConcurrentTransition):
        stale.save()
