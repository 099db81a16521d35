"""Deadlines and e-mail under failure: real Redis, a real Celery worker and beat, real PostgreSQL, real SMTP.

Judged by work done (deadlines recorded, e-mails counted at the SMTP catcher by notification id), never by
a live PID. Worker and beat run on the test database with one-second schedules (tests/fixtures_services.py).
"""

import datetime
import json
import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from escalation.audit.models import AuditEvent
from escalation.celery import app as celery_app
from escalation.deadlines.models import Deadline
from escalation.notifications.delivery import undeliverable_for_partnership
from escalation.notifications.models import Notification
from tests.conftest import build_world
from tests.fixtures_services import ROOT, bulk_due_deadlines, database_url_for_subprocesses, wait_until

Status = Notification.EmailStatus


def outbox_rows(world, users) -> list[Notification]:
    dispute = world.raise_dispute(now=timezone.now() - datetime.timedelta(hours=2))
    Notification.objects.all().delete()
    now = timezone.now()
    return [
        Notification.objects.create(
            dispute=dispute,
            recipient=user,
            event="deadline_breached",
            headline=f"{dispute.reference}: deadline missed",
            created_at=now,
            email_next_attempt_at=now,
        )
        for user in users
    ]


def emails_settled(ids) -> bool:
    rows = Notification.objects.filter(pk__in=ids)
    return not rows.filter(email_status__in=[Status.PENDING, Status.FAILED]).exists()


def assert_each_sent_exactly_once(smtp, ids) -> None:
    time.sleep(1)  # time for a duplicate, if there were going to be one
    counts = smtp.handler.counts()
    assert {nid: counts.get(str(nid), 0) for nid in ids} == dict.fromkeys(ids, 1)
    assert set(counts) <= {str(nid) for nid in Notification.objects.values_list("id", flat=True)}


@pytest.mark.services
def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(celery_stack, smtp_catcher, redis_server):
    world = build_world("bcssp", "KILL")
    users = [world.teacher, world.head, world.senior, world.team_manager, world.social_worker, world.service_manager]
    rows = outbox_rows(world, users)
    ids = [row.pk for row in rows]
    stalled = world.team_manager
    smtp_catcher.handler.stall_once[stalled.email] = 30  # the worker is mid-conversation when killed
    celery_stack.start_worker()  # no beat: the killed task's own message must come back
    with celery_app.connection_for_write(redis_server.url) as broker:
        for notification_id in ids:
            celery_app.send_task("escalation.deliver_notification", args=[notification_id], connection=broker)
    wait_until(smtp_catcher.handler.stalled.is_set, timeout=60, message="the worker to reach the stalled address")
    killed = celery_stack.kill_worker_child()
    wait_until(lambda: emails_settled(ids), timeout=90, message="every e-mail to be sent after the kill")
    assert_each_sent_exactly_once(smtp_catcher, ids)
    assert set(Notification.objects.filter(pk__in=ids).values_list("email_status", flat=True)) == {Status.SENT}
    assert Notification.objects.get(recipient=stalled).email_attempts == 2
    assert killed not in celery_stack.worker_children()
    assert "SIGKILL" in celery_stack.log("worker")


#: How kombu 5.7 can stop a worker when Redis goes away while a task runs: closing the lost channel, it gives the task's
#: message back through a connection it has already let go of. Production runs workers under a supervisor (compose's
#: `restart: unless-stopped`, `make stack`'s scripts/supervise.py), which starts such a worker again.
KOMBU_CLOSE_FAILURE = ("Unrecoverable error: AttributeError", "restore_unacked_once")


def start_again_if_stopped_by_kombu(stack, name: str, env: dict, *, as_deployed: bool = True) -> int:
    """Act as the supervisor for the one known failure: start the worker again if kombu stopped it that way (1),
    leave it if it runs (0); a worker that stopped for any other reason fails the test."""
    if stack.workers[name].poll() is None:
        return 0
    log = stack.log(name)
    assert all(sign in log for sign in KOMBU_CLOSE_FAILURE), log[-3000:]
    stack.start_worker(name, as_deployed=as_deployed, **env)
    return 1


