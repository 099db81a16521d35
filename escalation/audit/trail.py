"""The append-only audit trail: who did or saw what, when and from where.

Services call `record` with one of the types in `escalation.audit.events`; where the request came from is picked
up from `AuditContextMiddleware`, so service functions need no request argument.
"""

from __future__ import annotations

import contextvars
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import CharField, DateTimeField, Expression, F, Func, QuerySet, Value
from django.db.models.functions import Cast, JSONObject
from django.http import HttpRequest
from django.utils import timezone

from escalation import bulk
from escalation.audit.events import AuditEventType, event_type, payload_problems
from escalation.audit.models import AuditEvent
from escalation.observability.proxies import client_address

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None
    user_agent: str


_origin: contextvars.ContextVar[RequestOrigin | None] = contextvars.ContextVar("audit_origin", default=None)


def _event(
    actor,
    action: AuditEventType | str,
    *,
    dispute: Dispute | None,
    obj: Any,
    before: dict | None,
    after: dict | None,
    partnership,
    now: datetime.datetime | None,
) -> AuditEvent:
    """One event of type `action`, unsaved (anything but a member of `AuditEventType` or its value is a ValueError)."""
    kind = event_type(action)
    if getattr(settings, "AUDIT_CHECK_PAYLOADS", settings.DEBUG):
        problems = payload_problems(kind, before=before, after=after)
        if problems:
            raise ValueError(f"{kind}: {'; '.join(problems)} (see escalation/audit/events.py)")
    origin = _origin.get()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        at=now or timezone.now(),
        actor=actor if authenticated else None,
        actor_label=actor.get_username() if authenticated else "system",
        action=kind.value,
        partnership=partnership or (dispute.partnership if dispute else None),
        dispute_id_value=dispute.pk if dispute else None,
        dispute_reference=dispute.reference if dispute else "",
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and getattr(obj, "pk", None) is not None else "",
        before=before,
        after=after,
        ip_address=origin.ip_address if origin else None,
        user_agent=origin.user_agent[:300] if origin else "",
    )


def record(
    actor,
    action: AuditEventType | str,
    *,
    dispute: Dispute | None = None,
    obj: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    partnership=None,
    now: datetime.datetime | None = None,
) -> AuditEvent:
    """Writes one event of type `action` (a member of `AuditEventType`, or its value; anything else is a ValueError)."""
    event = _event(
        actor, action, dispute=dispute, obj=obj, before=before, after=after, partnership=partnership, now=now
    )
    event.save(force_insert=True)
    return event


def record_system_events(
    action: AuditEventType | str,
    events: Iterable[tuple[Dispute, Any, dict]],
    *,
    now: datetime.datetime,
) -> list[AuditEvent]:
    """Writes many events of one type done by the app itself (no person), each `(dispute, obj, after)`, in one
    insert: the same rows as `record(None, action, dispute=..., obj=..., after=..., now=now)` for each."""
    rows = [
        _event(None, action, dispute=dispute, obj=obj, before=None, after=after, partnership=None, now=now)
        for dispute, obj, after in events
    ]
    return bulk.insert(AuditEvent, rows)


class IsoMoment(Func):
    """A stored moment as the text `datetime.isoformat()` gives it in UTC, for JSON the database writes itself."""

    output_field = CharField()
    # Django keeps SQLite datetimes as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.
    template = "(REPLACE(%(expressions)s, ' ', 'T') || '+00:00')"

    def as_postgresql(self, compiler, connection, **extra):
        # Microseconds in six digits, and only when there are any, as Python writes them.
        utc = "(%(expressions)s AT TIME ZONE 'UTC')"
        template = (
            f"(TO_CHAR({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
            f"|| COALESCE(NULLIF(TO_CHAR({utc}, '.US'), '.000000'), '') || '+00:00')"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


#: The columns `record_system_events_in_database` fills, in the order it selects them; the rest keep their defaults
#: (no actor, address or `before`; the database stamps `recorded_at`).
_SYSTEM_EVENT_COLUMNS = (
    "at", "actor_label", "action", "partnership_id", "dispute_id_value", "dispute_reference", "object_type",
    "object_id", "after", "user_agent",
)  # fmt: skip


def record_system_events_in_database(
    action: AuditEventType | str,
    objects: QuerySet,
    *,
    dispute: str,
    after: dict[str, Expression],
    now: datetime.datetime,
) -> None:
    """The events `record_system_events` writes for each of `objects` (`dispute` names the path to its dispute,
    `after` the expression for each key), written by the database in one `INSERT ... SELECT`: no row is read into
    Python, so a batch of thousands costs the database's time only."""
    kind = event_type(action)
    if getattr(settings, "AUDIT_CHECK_PAYLOADS", settings.DEBUG):
        problems = payload_problems(kind, before=None, after=dict.fromkeys(after))
        if problems:
            raise ValueError(f"{kind}: {'; '.join(problems)} (see escalation/audit/events.py)")
    events = objects.order_by("pk").values_list(
        Value(now, output_field=DateTimeField()),
        Value("system"),
        Value(kind.value),
        F(f"{dispute}__partnership_id"),
        F(f"{dispute}_id"),
        F(f"{dispute}__reference"),
        Value(objects.model.__name__),
        Cast("pk", CharField()),
        JSONObject(**after),
        Value(""),
    )
    select_sql, params = events.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _SYSTEM_EVENT_COLUMNS)
    with connection.cursor() as cursor:
        # The names are the model's; the SELECT is Django's, every value in it a parameter.
        cursor.execute(f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) {select_sql}", params)  # noqa: S608


def record_each(actor, action: AuditEventType | str, disputes: Iterable[Dispute]) -> list[AuditEvent]:
    """Writes one event of type `action` by `actor` for each dispute, in one insert: a list page that shows
    several disputes costs one query for its audit, however long the list."""
    rows = [
        _event(actor, action, dispute=dispute, obj=None, before=None, after=None, partnership=None, now=None)
        for dispute in disputes
    ]
    return bulk.insert(AuditEvent, rows) if rows else []


class AuditContextMiddleware:
    """Remembers where the current request came from, for the audit events it causes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _origin.set(RequestOrigin(client_address(request), request.META.get("HTTP_USER_AGENT", "")))
        try:
            return self.get_response(request)
        finally:
            _origin.reset(token)
