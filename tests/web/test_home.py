"""The home page: what needs each person now, and nothing they may not see."""

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation.disputes import services
from escalation.notifications.models import Notification
from tests.conftest import build_world, london, policy_text_reads
from tests.web.conftest import page_text

HOME = reverse("home")


def test_signed_out_people_are_sent_to_sign_in(db):
    response = Client().get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_practitioner_sees_their_disputes_and_can_raise_one(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    other = build_world("tscp", "AWAY").raise_dispute()
    html = page_text(client_for(bcssp.teacher).get(HOME))
    assert reverse("raise-start") in html
    assert 'id="needs-you"' in html, "the raiser acts at stage 1: the next move is theirs too"
    assert dispute.reference in html
    assert other.reference not in html, "another partnership's dispute must not appear"


def test_the_other_agency_sees_disputes_waiting_for_its_response_until_someone_replies(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    client = client_for(bcssp.social_worker)
    html = page_text(client.get(HOME))
    listed = html.split('id="needs-you"')[1].split("</table>")[0]
    assert dispute.reference in listed
    assert "which has not responded yet" in listed

    services.add_record_entry(
        dispute=dispute,
        author=bcssp.social_worker,
        kind="discussion",
        text="Called the teacher back.",
        occurred_on=london(2026, 3, 2, 12, 0).date(),
    )
    listed = page_text(client.get(HOME)).split('id="needs-you"')[1].split("</table>")[0]
    assert "which has not responded yet" not in listed
    assert "Being discussed at this stage." in listed, "still their move at stage 1"


def test_a_manager_sees_escalations_waiting_for_their_approval_and_the_practitioner_does_not(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply for two days.")
    head = page_text(client_for(bcssp.head).get(HOME))
    assert "To approve or decline the escalation" in head
    assert reverse("dispute-decide", args=[dispute.reference]) in head
    teacher = page_text(client_for(bcssp.teacher).get(HOME))
    assert "To approve or decline the escalation" not in teacher
    other_side = page_text(client_for(bcssp.team_manager).get(HOME))
    assert "To approve or decline the escalation" not in other_side, "only the escalating side's managers approve"


def test_deadlines_appear_when_near_and_say_overdue_once_passed(bcssp, client_for):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10, 0))
    with time_machine.travel(london(2026, 3, 2, 10, 5), tick=False):
        html = page_text(client_for(bcssp.teacher).get(HOME))
        assert 'id="needs-you"' in html
        assert 'id="deadlines"' not in html, "due in more than two days: not near yet"
    with time_machine.travel(london(2026, 3, 4, 9, 0), tick=False):
        html = page_text(client_for(bcssp.teacher).get(HOME))
        assert 'id="deadlines"' in html
        assert "5pm on Wednesday 4 March 2026" in html
        assert "Due soon" in html
        assert "Due by 5pm today" in html
    with time_machine.travel(london(2026, 3, 5, 9, 0), tick=False):
        html = page_text(client_for(bcssp.teacher).get(HOME))
        assert "Overdue" in html
        assert "Overdue by 1 working day" in html, "a working-day deadline is said in working days (finding 6)"
        assert dispute.reference in html


def test_the_business_manager_sees_undeliverable_emails_of_their_partnership_only(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    row = Notification.objects.filter(dispute=dispute).first()
    row.email_status = Notification.EmailStatus.UNDELIVERABLE
    row.email_error = "550 mailbox unavailable"
    row.save()
    html = page_text(client_for(bcssp.business_manager).get(HOME))
    assert 'id="undeliverable"' in html
    assert "550 mailbox unavailable" in html
    assert row.recipient.email in html
    assert 'id="undeliverable"' not in page_text(client_for(bcssp.teacher).get(HOME))
    away = build_world("tscp", "AWAY")
    assert "550 mailbox unavailable" not in page_text(client_for(away.business_manager).get(HOME))


def test_the_chair_sees_deadlines_the_policy_leaves_to_them(tscp, client_for):
    dispute = tscp.raise_dispute(immediate_harm=True, start_stage=4)
    services.propose_escalation(dispute=dispute, proposed_by=tscp.teacher, reason="Directors could not agree.")
    services.approve_escalation(dispute=dispute, approver=tscp.business_manager)
    html = page_text(client_for(tscp.chair).get(HOME))
    assert 'id="deadlines-to-set"' in html
    row = dispute.deadlines.get(closed_at__isnull=True, rule__kind="manual")
    assert reverse("dispute-deadline", args=[dispute.reference, row.pk]) in html


def test_someone_outside_the_dispute_sees_nothing_of_it(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    for person in (bcssp.outsider, bcssp.admin):
        html = page_text(client_for(person).get(HOME))
        assert dispute.reference not in html
    assert "Nothing needs you right now" in page_text(client_for(bcssp.outsider).get(HOME))


def test_unread_notifications_are_listed_with_links_that_open_them(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    mine = Notification.objects.create(
        dispute=dispute, recipient=bcssp.head, event="raised", headline="For the head", created_at=dispute.raised_at
    )
    html = page_text(client_for(bcssp.head).get(HOME))
    assert 'id="unread"' in html
    assert reverse("notification-open", args=[mine.pk]) in html


def test_the_partnership_admin_is_pointed_at_setting_up_the_partnership(bcssp, client_for):
    html = page_text(client_for(bcssp.admin).get(HOME))
    assert reverse("admin:index") in html
    assert reverse("raise-start") not in html


def test_the_navigation_offers_each_person_the_sections_they_use(bcssp, client_for):
    def nav(user) -> str:
        html = page_text(client_for(user).get(HOME))
        return html.split('id="navigation"')[1].split("</ul>")[0]

    teacher, head, manager, admin = (nav(u) for u in (bcssp.teacher, bcssp.head, bcssp.business_manager, bcssp.admin))
    assert reverse("raise-start") in teacher and reverse("approvals") not in teacher
    assert reverse("register") not in teacher
    assert reverse("approvals") in head
    assert reverse("register") in manager and reverse("approvals") in manager
    assert reverse("raise-start") not in manager, "the partnership office raises no disputes"
    assert reverse("raise-start") not in admin and reverse("register") not in admin


def test_the_lists_never_read_a_policys_stored_text(bcssp, client_for):
    """Each policy version keeps the whole policy as loaded (tens of kilobytes of JSON, for export). The home page's
    and the approvals queue's lists show a stage name from the version; reading the text too decoded it once a row
    (a sixth of the home page's time with 25 rows listed)."""
    for _ in range(3):
        bcssp.raise_dispute()
    for person, page in ((bcssp.teacher, HOME), (bcssp.head, reverse("approvals"))):
        with CaptureQueriesContext(connection) as queries:
            assert client_for(person).get(page).status_code == 200
        assert not policy_text_reads(queries), page
