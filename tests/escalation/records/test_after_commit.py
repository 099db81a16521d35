"""A record a policy asks for is drawn after the change commits, of the dispute as it was at that moment.

The approval (or resolution) holds the dispute's row lock; WeasyPrint can take seconds over a long record. So the
change only writes a pending snapshot, and the PDF is drawn once it has committed: by a Celery task when Redis is
there, straight after the commit without it, and by the every-minute catch-up for anything missed.
"""

import datetime
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from escalation import tasks
from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.record_files import RecordNotReady, download_record
from escalation.management.commands.serve import EmbeddedEnforcer
from escalation.notifications.models import Notification
from escalation.records import render, requirements
from escalation.records.models import RecordSnapshot
from tests.auth_helpers import login
from tests.conftest import build_world, london
from tests.escalation.records.test_records import pdf_text
from tests.web.conftest import messages_of

APPROVED_AT = london(2026, 3, 3, 11)
PROPOSED_AT = london(2026, 3, 3, 9)


def propose(world, dispute, now=PROPOSED_AT):
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No reply.", now=now)


def approve(world, dispute, now=APPROVED_AT):
    """By someone holding the next stage's approver roles (the head at stage 2, a senior manager at stage 3)."""
    services.approve_escalation(dispute=dispute, approver=world.approver_for(dispute), now=now)


@pytest.fixture
def drawn(monkeypatch):
    """Every PDF drawn, with WeasyPrint still doing the drawing."""
    calls: list[str] = []
    original = render.pdf_within_time_limit

    def spy(html, **kwargs):
        calls.append(html)
        return original(html, **kwargs)

    monkeypatch.setattr(render, "pdf_within_time_limit", spy)
    return calls


@pytest.fixture
def proposed(bcssp):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    propose(bcssp, dispute)
    return dispute


def audit_actions(dispute) -> list[str]:
    return list(
        AuditEvent.objects.filter(dispute_id_value=dispute.pk, action__startswith="record.")
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_the_approval_draws_nothing_and_the_record_is_drawn_once_it_commits(
    bcssp, proposed, drawn, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approve(bcssp, proposed)

    assert drawn == [], "WeasyPrint is not called inside the approval's transaction"
    snapshot = RecordSnapshot.objects.get(dispute=proposed)
    assert snapshot.status == RecordSnapshot.Status.PENDING and snapshot.pdf is None
    assert (snapshot.produced_at, snapshot.dispute_state) == (APPROVED_AT, "in_discussion")
    assert [recipient["role"] for recipient in snapshot.recipient_roles] == ["business_manager"]
    assert not Notification.objects.filter(dispute=proposed, event="record_required").exists(), "nothing to read yet"
    assert audit_actions(proposed) == ["record.required"]
    asked = AuditEvent.objects.get(dispute_id_value=proposed.pk, action="record.required")
    assert asked.object_id == str(snapshot.pk) and asked.after["recipients"] == snapshot.recipient_roles

    for callback in callbacks:
        callback()

    assert len(drawn) == 1
    snapshot.refresh_from_db()
    assert snapshot.status == RecordSnapshot.Status.READY
    text = pdf_text(bytes(snapshot.pdf))
    assert "Produced 3 March 2026 at 11am (UK time)" in text
    assert "Status when produced In discussion, stage 2" in text
    told = Notification.objects.get(dispute=proposed, event="record_required")
    assert told.recipient == bcssp.business_manager and "is ready to read" in told.headline
    assert "Written records" in told.message and "http" not in told.message, "the inbox links to the records"
    assert audit_actions(proposed) == ["record.required", "record.produced"]


def test_the_record_is_drawn_outside_any_transaction(transactional_db, monkeypatch):
    world = build_world("bcssp", "TXN")
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10))
    propose(world, dispute)
    inside: list[bool] = []
    original = render.pdf_within_time_limit

    def spy(html, **kwargs):
        inside.append(connection.in_atomic_block)
        return original(html, **kwargs)

    monkeypatch.setattr(render, "pdf_within_time_limit", spy)
    approve(world, dispute)
    assert inside == [False], "no transaction, so no lock on the dispute, while WeasyPrint draws"
    assert RecordSnapshot.objects.get(dispute=dispute).status == RecordSnapshot.Status.READY


