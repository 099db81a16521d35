"""The beat schedule in the database, the system check for unswept deadlines, and `load_demo`'s production guard
(issue 13, items 2 and 9)."""

import datetime
import io
import subprocess
import sys

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.test import Client, override_settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler as StockDatabaseScheduler

from escalation.beat import DatabaseScheduler
from escalation.celery import app as celery_app
from escalation.checks import check_deadlines_are_swept, refuse_to_serve_unswept
from escalation.management.commands import load_demo as load_demo_command
from escalation.management.commands import serve
from tests.auth_helpers import login
from tests.fixtures_services import ROOT
from tests.security.test_headers import production_env

UTC = datetime.UTC

# The schedule ------------------------------------------------------------------------------------------------


def test_beat_uses_the_database_scheduler_and_writes_each_run_down_at_once():
    assert settings.CELERY_BEAT_SCHEDULER == "escalation.beat:DatabaseScheduler"
    assert settings.CELERY_BEAT_SYNC_EVERY == 1


def test_daily_retention_runs_at_a_fixed_time_and_sessions_are_cleared_hourly():
    schedule = settings.CELERY_BEAT_SCHEDULE
    retention = schedule["apply-retention"]
    assert retention["task"] == "escalation.apply_retention"
    assert retention["schedule"] == crontab(minute=settings.RETENTION_MINUTE_UTC, hour=settings.RETENTION_HOUR_UTC)
    assert schedule["clear-sessions"] == {"task": "escalation.clear_sessions", "schedule": crontab(minute=15)}
    for name in ("sweep-deadlines", "deliver-notifications", "render-pending-records"):
        assert schedule[name]["options"]["expire_seconds"] >= 10, name


def beat_schedule(scheduler_class, last_retention_run: datetime.datetime | None = None) -> dict:
    """What a freshly started beat loads from the database, after its entries are written there."""
    scheduler = scheduler_class(app=celery_app, lazy=True)
    try:
        scheduler.setup_schedule()
        if last_retention_run is not None:
            PeriodicTask.objects.filter(name="apply-retention").update(last_run_at=last_retention_run)
        return scheduler.all_as_schedule()
    finally:
        scheduler._finalize.cancel()


def test_beat_writes_every_scheduled_task_into_the_database_shown_in_the_admin(transactional_db):
    beat_schedule(DatabaseScheduler)
    tasks = {task.name: task for task in PeriodicTask.objects.all()}
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(tasks)
    retention = tasks["apply-retention"]
    assert (retention.crontab.hour, retention.crontab.minute) == (
        str(settings.RETENTION_HOUR_UTC),
        str(settings.RETENTION_MINUTE_UTC),
    )
    assert tasks["clear-sessions"].crontab.minute == "15" and tasks["clear-sessions"].crontab.hour == "*"
    sweep = tasks["sweep-deadlines"]
    assert sweep.interval.every == settings.DEADLINE_SWEEP_SECONDS
    assert sweep.expire_seconds == int(max(5 * settings.DEADLINE_SWEEP_SECONDS, 10))

    admin = get_user_model().objects.create_superuser("beat-admin", "beat-admin@example.org", "a-long-password-1")
    client = Client()
    login(client, admin)
    page = client.get("/admin/django_celery_beat/periodictask/")
    assert page.status_code == 200
    assert "apply-retention" in page.content.decode()


@pytest.mark.parametrize(("scheduler_class", "runs"), [(DatabaseScheduler, True), (StockDatabaseScheduler, False)])
def test_a_daily_run_missed_while_beat_was_down_runs_when_it_comes_back(transactional_db, scheduler_class, runs):
    """Beat back at 10:00 UTC; retention last ran yesterday at its time, so today's run is due. The stock scheduler
    would not even load the task until about two hours before its time tomorrow."""
    hour, minute = settings.RETENTION_HOUR_UTC, settings.RETENTION_MINUTE_UTC
    back_at = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    yesterdays_run = datetime.datetime(2026, 12, 1, hour, minute, 5, tzinfo=UTC)
    with time_machine.travel(back_at, tick=False):
        entry = beat_schedule(scheduler_class, last_retention_run=yesterdays_run).get("apply-retention")
        due_now = entry is not None and entry.is_due().is_due
    assert due_now is runs


def test_a_daily_run_already_done_today_is_not_run_again_after_a_restart(transactional_db):
    hour, minute = settings.RETENTION_HOUR_UTC, settings.RETENTION_MINUTE_UTC
    with time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=UTC), tick=False):
        todays_run = datetime.datetime(2026, 12, 2, hour, minute, 5, tzinfo=UTC)
        entry = beat_schedule(DatabaseScheduler, last_retention_run=todays_run)["apply-retention"]
        assert entry.is_due().is_due is False


