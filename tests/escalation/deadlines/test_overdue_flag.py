"""`OverdueDispute`, the stored answer to "has an open deadline of this dispute been missed?".

The register filters on it (at a million disputes an EXISTS over the deadlines took over 100 ms a page); triggers on
the deadline table keep it, whichever path writes deadlines. Each test compares it with the rule itself
(`escalation.deadlines.overdue.overdue_deadlines`, asked of the deadlines).
"""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from escalation.deadlines.models import Deadline, OverdueDispute
from escalation.deadlines.overdue import overdue_deadlines
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.disputes.deadline_changes import extend_deadline
from escalation.disputes.models import Dispute
from escalation.disputes.register import RegisterFilters, apply_filters
from tests.conftest import build_world, london
from tests.fixtures_services import bulk_due_deadlines

RAISED = london(2026, 3, 2, 10)  # BCSSP stage 1 (2 working days) falls due Wednesday 4 March 17:00.
MISSED = london(2026, 3, 4, 17, 1)


def stored(dispute: Dispute) -> bool:
    """The stored answer, checked against the rule it stores."""
    flag = OverdueDispute.objects.filter(dispute_id=dispute.pk).exists()
    rule = overdue_deadlines().filter(dispute_id=dispute.pk).exists()
    assert flag == rule, "the stored flag disagrees with the deadlines"
    return flag


@pytest.fixture
def dispute(bcssp):
    return bcssp.raise_dispute(now=RAISED)


def test_a_breach_by_the_sweep_makes_the_dispute_overdue(dispute):
    assert not stored(dispute)
    assert sweep(now=MISSED).breached == 1
    assert stored(dispute)


def test_saving_a_dispute_read_before_the_breach_keeps_it_overdue(bcssp, dispute):
    read_before = Dispute.objects.get(pk=dispute.pk)
    sweep(now=MISSED)
    read_before.escalation_reason = "Saved with the flag it was read with."
    read_before.save()
    assert stored(dispute)
    # And through a service, which locks, reads and saves the dispute.
    services.add_record_entry(
        dispute=read_before,
        author=bcssp.teacher,
        kind="discussion",
        text="Called again.",
        occurred_on=datetime.date(2026, 3, 5),
        now=london(2026, 3, 5, 9),
    )
    assert stored(dispute)


def test_extending_the_missed_deadline_into_the_future_clears_it_and_a_later_miss_sets_it_again(bcssp, dispute):
    sweep(now=MISSED)
    row = dispute.deadlines.get(rule__name="stage-1", closed_at__isnull=True)
    extend_deadline(
        deadline=row, by=bcssp.business_manager, working_days=3, reason="Agreed.", now=london(2026, 3, 5, 9)
    )
    assert not stored(dispute)
    sweep(now=london(2026, 3, 9, 17, 1))
    assert stored(dispute)


def test_moving_on_a_stage_closes_the_missed_deadline_and_clears_it(bcssp, dispute):
    sweep(now=MISSED)
    escalated = bcssp.escalate(dispute, london(2026, 3, 5, 9))
    assert escalated.current_stage == 2
    assert not stored(dispute)


def test_withdrawing_the_dispute_clears_it(bcssp, dispute):
    sweep(now=MISSED)
    services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.teacher, reason="Sorted.", now=london(2026, 3, 5))
    assert not stored(dispute)


def test_rows_inserted_updated_and_deleted_in_bulk_keep_it(bcssp):
    rows = bulk_due_deadlines(bcssp, 3, due_at=RAISED)
    disputes = [row.dispute for row in rows]
    Deadline.objects.filter(pk__in=[row.pk for row in rows]).update(breached_at=MISSED)
    assert [stored(d) for d in disputes] == [True, True, True]
    # A second open, missed deadline on the first: closing one of them leaves it overdue.
    second = Deadline.objects.get(pk=rows[0].pk)
    second.pk, second.rule = None, disputes[0].policy_version.deadline_rules.get(name="stage-2")
    second.save()
    Deadline.objects.filter(pk=rows[0].pk).update(closed_at=MISSED)
    Deadline.objects.filter(pk=rows[1].pk).delete()
    assert [stored(d) for d in disputes] == [True, False, True]
    Deadline.objects.filter(dispute=disputes[0]).update(closed_at=MISSED)
    assert not stored(disputes[0])


def test_the_register_filter_reads_the_stored_answer_not_the_deadlines(bcssp, dispute):
    filtered = apply_filters(Dispute.objects.all(), RegisterFilters(overdue=True))
    assert Deadline._meta.db_table not in str(filtered.query)
    assert not filtered.exists()
    sweep(now=MISSED)
    assert list(filtered) == [dispute]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED is proven on PostgreSQL (make test)")
