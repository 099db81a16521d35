"""The deadline sweep: finds due reminders and breaches in the database and records each exactly once.

Celery beat runs it every minute (or `manage.py serve` does, in the embedded default). It has two steps, each in
batches, each batch one transaction of a fixed number of statements however many rows it holds.

**Marking** (`mark_due`) records that a deadline was reminded or breached, and owes its notice:

1. one statement claims and marks the batch: an `UPDATE ... RETURNING` whose rows come from a `SELECT ... FOR
   UPDATE SKIP LOCKED` of the oldest due rows, so a second sweep running at once takes other rows. The same update
   sets the row's `reminder_owed` or `breach_owed`: the one notification event of that deadline;
   a breach also locks the rows' disputes (skipping any a person's change holds), since the deadline table's
   triggers then record each dispute as overdue (`OverdueDispute`, the register's filter);
2. one `INSERT ... SELECT` writes the batch's audit events, built by the database from the rows just marked.

No row is read into Python: the batch costs the database's time only.

**Telling** (`tell_owed`, `tell_all`) writes the owed notices: it claims owed rows the same way (clearing the
flag), finds everyone each one goes to from the policy as it stands (one query for the rows, one for each kind of
thing they name, one or two for the people: `notifications.outbox.PreloadedDirectory`) and writes their outbox rows
in one COPY (`escalation.bulk`); e-mail goes out after commit. Whom a notice reaches is decided here, when it is
written, so the marking never waits for it, and several workers can tell at once. Under Celery the sweep only marks
and hands the telling to the workers (`escalation.tasks`): building one outbox row per person told is the costly
part (most of it Python's: the rows' objects and their text), so it is spread over the workers rather than held in
the sweep's own run.

Correctness never depends on there being one sweep. Each update is guarded: it sets a row's reminder or breach
only where it is still unset (and the row still open and not paused), clears an owed flag only where it is still
set, and its `RETURNING` names exactly the rows it changed. Whatever locks, skips or races happen, a row changes
from "not breached" to "breached" in one committed update only, which audits it in the same transaction; its
notice is owed from that commit and written by the one transaction that clears the flag. A sweep killed part way
loses only its open batch, which rolls back whole: a marked row whose notice was not yet written stays owed, and
the next sweep tells it.

A breach is recorded once the due moment has passed (at the due moment itself the deadline is still met, as
`policies.runtime.deadlines.met_on_closing` counts it); a reminder at its moment. Both moments are stored UTC
instants, so clock changes cannot move them. "Nothing due" is one query, outside any transaction: one probe of
each of the partial indexes `deadline_breach_due`, `deadline_reminder_due`, `deadline_breach_owed` and
`deadline_reminder_owed`.
"""

import datetime
import functools
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Expression, F, QuerySet

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.models import Deadline
from escalation.deadlines.overdue import deadline_label, london_time
from escalation.notifications.models import Notification
from escalation.notifications.outbox import PreloadedDirectory, Tell, queue_many
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
    #: The column saying this kind's notice is owed (set by the marking, cleared by the telling).
    owed: str
    audit_event: AuditEventType
    #: Whether marking changes what is kept of the dispute (a breach makes it overdue, through the deadline table's
    #: triggers).
    changes_dispute: bool = False

    def audit_after(self) -> dict[str, Expression]:
        """What each audit event records of its deadline, as the database reads it from the row."""
        after = {"rule": F("rule__name"), "due_at": audit.IsoMoment("due_at")}
        if self is BREACH:
            after["event"] = F("rule__breach_event")
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

    def owed_rows(self) -> QuerySet[Deadline]:
        return Deadline.objects.filter(**{self.owed: True})


_OPEN = "closed_at IS NULL AND paused_at IS NULL AND breached_at IS NULL"

BREACH = _Kind(
    due=breaches_due,
    order_by="due_at",
    # A breach also closes the reminder; a reminder it closes is not owed (the breach notice says more).
    marks="breached_at = %s, reminded_at = COALESCE(reminded_at, %s), breach_owed = TRUE",
    guard=_OPEN,
    owed="breach_owed",
    audit_event=AuditEventType.DEADLINE_BREACHED,
    changes_dispute=True,
)
REMINDER = _Kind(
    due=reminders_due,
    order_by="remind_at",
    marks="reminded_at = %s, reminder_owed = TRUE",
    guard=f"{_OPEN} AND reminded_at IS NULL",
    owed="reminder_owed",
    audit_event=AuditEventType.DEADLINE_REMINDED,
)


