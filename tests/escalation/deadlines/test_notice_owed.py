"""The sweep marks deadlines without reading them into Python, and writes each owed notice once, later or at once.

Marking a batch is two statements (claim and mark; audit) whatever its size, and it sets the row's one notification
event (`breach_owed`, `reminder_owed`). Telling clears the flag in the transaction that writes the outbox rows, so a
notice is written once however many tellers run, and one owed when a sweep stopped is written by the next.
"""

import datetime
import json
import os
import subprocess
import sys
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from escalation.audit.events import event_type, payload_problems
from escalation.audit.models import AuditEvent
from escalation.deadlines import sweep
from escalation.deadlines.models import Deadline
from escalation.notifications.models import Notification
from tests.conftest import build_world
from tests.fixtures_services import ROOT, bulk_due_deadlines

NOW = datetime.datetime(2026, 3, 4, 17, 30, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_marking_a_batch_is_two_statements_and_owes_one_notice_a_deadline(bcssp):
    rows = bulk_due_deadlines(bcssp, 60, due_at=NOW - HOUR)
    with CaptureQueriesContext(connection) as queries:
        assert sweep.mark_due(sweep.BREACH, NOW, 1000) == 60
    assert len(statements(queries)) == 2, statements(queries)
    marked = Deadline.objects.filter(pk__in=[r.pk for r in rows])
    assert marked.filter(breached_at=NOW, reminded_at=NOW, breach_owed=True, reminder_owed=False).count() == 60
    assert not Notification.objects.exists(), "marking writes no notification: the telling does"
    assert AuditEvent.objects.filter(action="deadline.breached").count() == 60


def test_the_database_writes_the_audit_event_the_app_would(bcssp):
    (row,) = bulk_due_deadlines(bcssp, 1, due_at=datetime.datetime(2026, 3, 4, 9, 15, 30, 250, tzinfo=datetime.UTC))
    sweep.mark_due(sweep.BREACH, NOW, 10)
    event = AuditEvent.objects.get(action="deadline.breached")
    who = (event.at, event.actor, event.actor_label, event.partnership_id)
    assert who == (NOW, None, "system", bcssp.partnership.pk)
    assert (event.dispute_id_value, event.dispute_reference) == (row.dispute.pk, row.dispute.reference)
    assert (event.object_type, event.object_id, event.before, event.ip_address) == ("Deadline", str(row.pk), None, None)
    due = "2026-03-04T09:15:30.000250+00:00"  # microseconds in six digits, as isoformat() writes them
    assert event.after == {"rule": "stage-1", "due_at": due, "event": "deadline_breached"}
    assert payload_problems(event_type(event.action), before=event.before, after=event.after) == []


def test_a_notice_owed_when_a_sweep_stopped_is_written_by_the_next_sweep_once(bcssp):
    rows = bulk_due_deadlines(bcssp, 5, due_at=NOW - HOUR)
    sweep.mark_due(sweep.BREACH, NOW, 10)  # a sweep that stopped after marking
    later = NOW + datetime.timedelta(minutes=1)
    result = sweep.sweep(now=later)
    assert (result.breached, result.notifications_queued) == (0, 10)
    per_deadline = Notification.objects.filter(deadline__in=rows).values("deadline").annotate(n=Count("id"))
    assert {row["n"] for row in per_deadline} == {2} and len(per_deadline) == 5
    assert set(Notification.objects.values_list("created_at", flat=True)) == {later}
    assert not Deadline.objects.filter(breach_owed=True).exists()
    assert sweep.sweep(now=later + HOUR).as_dict() == {"reminded": 0, "breached": 0, "notifications_queued": 0}


def test_a_breach_that_closes_a_reminder_owes_no_reminder(bcssp):
    (row,) = bulk_due_deadlines(bcssp, 1, due_at=NOW - HOUR, remind_at=NOW - 2 * HOUR)
    result = sweep.sweep(now=NOW)
    assert (result.breached, result.reminded) == (1, 0)
    assert set(Notification.objects.filter(deadline=row).values_list("event", flat=True)) == {"deadline_breached"}
    reminded_first = bulk_due_deadlines(bcssp, 1, due_at=NOW + HOUR, remind_at=NOW - HOUR, tag="R")[0]
    sweep.mark_due(sweep.REMINDER, NOW, 10)  # reminded, its notice not yet written ...
    sweep.mark_due(sweep.BREACH, NOW + 2 * HOUR, 10)  # ... when it is breached: both are still owed
    sweep.sweep(now=NOW + 2 * HOUR)
    events = sorted(Notification.objects.filter(deadline=reminded_first).values_list("event", flat=True))
    assert events == ["deadline_breached", "deadline_breached", "deadline_near", "deadline_near"]


def test_the_idle_sweep_asks_about_owed_notices_in_its_one_query(bcssp):
    bulk_due_deadlines(bcssp, 3, due_at=NOW - HOUR)
    sweep.mark_due(sweep.BREACH, NOW, 10)
    with CaptureQueriesContext(connection) as queries:
        assert sweep._anything_due(NOW + HOUR)
    assert len(queries) == 1 and "breach_owed" in queries[0]["sql"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is proven on PostgreSQL (make test)")
def test_two_tellers_at_once_write_each_notice_once(transactional_db):
    world = build_world("bcssp", "TELLERS")
    rows = bulk_due_deadlines(world, 400, due_at=NOW - HOUR)
    assert sweep.mark_due(sweep.BREACH, NOW, 1000) == 400
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def teller() -> None:
        try:
            start.wait(30)
            sweep.tell_owed(sweep.BREACH, NOW, 7)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=teller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    per_deadline = Notification.objects.filter(deadline__in=rows).values("deadline").annotate(n=Count("id"))
    assert len(per_deadline) == 400 and {row["n"] for row in per_deadline} == {2}
    assert not Deadline.objects.filter(breach_owed=True).exists()


def test_record_breach_marks_and_tells_at_once(bcssp):
    (row,) = bulk_due_deadlines(bcssp, 1, due_at=NOW - HOUR)
    with transaction.atomic():
        sent = sweep.record_breach(row, NOW)
    assert len(sent) == 2 and row.breached_at == NOW
    assert not Deadline.objects.get(pk=row.pk).breach_owed
    assert sweep.record_breach(row, NOW) is None


def test_the_embedded_default_sweeps_on_sqlite(tmp_path):
    """The same statements on the embedded default's SQLite: a demo loaded, then everything open breached."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "escalation.settings.local", "DEBUG": "0", "REDIS_URL": ""}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'embedded.sqlite3'}"

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--verbosity", "0")
    manage("load_policies")
    manage("load_demo")
    result = json.loads(manage("sweep_deadlines", "--now", "2031-01-06T12:00:00+00:00").strip().splitlines()[-1])
    assert result["breached"] > 0 and result["notifications_queued"] > result["breached"]
    shown = manage(
        "shell",
        "-c",
        "from escalation.audit.models import AuditEvent as A; from escalation.deadlines.models import Deadline as D;"
        "e = A.objects.filter(action='deadline.breached').first(); d = D.objects.get(pk=e.object_id);"
        "print(e.after['due_at'] == d.due_at.isoformat(), e.after['rule'] == d.rule.name,"
        " D.objects.filter(breach_owed=True).count())",
    )
    assert shown.split()[-3:] == ["True", "True", "0"]


def test_the_idle_check_compiled_once_asks_at_each_sweeps_own_moment(bcssp):
    bulk_due_deadlines(bcssp, 2, due_at=NOW + 3 * HOUR, remind_at=NOW + HOUR)
    assert not sweep._anything_due(NOW)
    assert sweep._anything_due(NOW + 2 * HOUR), "a reminder is due"
    assert sweep._anything_due(NOW + 4 * HOUR), "a breach is due"
    assert not sweep._anything_due(NOW - HOUR)


class TestTheCelerySweepHandsTellingToTheWorkers:
    """Under Celery the sweep's run lasts as long as its marking: thousands of notices falling due together are
    written by `tell_owed` tasks, on the workers, alongside one another."""

    @pytest.fixture
    def handed_out(self, monkeypatch) -> list[str]:
        from escalation import tasks

        sent: list[str] = []
        monkeypatch.setattr(tasks.tell_owed, "delay", lambda: sent.append("tell_owed"))
        return sent

    def test_the_sweep_marks_and_leaves_the_notices_owed_for_the_tellers(self, bcssp, handed_out, settings):
        from escalation import tasks

        settings.DEADLINE_TELLERS = 3
        rows = bulk_due_deadlines(bcssp, 4, due_at=NOW - HOUR)
        with time_machine.travel(NOW, tick=False):
            assert tasks.sweep_deadlines() == {"reminded": 0, "breached": 4, "notifications_queued": 0}
        assert handed_out == ["tell_owed"] * 3
        assert Deadline.objects.filter(pk__in=[r.pk for r in rows], breach_owed=True).count() == 4
        assert not Notification.objects.exists()
        # Each teller writes what is still owed; a second finds nothing left.
        assert tasks.tell_owed() == Notification.objects.count() > 0
        assert tasks.tell_owed() == 0
        per_deadline = Notification.objects.values("deadline").annotate(n=Count("id")).values_list("n", flat=True)
        assert len(per_deadline) == 4 and len(set(per_deadline)) == 1

    def test_whether_anything_is_owed_is_one_query(self, bcssp):
        bulk_due_deadlines(bcssp, 2, due_at=NOW - HOUR)
        with CaptureQueriesContext(connection) as queries:
            assert not sweep.anything_owed()
        assert len(queries.captured_queries) == 1
        sweep.mark_due(sweep.BREACH, NOW, 1000)
        assert sweep.anything_owed()

    def test_with_nothing_owed_nothing_is_handed_out(self, bcssp, handed_out):
        from escalation import tasks

        with time_machine.travel(NOW, tick=False):
            tasks.sweep_deadlines()
        assert handed_out == []

    def test_when_the_workers_cannot_be_reached_the_sweep_tells_them_itself(self, bcssp, monkeypatch):
        from kombu.exceptions import OperationalError

        from escalation import tasks

        def broker_down() -> None:
            raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

        monkeypatch.setattr(tasks.tell_owed, "delay", broker_down)
        bulk_due_deadlines(bcssp, 2, due_at=NOW - HOUR)
        with time_machine.travel(NOW, tick=False):
            tasks.sweep_deadlines()
        assert not Deadline.objects.filter(breach_owed=True).exists()
        assert Notification.objects.filter(event="deadline_breached").count() > 0
