"""Each e-mail is queued for delivery once, whichever path wrote its outbox row."""

from collections import Counter
from unittest import mock

from escalation.deadlines.sweep import sweep
from escalation.disputes import deadline_changes, services
from escalation.notifications import outbox
from escalation.notifications.models import Notification
from tests.conftest import london


def _queued(settings, django_capture_on_commit_callbacks, action) -> Counter:
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    with (
        mock.patch.object(outbox, "queue_delivery") as queue_delivery,
        django_capture_on_commit_callbacks(execute=True),
    ):
        action()
    return Counter(call.args[0] for call in queue_delivery.call_args_list)


def test_a_breach_found_by_the_sweep_queues_each_email_once(bcssp, settings, django_capture_on_commit_callbacks):
    bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    before = set(Notification.objects.values_list("pk", flat=True))
    queued = _queued(settings, django_capture_on_commit_callbacks, lambda: sweep(now=london(2026, 3, 5, 9)))
    new = set(Notification.objects.filter(email_status="pending").values_list("pk", flat=True)) - before
    assert new, "the breach told someone"
    assert set(queued) == new
    assert set(queued.values()) == {1}


def test_raising_and_escalating_queue_each_email_once(bcssp, settings, django_capture_on_commit_callbacks):
    def journey():
        dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
        services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.")
        dispute.refresh_from_db()
        services.approve_escalation(dispute=dispute, approver=bcssp.head)

    queued = _queued(settings, django_capture_on_commit_callbacks, journey)
    assert queued and set(queued.values()) == {1}


def test_a_deadline_change_queues_each_email_once(bcssp, settings, django_capture_on_commit_callbacks):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    row = dispute.deadlines.get(rule__name="stage-1")
    queued = _queued(
        settings,
        django_capture_on_commit_callbacks,
        lambda: deadline_changes.extend_deadline(
            deadline=row, by=bcssp.business_manager, working_days=2, reason="Waiting for a strategy meeting."
        ),
    )
    assert queued and set(queued.values()) == {1}