# The system check --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "refused"),
    [
        ({"DEBUG": False, "CELERY_BROKER_URL": "memory://"}, True),
        ({"DEBUG": True, "PRODUCTION": True, "CELERY_BROKER_URL": "memory://"}, True),
        ({"DEBUG": False, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}, False),
        ({"DEBUG": True, "CELERY_BROKER_URL": "memory://"}, False),
        ({"DEBUG": False, "CELERY_BROKER_URL": "memory://", "DEADLINES_SWEPT_IN_PROCESS": True}, False),
    ],
    ids=["debug-off-no-redis", "production-no-redis", "redis", "development", "serve-sweeps-in-process"],
)
def test_settings_that_would_leave_deadlines_unswept_are_refused(overrides, refused):
    with override_settings(**overrides):
        problems = check_deadlines_are_swept()
    if refused:
        (problem,) = problems
        assert isinstance(problem, Error) and problem.id == "escalation.E001"
        assert "Nothing would sweep deadlines" in problem.msg and "REDIS_URL" in problem.hint
    else:
        assert problems == []


def test_manage_py_check_deploy_fails_on_it():
    refused = pytest.raises(SystemCheckError, match="Nothing would sweep deadlines")
    with override_settings(DEBUG=False, CELERY_BROKER_URL="memory://"), refused:
        call_command("check", "--deploy", tags=["deadlines"])


def test_serve_without_redis_sweeps_itself_so_its_checks_pass(db, monkeypatch):
    ran = {}

    def runserver(name, *args, **kwargs):
        refuse_to_serve_unswept()  # what loading escalation.wsgi does
        ran[name] = check_deadlines_are_swept()

    monkeypatch.setattr(serve, "call_command", runserver)
    monkeypatch.setattr(serve.EmbeddedEnforcer, "start", lambda self: None)
    with override_settings(DEBUG=False, REDIS_URL="", CELERY_BROKER_URL="memory://"):
        call_command("serve", stdout=io.StringIO())
    assert ran == {"runserver": []}


# load_demo ---------------------------------------------------------------------------------------------------


@override_settings(PRODUCTION=True)
def test_load_demo_refuses_production_settings(db):
    users = get_user_model().objects.count()
    with pytest.raises(CommandError, match="--i-know-this-is-production"):
        call_command("load_demo")
    assert get_user_model().objects.count() == users


@override_settings(PRODUCTION=True)
def test_load_demo_runs_in_production_only_when_told_so(db, monkeypatch):
    loaded = []
    monkeypatch.setattr(load_demo_command, "load_demo", lambda: loaded.append(1) or {"disputes": 24, "users": 32})
    out = io.StringIO()
    call_command("load_demo", "--i-know-this-is-production", stdout=out)
    assert loaded == [1]
    assert "Demo data ready: 24 new disputes, 32 users." in out.getvalue()


def test_the_production_settings_module_is_production_for_load_demo():
    result = subprocess.run(
        [sys.executable, "manage.py", "load_demo"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "These are production settings" in result.stderr
    assert "--i-know-this-is-production" in result.stderr


def unswept_env() -> dict[str, str]:
    """Settings a server might be started with by mistake: DEBUG off, no Redis, not `manage.py serve`."""
    env = {key: value for key, value in production_env().items() if key != "REDIS_URL"}
    env.update(DJANGO_SETTINGS_MODULE="escalation.settings.local", DEBUG="0")
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_refuses_a_server_with_debug_off_and_no_redis():
    result = run(["manage.py", "check", "--deploy"], unswept_env())
    assert result.returncode != 0
    assert "escalation.E001" in result.stderr and "Nothing would sweep deadlines" in result.stderr


def test_the_wsgi_application_will_not_start_with_nothing_to_sweep_deadlines():
    refused = run(["-c", "import escalation.wsgi"], unswept_env())
    assert refused.returncode != 0
    assert "ImproperlyConfigured: Nothing would sweep deadlines" in refused.stderr
    with_redis = {**unswept_env(), "REDIS_URL": "redis://127.0.0.1:9/0"}
    assert run(["-c", "import escalation.wsgi"], with_redis).returncode == 0


def test_commands_that_do_the_work_by_hand_are_not_stopped_by_it():
    """`migrate`, `sweep_deadlines` and the rest run their ordinary checks, which leave this to --deploy."""
    result = run(["manage.py", "check"], unswept_env())
    assert result.returncode == 0, result.stderr