@pytest.mark.services
def test_redis_stopped_during_a_sweep_and_restarted_loses_nothing(celery_stack, smtp_catcher, redis_server):
    world = build_world("bcssp", "REDIS")
    first = bulk_due_deadlines(world, 60, due_at=timezone.now() - datetime.timedelta(hours=1), tag="R1")
    # Small batches, so that the sweep is seen part-way through.
    env = {"DEADLINE_SWEEP_BATCH_SIZE": "5"}
    celery_stack.start_worker(**env)
    celery_stack.start_beat(**env)

    def breached(rows) -> int:
        return Deadline.objects.filter(pk__in=[r.pk for r in rows], breached_at__isnull=False).count()

    part_way = wait_until(lambda: breached(first) or None, timeout=60, interval=0.02, message="the first sweep")
    redis_server.stop()  # SIGKILL: whatever Redis held (queued sweeps and e-mails) is gone
    assert part_way < len(first), "Redis should go down while the sweep is still running"
    second = bulk_due_deadlines(world, 20, due_at=timezone.now() - datetime.timedelta(minutes=1), tag="R2")
    time.sleep(3)  # beat ticks while Redis is down
    redis_server.start()
    start_again_if_stopped_by_kombu(celery_stack, "worker", env, as_deployed=False)

    everything = first + second
    wait_until(lambda: breached(everything) == len(everything), timeout=90, message="every deadline breached")
    notices = Notification.objects.filter(deadline__in=everything, event="deadline_breached")
    wait_until(lambda: emails_settled(notices.values("id")), timeout=90, message="every breach e-mail sent")
    per_deadline = notices.values("deadline").annotate(n=Count("id"), people=Count("recipient", distinct=True))
    assert len(per_deadline) == len(everything)
    assert {(row["n"], row["people"]) for row in per_deadline} == {(2, 2)}  # head and team manager, once each
    assert AuditEvent.objects.filter(action="deadline.breached").count() == len(everything)
    assert_each_sent_exactly_once(smtp_catcher, list(notices.values_list("id", flat=True)))


def sweeps_done_by(stack, name: str, since: int) -> int:
    """Sweeps the worker `name` finished after the first `since` characters of its log."""
    return sum(
        1
        for line in stack.log(name)[since:].splitlines()
        if "escalation.sweep_deadlines[" in line and " succeeded in " in line
    )


def unexplained_errors(log: str) -> list[str]:
    """Error lines of a worker's log other than kombu's known close failure (one per time it stopped a worker)."""
    noted = [line for line in log.splitlines() if "Error on restarting" in line or "AttributeError" in line]
    return [line for line in noted if "NoneType' object has no attribute 'hostname'" not in line]


@pytest.mark.services
def test_two_workers_and_beat_come_through_ten_redis_restarts_and_both_go_on_sweeping(
    celery_stack, smtp_catcher, redis_server
):
    """Redis killed (SIGKILL) ten times while the sweep is working: nothing is lost or sent twice, and both workers
    go on sweeping. A worker stopped by kombu's known close failure is started again, as production's supervisor
    would; one that stops for any other reason fails the test."""
    world = build_world("bcssp", "TEN")
    # E-mail leases longer than a whole SMTP conversation on a loaded machine: a lease that ran out mid-send would
    # let a second worker send the same e-mail, which is not what this test is about.
    env = {"DEADLINE_SWEEP_BATCH_SIZE": "2", "EMAIL_DELIVERY_LEASE_SECONDS": "30", "EMAIL_TIMEOUT": "10"}
    names = ("one", "two")
    for name in names:
        celery_stack.start_worker(name, as_deployed=True, **env)
    celery_stack.start_beat(**env)

    def breached(rows) -> int:
        return Deadline.objects.filter(pk__in=[r.pk for r in rows], breached_at__isnull=False).count()

    everything = []
    started_again = 0
    for restart in range(10):
        # Enough rows that a sweep (small batches, one transaction each) is still running when Redis dies.
        batch = bulk_due_deadlines(world, 30, due_at=timezone.now() - datetime.timedelta(hours=1), tag=f"T{restart}")
        everything += batch
        wait_until(lambda b=batch: breached(b), timeout=90, interval=0.02, message=f"a sweep before restart {restart}")
        redis_server.stop()
        time.sleep(1)
        redis_server.start()
        time.sleep(0.5)
        started_again += sum(start_again_if_stopped_by_kombu(celery_stack, name, env) for name in names)
    time.sleep(2)  # a worker stopping at the last restart has stopped by now
    started_again += sum(start_again_if_stopped_by_kombu(celery_stack, name, env) for name in names)

    marks = {name: len(celery_stack.log(name)) for name in names}
    everything += bulk_due_deadlines(world, 15, due_at=timezone.now() - datetime.timedelta(hours=1), tag="AFTER")
    wait_until(lambda: breached(everything) == len(everything), timeout=300, message="every deadline breached")
    for name in names:
        wait_until(lambda n=name: sweeps_done_by(celery_stack, n, marks[n]), timeout=60, message=f"{name} to sweep")
    notices = Notification.objects.filter(deadline__in=everything, event="deadline_breached")
    wait_until(lambda: emails_settled(notices.values("id")), timeout=300, message="every breach e-mail sent")
    per_deadline = notices.values("deadline").annotate(n=Count("id"), people=Count("recipient", distinct=True))
    assert len(per_deadline) == len(everything)
    assert {(row["n"], row["people"]) for row in per_deadline} == {(2, 2)}
    assert AuditEvent.objects.filter(action="deadline.breached").count() == len(everything)
    assert_each_sent_exactly_once(smtp_catcher, list(notices.values_list("id", flat=True)))
    assert [celery_stack.workers[name].poll() for name in names] == [None, None]
    # Apart from kombu's close failure, the broker's channels came back cleanly each time (with gossip on, their
    # restarts failed on kombu's "'NoneType' object has no attribute ..." after every restart).
    logs = "".join(celery_stack.log(name) for name in names)
    assert unexplained_errors(logs) == []
    assert logs.count(KOMBU_CLOSE_FAILURE[0]) == started_again, "every worker kombu stopped was started again"


