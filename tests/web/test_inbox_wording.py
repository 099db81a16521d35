"""The inbox shows each notification as headline, body and dispute reference, and opens the right page (issue 15,
finding 4)."""

from django.urls import reverse

from escalation.notifications.models import Notification
from escalation.records.requirements import render_pending_records
from tests.conftest import london
from tests.escalation.notifications.test_wording import approved_to_stage_2
from tests.web.conftest import page_text


def test_the_inbox_shows_headline_body_reference_and_a_working_link(tscp, client_for):
    dispute = approved_to_stage_2(tscp)
    tscp.escalate(dispute, london(2026, 3, 3, 10, 0))
    row = Notification.objects.filter(dispute=dispute, event="escalation_proposed").first()
    client = client_for(row.recipient)
    html = page_text(client.get(reverse("notifications")))
    item = html.split('id="notification-list"')[1]
    assert row.headline in item
    assert "Open the dispute to see whose move it is and by when." in item
    assert f'href="{reverse("notification-open", args=[row.pk])}"' in item
    opened = client.get(reverse("notification-open", args=[row.pk]))
    assert opened["Location"] == reverse("dispute", args=[dispute.reference])


def test_a_record_notification_opens_the_disputes_written_records(bcssp, client_for):
    dispute = approved_to_stage_2(bcssp)
    render_pending_records(now=london(2026, 3, 2, 12, 0))
    row = Notification.objects.filter(dispute=dispute, event="record_required").first()
    opened = client_for(row.recipient).get(reverse("notification-open", args=[row.pk]))
    assert opened["Location"] == reverse("dispute", args=[dispute.reference]) + "#records"
