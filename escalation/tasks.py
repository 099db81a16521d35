"""Tiny Celery tasks: each reads the clock, calls one service function and returns what it did.

Beat schedules the sweep, the delivery run, the records catch-up, the daily retention run and the hourly
clearing of expired sessions and stale raise drafts (escalation/settings/deadlines.py);
services queue `deliver_notification` after commit for e-mails that should go at once, and
`render_record_snapshot` for each written record a policy asked for.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from escalation.deadlines.heartbeat import sweep_with_heartbeat
from escalation.deadlines.sweep import anything_owed, tell_all
from escalation.disputes.drafts import clear_stale_drafts
from escalation.notifications import delivery
from escalation.privacy.retention import apply_retention
from escalation.records import requirements

logger = logging.getLogger(__name__)


@shared_task(name="escalation.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """Mark what fell due; hand the notices it owes to `tell_owed` tasks, DEADLINE_TELLERS of them at once.

    The sweep's run then lasts as long as its marking, and the workers share the telling (whom each notice
    reaches, and their outbox rows), the slow part when thousands fall due together. A telling task lost with
    Redis leaves its notices owed, and the next sweep hands them out again.
    """
    result = sweep_with_heartbeat(now=timezone.now(), tell=False)
    if anything_owed():
        hand_out_telling()
    return result.as_dict()


def hand_out_telling() -> None:
    try:
        for _ in range(settings.DEADLINE_TELLERS):
            tell_owed.delay()
    except Exception:  # noqa: BLE001 - broker errors come from kombu, redis and socket alike
        logger.warning("could not hand the owed notices to the workers; telling them in the sweep")
        tell_all(now=timezone.now())


@shared_task(name="escalation.tell_owed")
def tell_owed() -> int:
    """Write owed notices until none is left (alongside other `tell_owed` tasks: each batch claims its own)."""
    return tell_all(now=timezone.now())


@shared_task(name="escalation.deliver_due")
def deliver_due() -> dict[str, int]:
    return delivery.deliver_due(now=timezone.now())


@shared_task(name="escalation.apply_retention")
def apply_retention_daily() -> dict[str, int]:
    """Remove closed disputes past each partnership's retention period (audited)."""
    runs = apply_retention(now=timezone.now())
    return {
        "removed": sum(len(run.removals) - len(run.failed) for run in runs),
        "failed": sum(len(run.failed) for run in runs),
    }


@shared_task(name="escalation.clear_sessions")
def clear_sessions() -> str:
    """Delete expired sessions (hourly, Django's `clearsessions`), and the answers of disputes being raised
    that nobody has touched for a day (escalation.disputes.drafts)."""
    call_command("clearsessions")
    clear_stale_drafts(now=timezone.now())
    return "cleared"


@shared_task(bind=True, name="escalation.deliver_notification", max_retries=None)
def deliver_notification(self, notification_id: int) -> str:
    """Send one e-mail; come back when its back-off (or another worker's claim) ends.

    Retries are bounded by the row (EMAIL_MAX_ATTEMPTS). Waits longer than EMAIL_TASK_RETRY_MAX_SECONDS are
    left to the every-minute delivery run, so no message waits in Redis past its visibility timeout.
    """
    result = delivery.deliver(notification_id, now=timezone.now())
    if result.retry_at is not None:
        wait = (result.retry_at - timezone.now()).total_seconds()
        if wait <= settings.EMAIL_TASK_RETRY_MAX_SECONDS:
            raise self.retry(countdown=max(wait, 0.5))
    return result.status


@shared_task(name="escalation.render_record_snapshot")
def render_record_snapshot(snapshot_id: int) -> str:
    """Draw one written record, queued once the change that asked for it committed."""
    return requirements.render_snapshot(snapshot_id=snapshot_id, now=timezone.now())


@shared_task(name="escalation.render_pending_records")
def render_pending_records() -> dict[str, int]:
    """Draw written records still pending because their task was lost or never queued."""
    return requirements.render_pending_records(now=timezone.now())