# Every piece of these statements is a constant or SQL that Django compiled; every value is a parameter.
#: MATERIALIZED: the rows are chosen (and locked) once, before the update reads them. `chosen.pk`, named in full:
#: Django names the column "pk", and a bare "id" would be the updated table's own. `= ANY(ARRAY(...))`, not `IN`:
#: the update then finds its rows by primary key whatever the planner thinks the partial index holds (right after a
#: marking, the owed indexes hold thousands of rows that the table's statistics do not know of yet).
_CLAIM_POSTGRESQL = (
    "WITH chosen AS MATERIALIZED ({chosen}) "
    "UPDATE {table} SET {marks} WHERE id = ANY(ARRAY(SELECT chosen.pk FROM chosen)) AND {guard} RETURNING id"
)
#: The same for a marking that changes what is kept of the rows' disputes (a breach records them as overdue, by
#: trigger, in rows that a person's change also writes): their disputes are locked in the claim, skipping any that a
#: person's change holds, and only rows whose dispute this sweep holds are marked. The sweep then never waits for a
#: dispute while holding deadlines (a person's change may hold the dispute and wait for those deadlines: a
#: deadlock); the rows skipped are marked by the next sweep.
_CLAIM_WITH_DISPUTES_POSTGRESQL = (
    "WITH chosen AS MATERIALIZED ({chosen}), "
    "held AS MATERIALIZED (SELECT id FROM {disputes} WHERE id = ANY(ARRAY(SELECT chosen.dispute_id FROM chosen)) "
    "FOR NO KEY UPDATE SKIP LOCKED) "
    "UPDATE {table} SET {marks} WHERE id = ANY(ARRAY(SELECT chosen.pk FROM chosen "
    "WHERE chosen.dispute_id = ANY(ARRAY(SELECT held.id FROM held)))) AND {guard} RETURNING id"
)
#: SQLite has one writer at a time: the whole statement runs under the database's write lock.
_CLAIM = "UPDATE {table} SET {marks} WHERE id IN ({chosen}) AND {guard} RETURNING id"


def _dispute_model() -> type:
    return Deadline._meta.get_field("dispute").related_model


def _disputes_table() -> str:
    return _dispute_model()._meta.db_table


