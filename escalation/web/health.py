"""`/healthz` and `/readyz` for load balancers, container healthchecks and monitoring: JSON, no personal data.

- `/healthz`: the process is up and answering. Touches no database.
- `/readyz`: the database answers and the deadline sweep finished within two sweep intervals; it also gives
  the e-mail outbox's backlog. 200 when ready, 503 otherwise.

Answered by `HealthCheckMiddleware`, first in the middleware list, so a probe needs no sign-in or two-factor
step, is never redirected to HTTPS, and may use any Host header (a probe calls the container by its own
address, which ALLOWED_HOSTS rightly does not list). Nothing here reads or names a dispute, so nothing is audited.
"""

import datetime
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from escalation.deadlines.heartbeat import sweep_health
from escalation.notifications.backlog import email_backlog

logger = logging.getLogger(__name__)

HEALTHZ = "/healthz"
READYZ = "/readyz"


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("readiness: the database did not answer", exc_info=True)
        return False
    return True


def readiness(*, now: datetime.datetime) -> tuple[bool, dict]:
    """Whether the app is ready, and the figures behind it (times, counts and ages only)."""
    if not _database_answers():
        return False, {"status": "unavailable", "checks": {"database": {"ok": False}}}
    sweep = sweep_health(now=now, interval_seconds=settings.DEADLINE_SWEEP_SECONDS)
    backlog = email_backlog(now=now)
    ready = sweep.healthy
    return ready, {
        "status": "ok" if ready else "unavailable",
        "checks": {
            "database": {"ok": True},
            "deadline_sweep": {
                "ok": sweep.healthy,
                "last_finished_at": _iso(sweep.last_finished_at),
                "seconds_since_last_finished": _seconds(sweep.seconds_since),
                "limit_seconds": _seconds(sweep.limit_seconds),
            },
            "email_outbox": {
                "unsent": backlog.unsent,
                "oldest_unsent_seconds": _seconds(backlog.oldest_unsent_seconds),
            },
        },
    }


def _json(body: dict, status: int) -> HttpResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    return _json({"status": "ok"}, 200)


def readyz(request: HttpRequest) -> HttpResponse:
    ready, body = readiness(now=timezone.now())
    return _json(body, 200 if ready else 503)


PROBES = {HEALTHZ: healthz, READYZ: readyz}


class HealthCheckMiddleware:
    """Answers GET and HEAD on /healthz and /readyz before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        probe = PROBES.get(request.path_info.rstrip("/") or "/")
        if probe is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = _json({"status": "method not allowed"}, 405)
            response["Allow"] = "GET, HEAD"
            return response
        return probe(request)
