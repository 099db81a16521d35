"""The deadline sweep: finds due reminders and breaches in the database and records each exactly once.

Celery beat runs it every minute (or `manage.py serve` does, in the embedded default). It works in batches, and
each batch is one transaction of a fixed number of statements however many rows it holds:

1. one statement claims and marks the batch: an `UPDATE ... RETURNING` whose rows come from a `SELECT ... FOR
   UPDATE SKIP LOCKED` of the oldest due rows, so a second sweep running at once takes other rows;
2. one query loads the claimed rows with their disputes and rules, and one (two with partnership offices)
   finds everyone any of them should tell (`notifications.outbox.PreloadedDirectory`);
3. one insert writes the batch's audit events and one its outbox rows; e-mail goes out after commit.

Correctness never depends on there being one sweep. The update is guarded: it sets a row's reminder or breach
only where it is still unset (and the row still open and not paused), and its `RETURNING` names exactly the rows
it changed. Whatever locks, skips or races happen, a row changes from "not breached" to "breached" in one
committed update only, and only the sweep whose update changed it audits it and tells anyone. A sweep killed part
way loses only its open batch, which rolls back whole and is taken by the next sweep.

A breach is recorded once the due moment has passed (at the due moment itself the deadline is still met, as
`policies.runtime.deadlines.met_on_closing` counts it); a reminder at its moment. Both moments are stored UTC
instants, so clock changes cannot move them. "Nothing due" is one query, outside any transaction: one probe of
each of the partial indexes `deadline_breach_due` and `deadline_reminder_due`.
"""

