"""`manage.py generate_disputes`: made-up data in every state, consistent with what the app itself writes."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.db.models import Count

from agencies.models import Partnership
from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.disputes.models import Dispute, RecordEntry, StageVisit
from escalation.management.commands import generate_disputes
from escalation.notifications.models import Notification
from policies.vocabulary import DisputeState

NOW = datetime.datetime(2026, 3, 4, 17, 30, tzinfo=datetime.UTC)


@pytest.fixture
def generated(db):
    out = io.StringIO()
    call_command("generate_disputes", "300", "--partnerships", "5", "--now", NOW.isoformat(), stdout=out)
    return out.getvalue()


def test_it_builds_disputes_in_every_state_with_their_rows(generated):
    assert "300 of 300 disputes made" in generated and "Done in" in generated
    assert Dispute.objects.count() == 300
    assert Partnership.objects.filter(slug__startswith="generated-").count() == 5
    assert set(Dispute.objects.values_list("state", flat=True)) >= {
        DisputeState.CLOSED,
        DisputeState.RESOLVED,
        DisputeState.WITHDRAWN,
    }
    assert Dispute.objects.filter(closed_at__isnull=True).exists()
    assert StageVisit.objects.values("dispute").distinct().count() == 300
    assert RecordEntry.objects.exists()
    rows = Deadline.objects
    assert rows.filter(closed_at__isnull=False, met=True).exists()
    assert rows.filter(closed_at__isnull=False, met=False).exists()
    assert rows.filter(closed_at__isnull=True, breached_at__isnull=False).exists()
    assert rows.filter(closed_at__isnull=True, due_at__gt=NOW).exists()
    assert rows.filter(guide=True).exists()
    assert Notification.objects.filter(event="deadline_breached").exists()
    assert Notification.objects.filter(event="deadline_near").exists()
    assert (
        AuditEvent.objects.filter(action="deadline.breached").count() == rows.filter(breached_at__isnull=False).count()
    )
    # Nothing is left due unless asked for: everything due by the data's moment was swept.
    assert sweep(now=NOW).as_dict() == {"reminded": 0, "breached": 0, "notifications_queued": 0}


def test_unswept_leaves_reminders_and_breaches_for_the_sweep(db):
    call_command(
        "generate_disputes", "300", "--unswept", "1", "--now", NOW.isoformat(), "--seed", "7", stdout=io.StringIO()
    )
    result = sweep(now=NOW)
    assert result.breached > 0
    per_deadline = Notification.objects.filter(created_at=NOW).values("deadline").annotate(n=Count("id"))
    assert per_deadline and all(row["n"] >= 1 for row in per_deadline)


def test_a_dispute_raised_after_it_gets_the_next_reference(generated):
    partnership = Partnership.objects.get(slug="generated-1")
    year_of = Dispute.objects.filter(reference__startswith="GEN1-2026-").count()
    agencies = list(partnership.agencies.exclude(sector="partnership")[:2])
    teacher = agencies[0].memberships.filter(role="practitioner").first().user
    dispute = services.raise_dispute(
        raised_by=teacher,
        raising_agency=agencies[0],
        other_agency=agencies[1],
        subject={"kind": "child", "name": "Child Z", "date_of_birth": datetime.date(2016, 1, 1)},
        category=partnership.policy.current_version.categories[0]["key"],
        description="After the generated ones.",
        now=NOW,
    )
    assert dispute.reference == f"GEN1-2026-{year_of + 1:04d}"


def test_refuses_nonsense(db):
    with pytest.raises(CommandError):
        call_command("generate_disputes", "0", stdout=io.StringIO())
    with pytest.raises(CommandError, match="time zone"):
        call_command("generate_disputes", "5", "--now", "2026-03-04T17:30", stdout=io.StringIO())


def test_every_escalation_in_an_approvals_queue_can_be_decided_by_that_manager(generated):
    """The load test found managers refused on escalations their queue listed: the data must agree with the rule."""
    from agencies.models import Membership, Role
    from escalation.disputes.permissions import can_approve
    from escalation.disputes.worklists import approvals_for

    managers = {membership.user for membership in Membership.objects.filter(role=Role.MANAGER).select_related("user")}
    listed = [(manager, dispute) for manager in managers for dispute in approvals_for(manager)]
    assert listed
    assert all(can_approve(manager, dispute) for manager, dispute in listed)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the writer thread is for PostgreSQL (make test)")
def test_chunks_written_by_a_thread_of_their_own_are_every_row_made(transactional_db, monkeypatch):
    """Outside a transaction each chunk is written on a thread with its own connection while the next is made."""
    monkeypatch.setattr(generate_disputes, "CHUNK", 40)
    out = io.StringIO()
    call_command("generate_disputes", "130", "--partnerships", "2", "--now", NOW.isoformat(), stdout=out)
    made = out.getvalue()
    assert "130 of 130 disputes made" in made and "130 disputes written" in made
    done = made.split("Done in")[1]
    for model in (Dispute, StageVisit, RecordEntry, Deadline, Notification, AuditEvent):
        assert f" {model.objects.count():,} {model.__name__}" in done, model.__name__
    # The sequences stand after the rows written, so the app's own next rows do not collide.
    last = AuditEvent.objects.order_by("pk").last()
    assert AuditEvent.objects.create(at=NOW, action="dispute.viewed").pk > last.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the writer thread is for PostgreSQL (make test)")
def test_a_chunk_the_writer_cannot_write_stops_the_run_with_the_reason(transactional_db, monkeypatch):
    monkeypatch.setattr(generate_disputes, "CHUNK", 40)
    copy = generate_disputes._copy
    written: list[str] = []

    def fail_on_the_second_chunk(model, rows):
        written.append(model.__name__)
        if written.count("Dispute") == 2:
            raise DatabaseError("disk full")
        copy(model, rows)

    monkeypatch.setattr(generate_disputes, "_copy", fail_on_the_second_chunk)
    with pytest.raises(CommandError, match="writing the rows failed: disk full"):
        call_command("generate_disputes", "200", "--partnerships", "1", "--now", NOW.isoformat(), stdout=io.StringIO())
    assert Dispute.objects.count() == 40, "the first chunk stands; the failed one rolled back whole"
