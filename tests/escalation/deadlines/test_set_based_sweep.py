"""The set-based sweep writes what the per-row sweep wrote, exactly once, in a fixed number of queries per batch.

The per-row sweep is kept as a reference in bench/per_row_sweep.py; both run here on the same generated world
(`manage.py generate_disputes`), one after the other, each rolled back, and the rows they write are compared.
"""

import datetime
import io
import json
import os
import signal
import subprocess
import sys
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.models import Membership, Role
from bench.per_row_sweep import sweep_per_row
from escalation.access.models import DisputeAccess
from escalation.audit.models import AuditEvent
from escalation.deadlines import sweep as set_based
from escalation.deadlines.models import Deadline
from escalation.notifications.models import Notification
from policies.models import DeadlineRule
from tests.conftest import build_world
from tests.fixtures_services import ROOT, bulk_due_deadlines, database_url_for_subprocesses, wait_until

NOW = datetime.datetime(2026, 3, 4, 17, 30, tzinfo=datetime.UTC)
#: The sweep at the generated moment, then as if it next ran a day, three days and a fortnight later.
MOMENTS = [NOW, NOW + datetime.timedelta(days=1), NOW + datetime.timedelta(days=3), NOW + datetime.timedelta(days=14)]
#: Every kind of recipient a rule can name, on one rule, so both sweeps find each kind of person.
EVERY_KIND = [
    {"kind": "raiser"},
    {"kind": "stage_actors", "sides": "both"},
    {"kind": "role", "role": "manager", "sides": "other"},
    {"kind": "role", "role": "business_manager", "sides": "both"},
    {"kind": "office", "office": "cp_chair"},
    {"kind": "office", "office": "director_childrens_services"},  # nobody holds it: the business manager hears
    {
        "kind": "any_of",
        "of": [{"kind": "role", "role": "dsl", "sides": "raising"}, {"kind": "office", "office": "iro"}],
    },
]


@pytest.fixture
def generated(db):
    call_command(
        "generate_disputes", "400", "--partnerships", "5", "--unswept", "0.7", "--now", NOW.isoformat(),
        stdout=io.StringIO(),
    )  # fmt: skip
    DeadlineRule.objects.filter(name__in=["stage-1", "stage-2"]).update(remind_to=EVERY_KIND, breach_to=EVERY_KIND)
    # Posts nobody holds: the designated safeguarding leads of one partnership's agencies.
    Membership.objects.filter(role=Role.DSL, agency__partnership__slug="generated-1").delete()


def marks() -> dict[str, int]:
    return {
        model.__name__: model.objects.aggregate(top=Max("pk"))["top"] or 0
        for model in (AuditEvent, Notification, DisputeAccess)
    }


def written(since: dict[str, int]) -> dict[str, list]:
    """Everything a sweep changed or wrote since `since`, in a form that does not depend on row ids it made."""
    return {
        "deadlines": sorted(
            Deadline.objects.filter(Q(reminded_at__gte=NOW) | Q(breached_at__gte=NOW)).values_list(
                "pk", "reminded_at", "breached_at"
            )
        ),
        "audit": sorted(
            # An access row's id is new in each run (sequences are not rolled back): compared by what it holds.
            (a, d, t, "" if t == "DisputeAccess" else o, json.dumps(after, sort_keys=True), label, at)
            for a, d, t, o, after, label, at in AuditEvent.objects.filter(pk__gt=since["AuditEvent"]).values_list(
                "action", "dispute_id_value", "object_type", "object_id", "after", "actor_label", "at"
            )
        ),
        "notifications": sorted(
            Notification.objects.filter(pk__gt=since["Notification"]).values_list(
                "dispute_id",
                "recipient_id",
                "event",
                "role",
                "deadline_id",
                "headline",
                "message",
                "email_status",
                "created_at",
            )
        ),  # fmt: skip
        "access": sorted(
            DisputeAccess.objects.filter(pk__gt=since["DisputeAccess"]).values_list(
                "dispute_id", "user_id", "office", "reason", "granted_at"
            )
        ),
    }


def run_and_roll_back(sweeper) -> tuple[list[dict], dict[str, list]]:
    before = marks()
    with transaction.atomic():
        results = [sweeper(now=moment, batch_size=25).as_dict() for moment in MOMENTS]
        rows = written(before)
        transaction.set_rollback(True)
    return results, rows


def test_the_set_based_sweep_writes_exactly_what_the_per_row_sweep_wrote(generated):
    per_row_results, per_row = run_and_roll_back(sweep_per_row)
    set_based_results, set_based_rows = run_and_roll_back(set_based.sweep)
    assert set_based_results == per_row_results
    for table in per_row:
        assert set_based_rows[table] == per_row[table], table
    # The world held every case worth comparing.
    events = {event for _, _, event, *_ in per_row["notifications"]}
    assert {"deadline_near", "deadline_breached", "unfilled_role"} <= events
    assert sum(r["breached"] for r in per_row_results) > 30 and sum(r["reminded"] for r in per_row_results) > 5
    assert {office for _, _, office, *_ in per_row["access"]} == {"cp_chair", "iro"}
    assert {a for a, *_ in per_row["audit"]} >= {"deadline.breached", "deadline.reminded", "dispute.access_granted"}


