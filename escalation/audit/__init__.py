"""The append-only audit trail: who did or saw what, when and from where.

`record` writes one event; the middleware remembers where the current request came from.
"""

from escalation.audit.trail import AuditContextMiddleware, record

__all__ = ["AuditContextMiddleware", "record"]
