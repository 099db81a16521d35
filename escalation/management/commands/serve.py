"""`make run`: the web app, and, when there is no Redis, the deadline sweep and e-mail delivery in-process.

With REDIS_URL set, Celery beat and a worker enforce deadlines (see `make stack`), so this runs the web
app only. Without it, a background thread runs the same sweep and delivery functions the Celery tasks
run, every DEADLINE_SWEEP_SECONDS, so the embedded default enforces deadlines with no extra service.
"""

import logging
import os
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections
from django.utils import timezone

from escalation.deadlines.heartbeat import sweep_with_heartbeat
from escalation.notifications.delivery import deliver_due
from escalation.records.requirements import render_pending_records

logger = logging.getLogger(__name__)


class EmbeddedEnforcer(threading.Thread):
    """Runs the sweep, the written records left pending, then e-mail delivery, at start and every `interval` seconds.

    Records are drawn straight after the change that asks for them commits; the loop only catches any missed.
    """

    def __init__(self, interval: float) -> None:
        super().__init__(name="deadline-enforcer", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.run_once()
            self.stopped.wait(self.interval)

    def run_once(self) -> dict:
        try:
            swept = sweep_with_heartbeat(now=timezone.now()).as_dict()
            drawn = render_pending_records(now=timezone.now())
            sent = deliver_due(now=timezone.now())
        except Exception:  # noqa: BLE001 - the loop must outlive one bad minute (e.g. SQLite busy)
            logger.exception("deadline sweep, records or delivery failed; trying again in %s seconds", self.interval)
            return {}
        finally:
            connections.close_all()
        if swept["reminded"] or swept["breached"] or sent or any(drawn.values()):
            logger.info("deadlines: %s; records: %s; e-mails: %s", swept, drawn, sent)
        return {**swept, "emails": sent, "records": drawn}

    def stop(self) -> None:
        self.stopped.set()


def startup_lines(redis_url: str, interval: float) -> list[str]:
    if redis_url:
        return [
            "Deadlines: REDIS_URL is set, so Celery beat and a worker enforce deadlines and send e-mail.",
            "           Start them too (make stack does), or nothing will be swept.",
        ]
    return [
        f"Deadlines: no REDIS_URL, so this process sweeps deadlines and sends notifications itself every "
        f"{interval:g} seconds (the embedded default; no Celery or Redis needed).",
        _email_line(),
    ]


def demo_login_lines() -> list[str]:
    """The demo sign-ins, each once, under its partnership and role (`make run` prints them here only)."""
    try:
        from escalation import demo
    except ImportError:
        return []
    try:
        rows = demo.demo_sign_ins()
    except DatabaseError:  # not migrated yet
        return []
    if not rows:
        return []
    lines = [f"Demo sign-ins (the password of each is {demo.DEMO_PASSWORD}):"]
    partnership = group = None
    for row in rows:
        if row.partnership != partnership:
            partnership, group = row.partnership, None
            lines.append(f"  {row.partnership} ({row.prefix})")
        if row.group != group:
            group = row.group
            lines.append(f"    {row.group}")
        lines.append(f"      {row.username:<16} {row.name}, {row.designation}")
    return lines


class Command(BaseCommand):
    help = "Run the web app; without REDIS_URL, also sweep deadlines and send e-mail every minute in-process."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--reload", action="store_true", help="Restart when the code changes.")

    def handle(self, *args, **options) -> None:
        reloading = options["reload"]
        if "SITE_URL" not in os.environ:
            # Links in notifications point at this server unless the environment names another.
            settings.SITE_URL = f"http://{options['host']}:{options['port']}"
        # With the reloader the code runs in a child process (RUN_MAIN=true): start the thread there only.
        serving_process = not reloading or os.environ.get("RUN_MAIN") == "true"
        if serving_process:
            interval = settings.DEADLINE_SWEEP_SECONDS
            for line in [*startup_lines(settings.REDIS_URL, interval), *demo_login_lines()]:
                self.stdout.write(line)
            if not settings.REDIS_URL:
                # Before runserver loads the WSGI application, which refuses to start when nothing sweeps.
                settings.DEADLINES_SWEPT_IN_PROCESS = True
                EmbeddedEnforcer(interval).start()
        call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=reloading)


def _email_line() -> str:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend == "filebased":
        return f"E-mail: written as files to {settings.EMAIL_FILE_PATH}/ (nothing is sent)."
    return f"E-mail: {backend} backend."
