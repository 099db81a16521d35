"""Settings that would let deadlines go unenforced without a word: refused, with one clear message.

Deadlines are enforced only while something sweeps them. The rule, in one place: outside development
(DEBUG off, or production settings), either Celery has a real broker (REDIS_URL, with a worker and beat)
or this process is `manage.py serve`, whose own thread sweeps. A broker of memory:// in a web server that is
not `serve` (gunicorn, say) would accept the sweep's tasks and never run them, and nobody would be told.

Two places apply it: `manage.py check --deploy` (the system check below), and the WSGI application, which
refuses to start (escalation/wsgi.py). Commands that do the work by hand (`sweep_deadlines`,
`apply_retention`) and `migrate` are not stopped by it.
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

UNSWEPT = (
    "Nothing would sweep deadlines: there is no REDIS_URL, so Celery's broker is memory:// and no worker or beat "
    "can run, and this is not `manage.py serve` (which sweeps in-process). Reminders, breaches and e-mails would "
    "silently stop."
)
UNSWEPT_HINT = (
    "Set REDIS_URL and run a Celery worker and beat (see README, Production), or, for a single small server "
    "without Redis, run `manage.py serve`."
)


def is_production() -> bool:
    """Production settings: escalation/settings/production.py (or any settings that set PRODUCTION = True)."""
    return bool(getattr(settings, "PRODUCTION", False))


def deadlines_unswept() -> bool:
    in_development = settings.DEBUG and not is_production()
    broker_in_memory = str(settings.CELERY_BROKER_URL or "memory://").startswith("memory://")
    swept_here = getattr(settings, "DEADLINES_SWEPT_IN_PROCESS", False)
    return broker_in_memory and not swept_here and not in_development


@register("deadlines", deploy=True)
def check_deadlines_are_swept(app_configs=None, **kwargs) -> list[CheckMessage]:
    if not deadlines_unswept():
        return []
    return [Error(UNSWEPT, hint=UNSWEPT_HINT, id="escalation.E001")]


def refuse_to_serve_unswept() -> None:
    """For the WSGI application: no web server starts while nothing would sweep deadlines."""
    if deadlines_unswept():
        raise ImproperlyConfigured(f"{UNSWEPT} {UNSWEPT_HINT}")