def test_the_snapshot_shows_the_dispute_as_it_was_when_the_requirement_was_met(
    bcssp, proposed, django_capture_on_commit_callbacks
):
    services.add_record_entry(
        dispute=proposed,
        author=bcssp.social_worker,
        kind="discussion",
        text="Written before stage 2 was entered.",
        occurred_on=datetime.date(2026, 3, 3),
        now=london(2026, 3, 3, 10),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approve(bcssp, proposed)
    # The dispute moves on before the record is drawn (Redis was down; the catch-up comes later).
    services.add_record_entry(
        dispute=proposed,
        author=bcssp.social_worker,
        kind="discussion",
        text="Written after stage 2 was entered.",
        occurred_on=datetime.date(2026, 3, 4),
        now=london(2026, 3, 4, 9),
    )
    proposed.refresh_from_db()
    propose(bcssp, proposed, now=london(2026, 3, 5, 9))
    approve(bcssp, proposed, now=london(2026, 3, 5, 10))
    proposed.refresh_from_db()
    assert proposed.current_stage == 3

    for callback in callbacks:
        callback()

    text = pdf_text(bytes(RecordSnapshot.objects.get(dispute=proposed, stage_number=2).pdf))
    assert "Written before stage 2 was entered." in text
    assert "Written after stage 2 was entered." not in text
    assert "Status when produced In discussion, stage 2" in text
    assert "Attempts to Resolve the Disagreement at Stage 2" in text
    assert "Attempts to Resolve the Disagreement at Stage 3" not in text
    assert "Unresolved Dispute and Referral to Stage 3" not in text


def test_a_record_that_cannot_be_drawn_is_marked_failed_and_its_recipients_told(
    bcssp, proposed, monkeypatch, caplog, django_capture_on_commit_callbacks, client
):
    def broken(html):
        raise RuntimeError("renderer fell over")

    monkeypatch.setattr(render, "html_to_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        approve(bcssp, proposed)

    proposed.refresh_from_db()
    assert proposed.current_stage == 2, "the escalation stands"
    snapshot = RecordSnapshot.objects.get(dispute=proposed)
    assert snapshot.status == RecordSnapshot.Status.FAILED and snapshot.pdf is None
    told = Notification.objects.get(dispute=proposed, event="record_required")
    assert told.recipient == bcssp.business_manager
    assert "could not be saved" in told.headline
    assert "download the record as it stands now" in told.message and "http" not in told.message
    assert audit_actions(proposed) == ["record.required", "record.failed"]
    failed = AuditEvent.objects.get(dispute_id_value=proposed.pk, action="record.failed")
    assert failed.object_id == str(snapshot.pk)
    assert "could not be produced" in caplog.text

    # Not drawn again by the catch-up, and not offered for download.
    next_day = APPROVED_AT + datetime.timedelta(days=1)
    assert requirements.render_pending_records(now=next_day) == {"ready": 0, "failed": 0}
    with pytest.raises(RecordNotReady, match="could not be produced"):
        download_record(dispute=proposed, user=bcssp.business_manager, snapshot_id=snapshot.pk)
    login(client, bcssp.business_manager)
    page = client.get(reverse("dispute", args=[proposed.reference])).content.decode()
    assert "Could not be produced" in page and f"?snapshot={snapshot.pk}" not in page
    response = client.get(reverse("dispute-record-pdf", args=[proposed.reference]), {"snapshot": snapshot.pk})
    assert response["Location"] == reverse("dispute", args=[proposed.reference])
    assert "could not be produced" in messages_of(response)[0]


def test_a_pending_snapshot_is_shown_as_being_prepared_and_cannot_be_downloaded(bcssp, proposed, client):
    approve(bcssp, proposed)  # on-commit callbacks are not run: the record stays pending
    snapshot = RecordSnapshot.objects.get(dispute=proposed)
    assert snapshot.status == RecordSnapshot.Status.PENDING
    login(client, bcssp.business_manager)
    page = client.get(reverse("dispute", args=[proposed.reference])).content.decode()
    assert "Being prepared" in page and f"?snapshot={snapshot.pk}" not in page
    response = client.get(reverse("dispute-record-pdf", args=[proposed.reference]), {"snapshot": snapshot.pk})
    assert response["Location"] == reverse("dispute", args=[proposed.reference]), "back to the dispute, saying why"
    assert "still being prepared" in messages_of(response)[0]
    with pytest.raises(RecordNotReady, match="still being prepared"):
        download_record(dispute=proposed, user=bcssp.business_manager, snapshot_id=snapshot.pk)
    assert not AuditEvent.objects.filter(action="record.downloaded").exists()


def test_the_catch_up_draws_a_snapshot_left_pending(bcssp, proposed, drawn):
    approve(bcssp, proposed)  # the task queued at commit was lost
    snapshot = RecordSnapshot.objects.get(dispute=proposed)

    soon = APPROVED_AT + datetime.timedelta(minutes=1)
    assert requirements.render_pending_records(now=soon) == {"ready": 0, "failed": 0}, "left to its task a while"
    assert drawn == []

    later = APPROVED_AT + datetime.timedelta(minutes=5)
    assert requirements.render_pending_records(now=later) == {"ready": 1, "failed": 0}
    snapshot.refresh_from_db()
    assert snapshot.status == RecordSnapshot.Status.READY and bytes(snapshot.pdf).startswith(b"%PDF")
    assert "Produced 3 March 2026 at 11am (UK time)" in pdf_text(bytes(snapshot.pdf))
    told = Notification.objects.get(dispute=proposed, event="record_required")
    assert told.created_at == later

    assert requirements.render_pending_records(now=later) == {"ready": 0, "failed": 0}
    assert len(drawn) == 1


def test_a_snapshot_drawn_twice_is_stored_and_told_once(bcssp, proposed):
    approve(bcssp, proposed)
    snapshot = RecordSnapshot.objects.get(dispute=proposed)
    assert requirements.render_snapshot(snapshot_id=snapshot.pk, now=APPROVED_AT) == "ready"
    assert requirements.render_snapshot(snapshot_id=snapshot.pk, now=APPROVED_AT) == "gone"
    assert requirements.render_snapshot(snapshot_id=snapshot.pk + 1000, now=APPROVED_AT) == "gone"
    assert Notification.objects.filter(dispute=proposed, event="record_required").count() == 1
    assert audit_actions(proposed) == ["record.required", "record.produced"]


def test_with_redis_the_record_is_queued_for_a_worker_by_task_name(
    bcssp, proposed, drawn, settings, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with mock.patch.object(requirements.current_app, "send_task") as send_task:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            approve(bcssp, proposed)
        send_task.assert_not_called()
        for callback in callbacks:
            callback()
    snapshot = RecordSnapshot.objects.get(dispute=proposed)
    send_task.assert_called_once_with("escalation.render_record_snapshot", args=[snapshot.pk])
    assert tasks.render_record_snapshot.name == "escalation.render_record_snapshot"
    assert drawn == [] and snapshot.status == RecordSnapshot.Status.PENDING

    # The worker's task draws it.
    assert tasks.render_record_snapshot(snapshot.pk) == "ready"
    snapshot.refresh_from_db()
    assert snapshot.status == RecordSnapshot.Status.READY


def test_with_redis_down_the_change_stands_and_the_record_waits_for_the_catch_up(
    bcssp, proposed, settings, django_capture_on_commit_callbacks, caplog
):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    broker_down = mock.patch.object(requirements.current_app, "send_task", side_effect=ConnectionError("no broker"))
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        approve(bcssp, proposed)
    proposed.refresh_from_db()
    assert proposed.current_stage == 2
    assert RecordSnapshot.objects.get(dispute=proposed).status == RecordSnapshot.Status.PENDING
    assert "left pending for the catch-up" in caplog.text
    assert tasks.render_pending_records() == {"ready": 1, "failed": 0}


def test_the_catch_up_is_scheduled_by_beat_and_run_by_the_embedded_loop(transactional_db, monkeypatch):
    entry = django_settings.CELERY_BEAT_SCHEDULE["render-pending-records"]
    assert entry["task"] == "escalation.render_pending_records"
    assert tasks.render_pending_records.name == entry["task"]
    world = build_world("bcssp", "LOOP")
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10))
    propose(world, dispute)
    with monkeypatch.context() as lost:
        lost.setattr(requirements, "_draw_after_commit", lambda *args: None)
        approve(world, dispute)
    assert RecordSnapshot.objects.get(dispute=dispute).status == RecordSnapshot.Status.PENDING
    done = EmbeddedEnforcer(60).run_once()
    assert done["records"] == {"ready": 1, "failed": 0}
    assert RecordSnapshot.objects.get(dispute=dispute).status == RecordSnapshot.Status.READY
