"""Schedules that survive restarts and a readiness probe that tells the truth, with a real Redis, worker and beat.

Issue 13's "Done when": /readyz turns unhealthy after the worker stops and healthy again after it restarts;
beat killed and restarted still runs the daily retention task on its day (the schedule and each task's last
run live in the database, django-celery-beat).
"""

import contextlib
import datetime
import json
import os
import signal

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from escalation.audit.models import AuditEvent
from escalation.deadlines.heartbeat import DEADLINE_SWEEP, JobHeartbeat
from escalation.disputes.models import Dispute
from policies.vocabulary import DisputeState
from tests.conftest import build_world
from tests.fixtures_services import wait_until

#: Sweeps every two seconds, so /readyz allows four: room for a busy machine, short enough for a test.
SWEEP_SECONDS = 2
SWEEP_ENV = {"DEADLINE_SWEEP_SECONDS": str(SWEEP_SECONDS)}


def readyz() -> tuple[int, dict]:
    response = Client().get("/readyz")
    return response.status_code, json.loads(response.content)


def stop_worker(stack) -> None:
    """SIGKILL the worker and its pool, as a crashed container would, and start its log afresh."""
    children = stack.worker_children()
    stack.worker.send_signal(signal.SIGKILL)
    stack.worker.wait(timeout=15)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    (stack.workdir / "worker.log").unlink(missing_ok=True)


@pytest.mark.services
@override_settings(DEADLINE_SWEEP_SECONDS=SWEEP_SECONDS)
def test_readyz_goes_unhealthy_when_the_worker_stops_and_healthy_when_it_is_back(celery_stack):
    celery_stack.start_worker(**SWEEP_ENV)
    celery_stack.start_beat(**SWEEP_ENV)
    wait_until(lambda: readyz()[0] == 200, timeout=60, message="/readyz to be healthy with a worker sweeping")

    stop_worker(celery_stack)
    stopped_at = timezone.now()
    status, body = wait_until(
        lambda: (result := readyz())[0] == 503 and result, timeout=60, message="/readyz to notice the stopped worker"
    )
    sweep = body["checks"]["deadline_sweep"]
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert sweep["ok"] is False and sweep["limit_seconds"] == 2 * SWEEP_SECONDS
    assert JobHeartbeat.objects.get(name=DEADLINE_SWEEP).last_finished_at <= stopped_at, "nothing swept meanwhile"

    celery_stack.start_worker(**SWEEP_ENV)
    status, body = wait_until(
        lambda: (result := readyz())[0] == 200 and result, timeout=60, message="/readyz healthy with the worker back"
    )
    assert body["status"] == "ok" and body["checks"]["deadline_sweep"]["ok"] is True
    assert JobHeartbeat.objects.get(name=DEADLINE_SWEEP).last_finished_at > stopped_at, "swept by the new worker"


def last_due_moment(task: PeriodicTask, now: datetime.datetime) -> datetime.datetime:
    """The most recent moment at or before `now` when the daily crontab fell due (UTC, as beat runs)."""
    due = now.replace(hour=int(task.crontab.hour), minute=int(task.crontab.minute), second=0, microsecond=0)
    return due if due <= now else due - datetime.timedelta(days=1)


@pytest.mark.services
def test_beat_killed_and_restarted_still_runs_the_daily_retention_on_its_day(celery_stack):
    world = build_world("bcssp", "BEAT")
    old = world.raise_dispute(now=timezone.now() - datetime.timedelta(days=10))
    long_ago = timezone.now() - datetime.timedelta(days=world.partnership.retention_days + 30)
    Dispute.objects.filter(pk=old.pk).update(state=DisputeState.CLOSED, closed_at=long_ago)

    celery_stack.start_worker()
    celery_stack.start_beat()
    task = wait_until(
        lambda: PeriodicTask.objects.filter(name="apply-retention", crontab__isnull=False).first(),
        timeout=60,
        message="beat to write its schedule to the database",
    )
    assert Dispute.objects.filter(pk=old.pk).exists(), "not due yet: beat started after today's run time"

    # Beat dies. While it is down the daily run falls due (its last run was the day before its moment today).
    celery_stack.beat.send_signal(signal.SIGKILL)
    celery_stack.beat.wait(timeout=15)
    due = last_due_moment(task, timezone.now().astimezone(datetime.UTC))
    PeriodicTask.objects.filter(pk=task.pk).update(
        last_run_at=due - datetime.timedelta(days=1) + datetime.timedelta(seconds=5), total_run_count=0
    )

    celery_stack.start_beat()
    wait_until(lambda: not Dispute.objects.filter(pk=old.pk).exists(), timeout=90, message="the missed daily run")
    assert AuditEvent.objects.filter(action="dispute.removed", dispute_reference=old.reference).count() == 1
    task = wait_until(
        lambda: PeriodicTask.objects.filter(pk=task.pk, total_run_count__gt=0).first(),
        timeout=30,
        message="beat to write down the run",
    )
    assert task.total_run_count == 1
    assert due <= task.last_run_at < due + datetime.timedelta(days=1), "run on its day, after its moment"
