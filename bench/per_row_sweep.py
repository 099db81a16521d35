"""The per-row deadline sweep the app used before the set-based one, kept as a reference: not used by the app.

The benchmark (bench/bench_sweep.py) runs it beside `escalation.deadlines.sweep.sweep` in the same run, and the
equivalence test (tests/escalation/deadlines/test_set_based_sweep.py) runs both on the same world and compares the
rows they write. Each due row is taken with `SELECT ... FOR UPDATE SKIP LOCKED`, recorded by its own guarded
update, audited by its own insert, and its recipients found and told one dispute at a time (about 5 queries a
deadline).
"""

import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.models import Deadline
from escalation.deadlines.sweep import (
    SweepResult,
    breach_to,
    breach_wording,
    breaches_due,
    remind_to,
    reminder_wording,
    reminders_due,
)
from escalation.notifications.models import Notification
from escalation.notifications.outbox import queue_recipients
from policies.vocabulary import Event


def _take(due: QuerySet[Deadline], order_by: str, limit: int) -> list[Deadline]:
    rows = due.select_related(
        "rule", "dispute", "dispute__partnership", "dispute__raising_agency", "dispute__other_agency"
    ).order_by(order_by)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows[:limit])


def _notify(deadline: Deadline, event: str, recipients: list, wording: tuple[str, str], now) -> list[Notification]:
    headline, message = wording
    return queue_recipients(
        deadline.dispute, event, recipients, headline[:300], now, message=message, deadline=deadline
    )


def record_breach_per_row(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
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
    return _notify(deadline, deadline.rule.breach_event, breach_to(deadline), breach_wording(deadline), now)


def record_reminder_per_row(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
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
    return _notify(deadline, Event.DEADLINE_NEAR, remind_to(deadline), reminder_wording(deadline), now)


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


def sweep_per_row(*, now: datetime.datetime, batch_size: int = 200) -> SweepResult:
    """Record every breach and reminder due at `now`, one row at a time."""
    result = SweepResult()
    result.breached, queued = _sweep_kind(breaches_due(now), "due_at", record_breach_per_row, now, batch_size)
    result.notifications_queued += queued
    result.reminded, queued = _sweep_kind(reminders_due(now), "remind_at", record_reminder_per_row, now, batch_size)
    result.notifications_queued += queued
    return result
