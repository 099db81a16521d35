"""Messages people can read (issue 15, finding 4): a plain-English headline and body per event, the dispute's
reference, and no address typed into the body (the inbox links: tests/web/test_inbox_wording.py)."""

from escalation.disputes import services
from escalation.notifications import wording
from escalation.notifications.models import Notification
from escalation.records.requirements import render_pending_records
from tests.conftest import london

RAISED = london(2026, 3, 2, 10, 0)
APPROVED = london(2026, 3, 2, 11, 0)


def approved_to_stage_2(world):
    dispute = world.raise_dispute(now=RAISED)
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No reply.", now=RAISED)
    services.approve_escalation(dispute=dispute, approver=world.approver_for(dispute), now=APPROVED)
    return dispute


POLICY_EVENTS = ["raised", "stage_entered", "stage_reached", "escalation_proposed", "resolved_at_stage"]


def test_policy_notices_read_as_sentences_not_event_names(tscp):
    dispute = approved_to_stage_2(tscp)
    tscp.escalate(dispute, london(2026, 3, 3, 10, 0))
    rows = Notification.objects.filter(dispute=dispute, event__in=POLICY_EVENTS)
    assert rows.count() >= 2
    for row in rows:
        assert "(stage " not in row.headline and "reached or passed" not in row.headline, row.headline
        assert row.headline.startswith(f"{dispute.reference}: ")
    proposed = rows.filter(event="escalation_proposed").first()
    assert proposed is not None
    assert proposed.headline.endswith("proposed and waiting for approval")
    assert "Open the dispute to see whose move it is and by when." in proposed.message


def test_no_notification_body_carries_an_address(bcssp, settings):
    """The in-app body once carried SITE_URL's address (on port 8000 wherever the app ran): the inbox links now."""
    settings.SITE_URL = "http://127.0.0.1:8000"
    dispute = approved_to_stage_2(bcssp)
    render_pending_records(now=london(2026, 3, 2, 12, 0))
    records = Notification.objects.filter(dispute=dispute, event="record_required")
    assert records.exists(), "BCSSP's Appendix 2 goes out at stage 2"
    for row in Notification.objects.filter(dispute=dispute):
        assert "http" not in row.message and ":8000" not in row.message, row.message


def test_the_body_says_the_next_deadline_as_govuk_writes_times(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    assert wording.body(dispute, "stage_entered", "Your concern has moved on.") == (
        "Your concern has moved on. Open the dispute to see whose move it is and by when. "
        "The next deadline is 5pm on Wednesday 4 March 2026 (Stage 1: within 2 working days)."
    )
