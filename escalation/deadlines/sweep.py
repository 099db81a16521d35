"""The deadline sweep: finds due reminders and breaches in the database and records each exactly once.

Celery beat runs it every minute (or `manage.py serve` does, in the embedded default). Correctness
never depends on there being one sweep: rows are taken with `SELECT ... FOR UPDATE SKIP LOCKED` on
PostgreSQL, so a second sweep takes other rows, and each reminder or breach is recorded by a guarded
update that only one sweep can win. The notifications it causes are outbox rows written in the same
transaction; e-mail goes out after commit.

A breach is recorded once the due moment has passed (at the due moment itself the deadline is still
met, as `policies.runtime.deadlines.met_on_closing` counts it); a reminder at its moment. Both moments are stored UTC
instants, so clock changes cannot move them.
"""

import datetime
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.models import Deadline
from escalation.deadlines.overdue import deadline_label, london_time
from escalation.notifications.models import Notification
from escalation.notifications.outbox import queue_recipients
from policies.schema import role_recipients
from policies.vocabulary import Event, Strength

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    reminded: int = 0
    breached: int = 0
    notifications_queued: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def breaches_due(now: datetime.datetime) -> QuerySet[Deadline]:
    # Uses the partial index deadline_breach_due. A guide is reminded but never breached.
    return Deadline.objects.filter(
        closed_at__isnull=True, breached_at__isnull=True, paused_at__isnull=True, due_at__lt=now
    ).exclude(rule__strength=Strength.GUIDE)


def reminders_due(now: datetime.datetime) -> QuerySet[Deadline]:
    # Uses the partial index deadline_reminder_due. A deadline already past its due moment gets the
    # breach notice instead (the breach also closes its reminder).
    return Deadline.objects.filter(
        closed_at__isnull=True,
        reminded_at__isnull=True,
        breached_at__isnull=True,
        paused_at__isnull=True,
        remind_at__lte=now,
        due_at__gte=now,
    )


def _take(due: QuerySet[Deadline], order_by: str, limit: int) -> list[Deadline]:
    # Oldest first, by the indexed column alone: a tie-breaker would make PostgreSQL read every row due
    # at the same moment before the LIMIT, on every batch.
    rows = due.select_related(
        "rule", "dispute", "dispute__partnership", "dispute__raising_agency", "dispute__other_agency"
    ).order_by(order_by)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows[:limit])


def _breach_wording(deadline: Deadline) -> tuple[str, str]:
    reference, label = deadline.dispute.reference, deadline_label(deadline)
    when = london_time(deadline.due_at)
    if deadline.rule.breach_event == Event.NO_RESPONSE:
        return (
            f"{reference}: no response from the other agency in time ({label})",
            f"Deadline '{label}' passed on {when} without a response from the other agency. "
            "Please follow up and escalate as the policy describes.",
        )
    return (
        f"{reference}: deadline missed ({label})",
        f"Deadline '{label}' passed on {when}. The dispute now shows as overdue. "
        "Please act or escalate as the policy describes.",
    )


def _reminder_wording(deadline: Deadline) -> tuple[str, str]:
    reference, label = deadline.dispute.reference, deadline_label(deadline)
    when = london_time(deadline.due_at)
    return (
        f"{reference}: deadline near ({label})",
        f"Deadline '{label}' falls on {when}.",
    )


def _notify(deadline: Deadline, event: str, recipients: list, wording: tuple[str, str], now) -> list[Notification]:
    headline, message = wording
    dispute = deadline.dispute
    return queue_recipients(dispute, event, recipients, headline[:300], now, message=message, deadline=deadline)


def remind_to(deadline: Deadline) -> list:
    """Whom the rule reminds, by their part in the dispute (a rule stored before that names roles only)."""
    return list(deadline.rule.remind_to) or role_recipients(deadline.rule.remind_roles)


def breach_to(deadline: Deadline) -> list:
    """Whom the rule tells of a breach, by their part in the dispute (a rule stored before that names roles only)."""
    return list(deadline.rule.breach_to) or role_recipients(deadline.rule.breach_roles)


def record_breach(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
    """Mark the deadline breached and tell the rule's recipients; None if another sweep got there first."""
    won = (
        Deadline.objects.filter(
            pk=deadline.pk, closed_at__isnull=True, breached_at__isnull=True, paused_at__isnull=True
        ).update(breached_at=now, reminded_at=Coalesce("reminded_at", now))
        == 1
    )
    if not won:
        return None
    deadline.breached_at = now
    audit.record(
        None,
        AuditEventType.DEADLINE_BREACHED,
        dispute=deadline.dispute,
        obj=deadline,
        after={"rule": deadline.rule.name, "due_at": deadline.due_at.isoformat(), "event": deadline.rule.breach_event},
        now=now,
    )
    return _notify(deadline, deadline.rule.breach_event, breach_to(deadline), _breach_wording(deadline), now)


def record_reminder(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
    won = (
        Deadline.objects.filter(
            pk=deadline.pk,
            closed_at__isnull=True,
            reminded_at__isnull=True,
            breached_at__isnull=True,
            paused_at__isnull=True,
        ).update(reminded_at=now)
        == 1
    )
    if not won:
        return None
    deadline.reminded_at = now
    audit.record(
        None,
        AuditEventType.DEADLINE_REMINDED,
        dispute=deadline.dispute,
        obj=deadline,
        after={"rule": deadline.rule.name, "due_at": deadline.due_at.isoformat()},
        now=now,
    )
    return _notify(deadline, Event.DEADLINE_NEAR, remind_to(deadline), _reminder_wording(deadline), now)


def _sweep_kind(due: QuerySet[Deadline], order_by: str, record, now, batch_size: int) -> tuple[int, int]:
    handled = queued = 0
    while True:
        with transaction.atomic():
            rows = _take(due, order_by, batch_size)
            notifications: list[Notification] = []
            for row in rows:
                sent = record(row, now)
                if sent is not None:
                    handled += 1
                    notifications += sent
        queued += len(notifications)
        if len(rows) < batch_size:
            return handled, queued


def sweep(*, now: datetime.datetime, batch_size: int | None = None) -> SweepResult:
    """Record every breach and reminder due at `now`; safe to run several at once.

    Each batch is one transaction, so a sweep cut short keeps what it committed and the next one goes on.
    """
    if now.tzinfo is None:
        raise ValueError("the sweep needs an aware datetime")
    batch_size = batch_size or settings.DEADLINE_SWEEP_BATCH_SIZE
    result = SweepResult()
    result.breached, queued = _sweep_kind(breaches_due(now), "due_at", record_breach, now, batch_size)
    result.notifications_queued += queued
    result.reminded, queued = _sweep_kind(reminders_due(now), "remind_at", record_reminder, now, batch_size)
    result.notifications_queued += queued
    if result.breached or result.reminded:
        logger.info("deadline sweep at %s: %s", now.isoformat(), result.as_dict())
    return result