import datetime
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.models import Deadline
from escalation.deadlines.overdue import deadline_label, london_time
from escalation.notifications.models import Notification
from escalation.notifications.outbox import PreloadedDirectory, Tell, queue_many
from policies.models import DeadlineRule, PolicyVersion
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
    # Uses the partial index deadline_breach_due. A guide is reminded but never breached: the row's own flag keeps it
    # out of the index, and its rule is asked too, so a row is never breached for a guide whatever its flag says.
    return Deadline.objects.filter(
        closed_at__isnull=True, breached_at__isnull=True, paused_at__isnull=True, guide=False, due_at__lt=now
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


def breach_wording(deadline: Deadline) -> tuple[str, str]:
    reference, label = deadline.dispute.reference, deadline_label(deadline)
    when = london_time(deadline.due_at)
    if deadline.rule.breach_event == Event.NO_RESPONSE:
        return (
            f"{reference}: no response from the other agency in time ({label})",
            f"Deadline '{label}' passed at {when} without a response from the other agency. "
            "Please follow up and escalate as the policy describes.",
        )
    return (
        f"{reference}: deadline missed ({label})",
        f"Deadline '{label}' passed at {when}. The dispute now shows as overdue. "
        "Please act or escalate as the policy describes.",
    )


def reminder_wording(deadline: Deadline) -> tuple[str, str]:
    reference, label = deadline.dispute.reference, deadline_label(deadline)
    when = london_time(deadline.due_at)
    return (
        f"{reference}: deadline near ({label})",
        f"Deadline '{label}' falls due at {when}.",
    )


def remind_to(deadline: Deadline) -> list:
    """Whom the rule reminds, by their part in the dispute (a rule stored before that names roles only)."""
    return list(deadline.rule.remind_to) or role_recipients(deadline.rule.remind_roles)


def breach_to(deadline: Deadline) -> list:
    """Whom the rule tells of a breach, by their part in the dispute (a rule stored before that names roles only)."""
    return list(deadline.rule.breach_to) or role_recipients(deadline.rule.breach_roles)


@dataclass(frozen=True)
class _Kind:
    """A reminder or a breach: which rows are due, how the claim marks them, and what is written for each."""

    due: Callable[[datetime.datetime], QuerySet[Deadline]]
    order_by: str
    #: SQL: the columns the claim sets (each %s is the sweep's moment) and the guard it sets them under.
    marks: str
    guard: str
    audit_event: AuditEventType

    def audit_after(self, deadline: Deadline) -> dict:
        after = {"rule": deadline.rule.name, "due_at": deadline.due_at.isoformat()}
        if self is BREACH:
            after["event"] = deadline.rule.breach_event
        return after

    def tell(self, deadline: Deadline) -> Tell:
        if self is BREACH:
            event, recipients, (headline, message) = (
                deadline.rule.breach_event,
                breach_to(deadline),
                breach_wording(deadline),
            )
        else:
            event, recipients, (headline, message) = (
                Event.DEADLINE_NEAR,
                remind_to(deadline),
                reminder_wording(deadline),
            )
        return Tell(deadline.dispute, event, tuple(recipients), headline[:300], message, deadline)

    def mark(self, deadline: Deadline, now: datetime.datetime) -> None:
        if self is BREACH:
            deadline.breached_at = now
            deadline.reminded_at = deadline.reminded_at or now
        else:
            deadline.reminded_at = now


_OPEN = "closed_at IS NULL AND paused_at IS NULL AND breached_at IS NULL"

BREACH = _Kind(
    due=breaches_due,
    order_by="due_at",
    marks="breached_at = %s, reminded_at = COALESCE(reminded_at, %s)",
    guard=_OPEN,
    audit_event=AuditEventType.DEADLINE_BREACHED,
)
REMINDER = _Kind(
    due=reminders_due,
    order_by="remind_at",
    marks="reminded_at = %s",
    guard=f"{_OPEN} AND reminded_at IS NULL",
    audit_event=AuditEventType.DEADLINE_REMINDED,
)


# Every piece of these statements is a constant or SQL that Django compiled; every value is a parameter.
#: MATERIALIZED: the rows are chosen (and locked) once, before the update reads them. `chosen.pk`, named in full:
#: Django names the column "pk", and a bare "id" would be the updated table's own.
_CLAIM_POSTGRESQL = (
    "WITH chosen AS MATERIALIZED ({chosen}) "
    "UPDATE {table} SET {marks} WHERE id IN (SELECT chosen.pk FROM chosen) AND {guard} RETURNING id"
)
#: SQLite has one writer at a time: the whole statement runs under the database's write lock.
_CLAIM = "UPDATE {table} SET {marks} WHERE id IN ({chosen}) AND {guard} RETURNING id"


def _claim(kind: _Kind, candidates: QuerySet[Deadline], now: datetime.datetime, limit: int) -> list[int]:
    """Mark up to `limit` of the candidates (oldest first) as reminded or breached in one statement; the ids of the
    rows this statement changed. On PostgreSQL rows another transaction holds are skipped, not waited for."""
    # Oldest first, by the indexed column alone: a tie-breaker would make PostgreSQL read every row due at the
    # same moment before the LIMIT, on every batch.
    chosen = candidates.order_by(kind.order_by).values("pk")[:limit]
    if connection.features.has_select_for_update_skip_locked:
        chosen = chosen.select_for_update(skip_locked=True, of=("self",))
    chosen_sql, chosen_params = chosen.query.sql_with_params()
    moment = connection.ops.adapt_datetimefield_value(now)
    parts = {
        "chosen": chosen_sql,
        "table": connection.ops.quote_name(Deadline._meta.db_table),
        "marks": kind.marks,
        "guard": kind.guard,
    }
    marks_params = [moment] * kind.marks.count("%s")
    if connection.vendor == "postgresql":
        sql, params = _CLAIM_POSTGRESQL.format(**parts), [*chosen_params, *marks_params]
    else:
        sql, params = _CLAIM.format(**parts), [*marks_params, *chosen_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _load(ids: list[int]) -> list[Deadline]:
    """The claimed rows with their disputes (one query), and their rules and policy versions (one query each, for
    the few distinct ones: their stored texts are read once, not once a row). Disputes of one partnership or policy
    version share one object, so what is read once for it (its rules) is read once for the batch."""
    rows = list(
        Deadline.objects.filter(pk__in=ids)
        .select_related(
            "dispute",
            "dispute__partnership",
            "dispute__raising_agency",
            "dispute__other_agency",
            "dispute__raised_by",
        )
        .defer("dispute__description", "dispute__attempts_so_far", "dispute__escalation_reason")
        .order_by("pk")
    )
    rules = DeadlineRule.objects.in_bulk({row.rule_id for row in rows})
    versions = PolicyVersion.objects.in_bulk({row.dispute.policy_version_id for row in rows})
    partnerships: dict[int, object] = {}
    for row in rows:
        row.rule = rules[row.rule_id]
        dispute = row.dispute
        dispute.partnership = partnerships.setdefault(dispute.partnership_id, dispute.partnership)
        dispute.policy_version = versions[dispute.policy_version_id]
    return rows


def _record(
    kind: _Kind, candidates: QuerySet[Deadline], now: datetime.datetime, limit: int
) -> tuple[list[Deadline], list[Notification]]:
    """One batch: claim and mark, audit, tell. Call inside a transaction."""
    ids = _claim(kind, candidates, now, limit)
    if not ids:
        return [], []
    rows = _load(ids)
    for row in rows:
        kind.mark(row, now)
    audit.record_system_events(kind.audit_event, ((row.dispute, row, kind.audit_after(row)) for row in rows), now=now)
    directory = PreloadedDirectory(row.dispute for row in rows)
    return rows, queue_many([kind.tell(row) for row in rows], now, directory)


def record_breach(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
    """Mark this deadline breached and tell the rule's recipients; None if it is not open or was already breached
    (another sweep got there first). The simulator's sweep of one dispute uses it."""
    with transaction.atomic():
        rows, sent = _record(BREACH, Deadline.objects.filter(pk=deadline.pk), now, 1)
    if not rows:
        return None
    BREACH.mark(deadline, now)
    return sent


def record_reminder(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
    """Mark this deadline reminded and remind the rule's recipients; None if it is not open, already reminded or
    breached."""
    with transaction.atomic():
        rows, sent = _record(REMINDER, Deadline.objects.filter(pk=deadline.pk), now, 1)
    if not rows:
        return None
    REMINDER.mark(deadline, now)
    return sent


#: Both kinds at once, outside any transaction: the usual answer, "no", costs one round trip to the database. Scalar
#: subqueries, not EXISTS: PostgreSQL drops an EXISTS subquery's ORDER BY and LIMIT, and with them the index's order.
_ANYTHING_DUE = "SELECT ({breaches}) IS NOT NULL OR ({reminders}) IS NOT NULL"


def _anything_due(now: datetime.datetime) -> bool:
    # The oldest of each, by the indexed column: without the order PostgreSQL may guess (from every row's due moment,
    # closed rows' too) that a scan of the whole table finds one sooner than a probe of the index.
    breaches, breaches_params = breaches_due(now).order_by("due_at").values("pk")[:1].query.sql_with_params()
    reminders, reminders_params = reminders_due(now).order_by("remind_at").values("pk")[:1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            _ANYTHING_DUE.format(breaches=breaches, reminders=reminders), [*breaches_params, *reminders_params]
        )
        return bool(cursor.fetchone()[0])


def _sweep_kind(kind: _Kind, now: datetime.datetime, batch_size: int) -> tuple[int, int]:
    handled = queued = 0
    while True:
        with transaction.atomic():
            rows, sent = _record(kind, kind.due(now), now, batch_size)
        handled += len(rows)
        queued += len(sent)
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
    if not _anything_due(now):
        return result
    result.breached, queued = _sweep_kind(BREACH, now, batch_size)
    result.notifications_queued += queued
    result.reminded, queued = _sweep_kind(REMINDER, now, batch_size)
    result.notifications_queued += queued
    if result.breached or result.reminded:
        logger.info("deadline sweep at %s: %s", now.isoformat(), result.as_dict())
    return result