def test_claimed_rows_are_marked_only_where_still_unmarked(bcssp):
    rows = bulk_due_deadlines(bcssp, 3, due_at=NOW - datetime.timedelta(hours=1))
    Deadline.objects.filter(pk=rows[0].pk).update(breached_at=NOW - datetime.timedelta(minutes=5))
    Deadline.objects.filter(pk=rows[1].pk).update(closed_at=NOW - datetime.timedelta(minutes=5))
    everything = Deadline.objects.filter(pk__in=[r.pk for r in rows])  # not filtered to the due rows on purpose
    with transaction.atomic():
        assert set_based._claim(set_based.BREACH, everything, NOW, 10) == [rows[2].pk]
    assert set_based.record_breach(rows[2], NOW) is None  # already taken
    assert AuditEvent.objects.filter(action="deadline.breached").count() == 0  # _claim alone audits nothing


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is proven on PostgreSQL (make test)")
def test_a_row_another_transaction_holds_is_skipped_and_taken_by_the_next_sweep(transactional_db):
    world = build_world("bcssp", "LOCK")
    rows = bulk_due_deadlines(world, 5, due_at=timezone.now() - datetime.timedelta(hours=1))
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            Deadline.objects.select_for_update().get(pk=rows[0].pk)
            held.set()
            release.wait(30)
        connection.close()
        done.set()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(30)
    try:
        first = set_based.sweep(now=timezone.now())
    finally:
        release.set()
        thread.join()
    assert first.breached == 4
    assert not Deadline.objects.get(pk=rows[0].pk).breached_at
    assert set_based.sweep(now=timezone.now()).breached == 1
    assert Notification.objects.filter(deadline__in=rows, event="deadline_breached").count() == 10


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database other processes can reach")
def test_a_sweep_killed_part_way_loses_nothing_and_the_next_sends_nothing_twice(transactional_db):
    world = build_world("bcssp", "KILLED")
    rows = bulk_due_deadlines(world, 1500, due_at=timezone.now() - datetime.timedelta(hours=1))
    ids = [r.pk for r in rows]
    now = timezone.now().isoformat()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "escalation.settings.local", "DEBUG": "0", "REDIS_URL": ""}
    env.update(DATABASE_URL=database_url_for_subprocesses(), DEADLINE_SWEEP_BATCH_SIZE="10")
    command = [sys.executable, "manage.py", "sweep_deadlines", "--skip-checks", "--now", now]
    sweeping = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def breached() -> int:
        return Deadline.objects.filter(pk__in=ids, breached_at__isnull=False).count()

    try:
        part_way = wait_until(lambda: breached() or None, timeout=60, interval=0.01, message="the first batches")
        sweeping.send_signal(signal.SIGKILL)
        sweeping.wait(30)
    finally:
        if sweeping.poll() is None:
            sweeping.kill()
    killed_at = breached()
    assert part_way < len(ids) and killed_at < len(ids), "the sweep should be killed while it still has rows to take"
    second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    assert json.loads(second.stdout.strip().splitlines()[-1])["breached"] == len(ids) - killed_at
    assert breached() == len(ids)
    per_deadline = Notification.objects.filter(deadline__in=ids).values("deadline").annotate(n=Count("id"))
    assert len(per_deadline) == len(ids) and {row["n"] for row in per_deadline} == {2}
    assert AuditEvent.objects.filter(action="deadline.breached").count() == len(ids)


def test_a_guide_row_says_so_and_is_reminded_but_never_claimed_as_breached(world_for):
    world = world_for("chscp", "GUIDE")
    dispute = world.raise_dispute(now=NOW)
    guide = dispute.deadlines.get(rule__name="stage-1")
    assert guide.guide and not dispute.deadlines.exclude(pk=guide.pk).filter(guide=True).exists()
    later = guide.due_at + datetime.timedelta(days=2)
    assert not set_based.breaches_due(later).filter(pk=guide.pk).exists()
    Deadline.objects.filter(pk=guide.pk).update(guide=False)  # a row whose flag is wrong is still never breached
    assert not set_based.breaches_due(later).filter(pk=guide.pk).exists()


def test_with_nothing_due_a_sweep_is_one_query(bcssp):
    bulk_due_deadlines(bcssp, 5, due_at=NOW + datetime.timedelta(days=3), remind_at=NOW + datetime.timedelta(days=2))
    with CaptureQueriesContext(connection) as queries:
        assert set_based.sweep(now=NOW).as_dict() == {"reminded": 0, "breached": 0, "notifications_queued": 0}
    assert len(queries) == 1
