"""A record is drawn within a time limit: one that would take too long says so, and never holds a worker or a dispute.

Issue 12, F4: the PDF of a dispute with a 1 MB address killed a web worker after about 31 seconds, and an approval
that drew its snapshot never finished. The drawing now runs in a child process that is stopped at the limit.
Here a drawing that never ends stands in for the slow record (no test measures a time).
"""

import time

import pytest
from django.urls import reverse

from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.notifications.models import Notification
from escalation.records import render
from escalation.records.models import RecordSnapshot
from tests.auth_helpers import login
from tests.conftest import london
from tests.escalation.records.test_records import committed  # noqa: F401 - a fixture used below
from tests.web.conftest import messages_of

SIMPLE = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>A short record.</p></body></html>'


def never_ends(html):
    while True:
        time.sleep(1)


@pytest.fixture
def endless_drawing(monkeypatch, settings):
    """Every drawing hangs; the limit is half a second so the test does not wait long."""
    monkeypatch.setattr(render, "html_to_pdf", never_ends)
    settings.RECORD_RENDER_SECONDS = 0.5


def test_a_record_is_drawn_in_a_child_process_and_comes_back_whole():
    pdf = render.pdf_within_time_limit(SIMPLE, seconds=60)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


def test_a_failure_in_the_child_comes_back_as_a_rendering_error(monkeypatch):
    def broken(html):
        raise ValueError("bad markup")

    monkeypatch.setattr(render, "html_to_pdf", broken)
    with pytest.raises(render.RecordRenderingError, match="bad markup"):
        render.pdf_within_time_limit(SIMPLE, seconds=60)


def test_a_drawing_that_runs_past_the_limit_is_stopped(endless_drawing):
    with pytest.raises(render.RecordTooLong):
        render.pdf_within_time_limit(SIMPLE)


def test_downloading_a_record_too_long_to_draw_says_so_on_the_dispute_page(bcssp, endless_drawing, client):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    login(client, bcssp.teacher)
    response = client.get(reverse("dispute-record-pdf", args=[dispute.reference]))
    assert response.status_code == 302
    assert response["Location"] == reverse("dispute", args=[dispute.reference])
    assert messages_of(response) == [render.TOO_LONG.format(reference=dispute.reference)]
    assert not AuditEvent.objects.filter(action="record.downloaded").exists()


def test_an_approval_whose_record_takes_too_long_still_finishes_and_nothing_is_left_pending(
    bcssp,
    endless_drawing,
    committed,  # noqa: F811
):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3))
    with committed():
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))
    dispute.refresh_from_db()
    assert dispute.current_stage == 2
    snapshot = RecordSnapshot.objects.get(dispute=dispute)
    assert snapshot.status == RecordSnapshot.Status.FAILED, "not left pending for ever"
    assert AuditEvent.objects.filter(action="record.failed", dispute_id_value=dispute.pk).exists()
    assert Notification.objects.filter(dispute=dispute, event="record_required").exists()