@pytest.mark.services
def test_smtp_refusing_or_timing_out_keeps_mail_queued_retries_and_marks_a_dead_address(
    celery_stack, smtp_catcher, redis_server
):
    world = build_world("bcssp", "SMTP")
    good, refused, busy, slow = world.teacher, world.head, world.team_manager, world.social_worker
    rows = {row.recipient_id: row for row in outbox_rows(world, [good, refused, busy, slow])}
    smtp_catcher.handler.refuse.add(refused.email)
    smtp_catcher.handler.temporary[busy.email] = 2
    smtp_catcher.handler.stall_once[slow.email] = 5  # longer than the worker's EMAIL_TIMEOUT
    celery_stack.start_worker(EMAIL_TIMEOUT="2")
    celery_stack.start_beat()
    ids = [row.pk for row in rows.values()]
    wait_until(lambda: emails_settled(ids), timeout=90, message="every e-mail sent or given up")
    status = dict(Notification.objects.filter(pk__in=ids).values_list("recipient_id", "email_status"))
    assert status == {
        good.pk: Status.SENT,
        refused.pk: Status.UNDELIVERABLE,
        busy.pk: Status.SENT,
        slow.pk: Status.SENT,
    }
    assert Notification.objects.get(pk=rows[busy.pk].pk).email_attempts == 3
    assert Notification.objects.get(pk=rows[slow.pk].pk).email_attempts == 2
    assert [n.pk for n in undeliverable_for_partnership(world.partnership)] == [rows[refused.pk].pk]
    notice = Notification.objects.get(event="email_undeliverable")
    assert notice.recipient == world.business_manager
    wait_until(lambda: emails_settled([notice.pk]), timeout=30, message="the business manager's e-mail")
    assert_each_sent_exactly_once(smtp_catcher, [rows[u.pk].pk for u in (good, busy, slow)] + [notice.pk])
    assert str(rows[refused.pk].pk) not in smtp_catcher.handler.counts()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is proven on PostgreSQL (make test)")
def test_two_sweep_processes_at_once_over_1000_due_deadlines_handle_each_once(transactional_db):
    world = build_world("bcssp", "PROC")
    rows = bulk_due_deadlines(world, 1000, due_at=timezone.now() - datetime.timedelta(hours=1))
    now = timezone.now().isoformat()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "escalation.settings.local", "DEBUG": "0", "REDIS_URL": ""}
    env.update(DATABASE_URL=database_url_for_subprocesses(), DEADLINE_SWEEP_BATCH_SIZE="50")
    command = [sys.executable, "manage.py", "sweep_deadlines", "--now", now]
    start = threading.Barrier(2)
    outputs: list = [None, None]

    def run(index: int) -> None:
        start.wait()
        outputs[index] = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(out.returncode == 0 for out in outputs), [out.stderr[-2000:] for out in outputs]
    results = [json.loads(out.stdout.strip().splitlines()[-1]) for out in outputs]
    assert sum(r["breached"] for r in results) == 1000
    assert sum(r["notifications_queued"] for r in results) == 2000
    assert Deadline.objects.filter(pk__in=[r.pk for r in rows], breached_at__isnull=False).count() == 1000
    per_deadline = Notification.objects.values("deadline").annotate(n=Count("id"))
    assert {row["n"] for row in per_deadline} == {2} and len(per_deadline) == 1000
    assert AuditEvent.objects.filter(action="deadline.breached").count() == 1000
