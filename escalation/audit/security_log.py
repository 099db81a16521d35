"""The security log: every request the app refused, with who, what and from where, in the append-only audit trail.

A refused request is an audit event of type `security.request_refused`, so it gets what the trail already has: the
time, the signed-in person (or nobody), the client's address and browser (`AuditContextMiddleware`), the trigger
that refuses UPDATE and DELETE on PostgreSQL and the role that may only INSERT and SELECT. What was asked for is
the method, the path without its query string (a search may hold a name) and the page's name; request bodies are
never kept.

Refusals it records: a 404 (whatever the access rule hides looks exactly like a page that does not exist, so both
are logged alike), a 403 (a CSRF failure is told apart), a 429 (sign-in locked out), and whatever a part of the app
marks with `mark_refused` (a person sent to two-factor before a page, a wrong two-factor code).

One row per refused request. 13,000 refusals are about 13,000 small rows (a few megabytes): far less work than
the requests themselves, and each attempt stays traceable, which a counter would lose. Anything that must hold back
a flood (the sign-in lockout, a proxy's rate limit) does so before this.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from escalation.audit import trail
from escalation.audit.events import AuditEventType

logger = logging.getLogger(__name__)

#: The longest path kept; anything longer is cut here (the request itself was refused whole).
PATH_LIMIT = 500

NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
CSRF = "csrf"
LOCKED_OUT = "locked_out"
TWO_FACTOR_REQUIRED = "two_factor_required"
TWO_FACTOR_WRONG_CODE = "two_factor_wrong_code"

_MARK = "_security_refusal"


def mark_refused(request: HttpRequest, reason: str) -> None:
    """Says this request was refused for `reason`, whatever status its response has; logged as it ends."""
    setattr(request, _MARK, reason)


def refusal_reason(request: HttpRequest, response: HttpResponse) -> str | None:
    """Why the app refused this request, or None when it did not."""
    marked = getattr(request, _MARK, None)
    if marked:
        return marked
    status = response.status_code
    if status == 404:
        return NOT_FOUND
    if status == 403:
        # CsrfViewMiddleware marks every request it lets through; a 403 without the mark is its refusal.
        return FORBIDDEN if getattr(request, "csrf_processing_done", False) else CSRF
    if status == 429:
        return LOCKED_OUT
    return None


def _clean(text: str, limit: int) -> str:
    """PostgreSQL's JSON cannot hold a NUL character; a hostile path must still be logged, not fail."""
    return text.replace("\x00", "\\x00")[:limit]


def _view_name(request: HttpRequest) -> str:
    """The name of the page asked for; refused before the URL was resolved (two-factor), it is resolved here."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return ""
    return match.view_name or ""


def record_refusal(request: HttpRequest, status: int, reason: str) -> None:
    """Writes one security event; a database problem is logged, never turned into a server error for the caller."""
    user = getattr(request, "user", None)
    after = {
        "reason": reason,
        "status": status,
        "method": _clean(request.method or "", 10),
        "path": _clean(request.path, PATH_LIMIT),
        "view": _view_name(request),
    }
    try:
        trail.record(user, AuditEventType.REQUEST_REFUSED, after=after)
    except DatabaseError:
        logger.exception("could not record a refused request (%s %s)", reason, after["path"][:100])


class SecurityLogMiddleware:
    """Records each refused request once its response is known. Must come after AuditContextMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        reason = refusal_reason(request, response)
        if reason is not None:
            record_refusal(request, response.status_code, reason)
        return response