def _take(
    candidates: QuerySet[Deadline],
    order_by: str,
    marks: str,
    guard: str,
    now: datetime.datetime,
    limit: int,
    *,
    with_disputes: bool = False,
) -> list[int]:
    """Set `marks` on up to `limit` of the candidates (first by `order_by`) where `guard` still holds, in one
    statement; the ids of the rows this statement changed. On PostgreSQL rows another transaction holds are
    skipped, not waited for (`with_disputes`: rows whose dispute another transaction holds, too)."""
    # By the indexed column alone: a tie-breaker would make PostgreSQL read every row due at the same moment before
    # the LIMIT, on every batch.
    postgresql = connection.vendor == "postgresql"
    chosen = candidates.order_by(order_by).values(*(("pk", "dispute_id") if postgresql else ("pk",)))[:limit]
    if connection.features.has_select_for_update_skip_locked:
        chosen = chosen.select_for_update(skip_locked=True, of=("self",))
    chosen_sql, chosen_params = chosen.query.sql_with_params()
    moment = connection.ops.adapt_datetimefield_value(now)
    parts = {"chosen": chosen_sql, "table": connection.ops.quote_name(Deadline._meta.db_table)}
    parts |= {"marks": marks, "guard": guard, "disputes": connection.ops.quote_name(_disputes_table())}
    marks_params = [moment] * marks.count("%s")
    if postgresql:
        claim = _CLAIM_WITH_DISPUTES_POSTGRESQL if with_disputes else _CLAIM_POSTGRESQL
        sql, params = claim.format(**parts), [*chosen_params, *marks_params]
    else:
        sql, params = _CLAIM.format(**parts), [*marks_params, *chosen_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _claim(kind: _Kind, candidates: QuerySet[Deadline], now: datetime.datetime, limit: int) -> list[int]:
    """Mark up to `limit` of the candidates (oldest first) as reminded or breached, their notice owed."""
    return _take(candidates, kind.order_by, kind.marks, kind.guard, now, limit, with_disputes=kind.changes_dispute)


def _claim_owed(kind: _Kind, candidates: QuerySet[Deadline], now: datetime.datetime, limit: int) -> list[int]:
    """Clear the owed flag of up to `limit` of the candidates whose notice is still owed: theirs to write now."""
    return _take(candidates.filter(**{kind.owed: True}), "pk", f"{kind.owed} = FALSE", kind.owed, now, limit)


def _mark(kind: _Kind, candidates: QuerySet[Deadline], now: datetime.datetime, limit: int) -> list[int]:
    """One marking batch: claim and mark, audit. Call inside a transaction."""
    ids = _claim(kind, candidates, now, limit)
    if ids:
        audit.record_system_events_in_database(
            kind.audit_event, Deadline.objects.filter(pk__in=ids), dispute="dispute", after=kind.audit_after(), now=now
        )
    return ids


def _attach(objects: list, model: type, name: str) -> None:
    """Give each object its `name` (a foreign key of `model`) from one query for the distinct ids. A batch's disputes
    share a few partnerships, agencies, rules and versions (and the stored texts of those are read once); each is
    built once, not once a row as a join would build it."""
    field = model._meta.get_field(name)
    wanted = {getattr(obj, field.attname) for obj in objects} - {None}
    related = field.related_model._base_manager.in_bulk(wanted)
    for obj in objects:
        field.set_cached_value(obj, related.get(getattr(obj, field.attname)))


def _load(ids: list[int]) -> list[Deadline]:
    """The claimed rows with their disputes (one query), and what the notices need of those disputes: their rules,
    policy versions, partnerships, agencies and raisers (one query each, for the few distinct ones)."""
    rows = list(
        Deadline.objects.filter(pk__in=ids)
        .select_related("dispute")
        .defer("dispute__description", "dispute__attempts_so_far", "dispute__escalation_reason")
        .order_by("pk")
    )
    disputes = [row.dispute for row in rows]
    _attach(rows, Deadline, "rule")
    for name in ("policy_version", "partnership", "raising_agency", "other_agency", "raised_by"):
        _attach(disputes, _dispute_model(), name)
    return rows


def _tell(kind: _Kind, candidates: QuerySet[Deadline], now: datetime.datetime, limit: int) -> tuple[int, list]:
    """One telling batch: claim owed notices, find their people, write the outbox. Call inside a transaction.
    (how many notices, the outbox rows written)"""
    ids = _claim_owed(kind, candidates, now, limit)
    if not ids:
        return 0, []
    rows = _load(ids)
    directory = PreloadedDirectory(row.dispute for row in rows)
    return len(rows), queue_many([kind.tell(row) for row in rows], now, directory)


def _record(kind: _Kind, deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
    one = Deadline.objects.filter(pk=deadline.pk)
    with transaction.atomic():
        if not _mark(kind, one, now, 1):
            return None
        _, sent = _tell(kind, one, now, 1)
    kind.mark(deadline, now)
    return sent


def record_breach(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
    """Mark this deadline breached and tell the rule's recipients at once; None if it is not open or was already
    breached (another sweep got there first). The simulator's sweep of one dispute uses it."""
    return _record(BREACH, deadline, now)


def record_reminder(deadline: Deadline, now: datetime.datetime) -> list[Notification] | None:
    """Mark this deadline reminded and remind the rule's recipients at once; None if it is not open, already
    reminded or breached."""
    return _record(REMINDER, deadline, now)


#: The moment the query is compiled with, replaced by the sweep's own in its parameters.
_COMPILED_AT = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@functools.cache
def _anything_due_query(vendor: str, owed_only: bool = False) -> tuple[str, tuple]:
    """The idle check's SQL and parameters, compiled by Django once per process: every worker asks it every minute,
    and compiling its four querysets took several times what the database takes to answer it. Everything at once,
    outside any transaction: the usual answer, "no", costs one round trip. `owed_only`: only whether a notice is
    owed (the last two probes)."""
    # The oldest of each, by the indexed column: without the order PostgreSQL may guess (from every row's due moment,
    # closed rows' too) that a scan of the whole table finds one sooner than a probe of the index.
    due = (
        []
        if owed_only
        else [breaches_due(_COMPILED_AT).order_by("due_at"), reminders_due(_COMPILED_AT).order_by("remind_at")]
    )
    probes = [*due, BREACH.owed_rows().order_by("pk"), REMINDER.owed_rows().order_by("pk")]
    compiled = [probe.values("pk")[:1].query.sql_with_params() for probe in probes]
    # Scalar subqueries, not EXISTS: PostgreSQL drops an EXISTS subquery's ORDER BY and LIMIT, and with them the
    # index's order.
    sql = "SELECT " + " OR ".join(f"({probe}) IS NOT NULL" for probe, _ in compiled)
    return sql, tuple(p for _, ps in compiled for p in ps)


def _ask(sql: str, params: list) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.fetchone()[0])


def _anything_due(now: datetime.datetime) -> bool:
    sql, compiled_params = _anything_due_query(connection.vendor)
    compiled_at = connection.ops.adapt_datetimefield_value(_COMPILED_AT)
    moment = connection.ops.adapt_datetimefield_value(now)
    return _ask(sql, [moment if param == compiled_at else param for param in compiled_params])


def anything_owed() -> bool:
    """Whether a marked deadline's notice is still to be written (one query: a probe of each owed index)."""
    sql, params = _anything_due_query(connection.vendor, owed_only=True)
    return _ask(sql, list(params))


def mark_due(kind: _Kind, now: datetime.datetime, batch_size: int) -> int:
    """Mark every row of `kind` due at `now`, a batch a transaction; how many."""
    marked = 0
    while True:
        with transaction.atomic():
            ids = _mark(kind, kind.due(now), now, batch_size)
        marked += len(ids)
        if len(ids) < batch_size:
            return marked


def tell_owed(kind: _Kind, now: datetime.datetime, batch_size: int) -> int:
    """Write every owed notice of `kind`, a batch a transaction; how many outbox rows."""
    queued = 0
    while True:
        with transaction.atomic():
            told, sent = _tell(kind, Deadline.objects.all(), now, batch_size)
        queued += len(sent)
        if told < batch_size:
            return queued


def tell_all(*, now: datetime.datetime, batch_size: int | None = None) -> int:
    """Write every notice owed, breaches first; how many outbox rows. Several may run at once (each batch claims
    its own rows), which is how the Celery workers share a big sweep's telling (escalation.tasks.tell_owed)."""
    batch_size = batch_size or settings.DEADLINE_SWEEP_BATCH_SIZE
    return tell_owed(BREACH, now, batch_size) + tell_owed(REMINDER, now, batch_size)


def sweep(*, now: datetime.datetime, batch_size: int | None = None, tell: bool = True) -> SweepResult:
    """Record every breach and reminder due at `now`, then write every notice owed; safe to run several at once.

    With `tell=False` it only marks: the notices stay owed, for `tell_all` to write (the Celery sweep hands them
    to the workers, so its own run stays as short as the marking however many people each notice reaches).
    Each batch is one transaction, so a sweep cut short keeps what it committed and the next one goes on.
    """
    if now.tzinfo is None:
        raise ValueError("the sweep needs an aware datetime")
    batch_size = batch_size or settings.DEADLINE_SWEEP_BATCH_SIZE
    result = SweepResult()
    if not _anything_due(now):
        return result
    result.breached = mark_due(BREACH, now, batch_size)
    result.reminded = mark_due(REMINDER, now, batch_size)
    if tell:
        result.notifications_queued = tell_all(now=now, batch_size=batch_size)
    if result.breached or result.reminded:
        logger.info("deadline sweep at %s: %s", now.isoformat(), result.as_dict())
    return result
