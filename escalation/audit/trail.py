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