def test_the_sweep_skips_a_breach_whose_dispute_a_change_holds_and_the_next_sweep_takes_it(transactional_db):
    """A person's change holds the dispute and may next write its deadlines: a sweep that waited for that dispute
    while holding those deadlines would deadlock with it. It skips the row instead."""
    world = build_world("bcssp", "HELD")
    rows = bulk_due_deadlines(world, 5, due_at=timezone.now() - datetime.timedelta(hours=1))
    held, release = threading.Event(), threading.Event()

    def change() -> None:
        with transaction.atomic():
            Dispute.objects.select_for_update().get(pk=rows[0].dispute_id)
            held.set()
            release.wait(30)
            Deadline.objects.filter(pk=rows[0].pk).update(remind_at=timezone.now())
        connection.close()

    thread = threading.Thread(target=change)
    thread.start()
    assert held.wait(30)
    try:
        first = sweep(now=timezone.now())
    finally:
        release.set()
        thread.join()
    assert first.breached == 4
    assert not stored(rows[0].dispute) and all(stored(row.dispute) for row in rows[1:])
    assert sweep(now=timezone.now()).breached == 1
    assert stored(rows[0].dispute)


def test_one_statement_that_clears_one_missed_deadline_and_misses_another_keeps_it(bcssp):
    rows = bulk_due_deadlines(bcssp, 2, due_at=RAISED)
    first, second = rows
    Deadline.objects.filter(pk=first.pk).update(breached_at=MISSED)
    # Both rows of the second dispute in one statement: its missed row closes while the other is missed.
    other = Deadline.objects.get(pk=second.pk)
    other.pk, other.rule = None, second.dispute.policy_version.deadline_rules.get(name="stage-2")
    other.save()
    Deadline.objects.filter(pk=second.pk).update(breached_at=MISSED)
    assert stored(second.dispute)
    Deadline.objects.filter(dispute=second.dispute).update(
        closed_at=Case(When(pk=second.pk, then=Value(MISSED)), default=None),
        breached_at=Value(MISSED),
    )
    assert stored(second.dispute) and stored(first.dispute)


def test_a_missed_deadline_moved_to_another_dispute_takes_the_flag_with_it(bcssp):
    first, second = bulk_due_deadlines(bcssp, 2, due_at=RAISED)
    Deadline.objects.filter(pk=first.pk).update(breached_at=MISSED)
    stage_2 = second.dispute.policy_version.deadline_rules.get(name="stage-2")
    Deadline.objects.filter(pk=first.pk).update(dispute=second.dispute, rule=stage_2)
    assert not stored(first.dispute) and stored(second.dispute)
    # Moved with a missed deadline of the other dispute coming back: both are overdue.
    Deadline.objects.filter(pk=second.pk).update(breached_at=MISSED, dispute=first.dispute)
    assert stored(first.dispute) and stored(second.dispute)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers' statistics are PostgreSQL's")
def test_a_batch_of_breaches_makes_disputes_overdue_without_asking_their_other_deadlines(bcssp):
    """A deadline that becomes missed makes its dispute overdue whatever its other deadlines say. The trigger used to
    ask them for every row (and for a big batch read every missed deadline in the table): the sweep's marking then
    slowed as missed deadlines accumulated. Only a deadline that stops being missed needs them asked."""
    already_missed = bulk_due_deadlines(bcssp, 20, due_at=RAISED, tag="M")
    Deadline.objects.filter(pk__in=[row.pk for row in already_missed]).update(breached_at=MISSED)
    rows = bulk_due_deadlines(bcssp, 30, due_at=RAISED)

    def lookups() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_get_xact_numscans('deadline_overdue'::regclass)")
            return cursor.fetchone()[0]

    before = lookups()
    assert sweep(now=MISSED, tell=False).breached == len(rows)
    assert lookups() == before
    assert all(stored(row.dispute) for row in rows)
    # Closing one asks again (its dispute may have another missed deadline).
    Deadline.objects.filter(pk=rows[0].pk).update(closed_at=MISSED)
    assert lookups() > before
    assert not stored(rows[0].dispute)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the table statistics are PostgreSQL's")
def test_a_batch_of_breaches_writes_no_dispute_row(bcssp):
    """Marking a dispute overdue writes a narrow row of its own, never the dispute's row: a new version of that row
    wrote an entry in each of the dispute table's indexes, four times the sweep's own cost of a breach."""
    rows = bulk_due_deadlines(bcssp, 30, due_at=RAISED)

    def dispute_rows_written() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_get_xact_tuples_updated(%s::regclass)", [Dispute._meta.db_table])
            return cursor.fetchone()[0]

    before = dispute_rows_written()
    assert sweep(now=MISSED, tell=False).breached == len(rows)
    assert dispute_rows_written() == before
    assert all(stored(row.dispute) for row in rows)
