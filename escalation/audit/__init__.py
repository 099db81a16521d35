"""The append-only audit trail: who did or saw what, when and from where.

`record` writes one event of a type listed in `AuditEventType`; the middleware remembers where the current
request came from.
"""

from escalation.audit.events import AuditEventType
from escalation.audit.trail import AuditContextMiddleware, record

__all__ = ["AuditContextMiddleware", "AuditEventType", "record"]
