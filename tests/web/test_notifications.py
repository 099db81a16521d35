"""The notifications inbox: a person's own notifications only; opening one marks it read."""

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Membership
from escalation.notifications.models import Notification
from tests.web.conftest import messages_of, page_text

INBOX = reverse("notifications")


def _notify(dispute, user, headline, minutes=0):
    return Notification.objects.create(
        dispute=dispute,
        recipient=user,
        event="raised",
        headline=headline,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes),
    )


def test_the_inbox_lists_only_the_persons_own_notifications(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    _notify(dispute, bcssp.teacher, "For the teacher")
    _notify(dispute, bcssp.head, "For the head")
    html = page_text(client_for(bcssp.teacher).get(INBOX))
    assert "For the teacher" in html
    assert "For the head" not in html
    assert "Unread" in html


def test_opening_a_notification_marks_it_read_and_goes_to_its_dispute(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    note = _notify(dispute, bcssp.teacher, "Open me")
    response = client_for(bcssp.teacher).get(reverse("notification-open", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("dispute", args=[dispute.reference])
    note.refresh_from_db()
    assert note.read_at is not None


def test_nobody_can_open_someone_elses_notification(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    note = _notify(dispute, bcssp.head, "Not yours")
    response = client_for(bcssp.teacher).get(reverse("notification-open", args=[note.pk]))
    assert response.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_all_as_read_touches_only_the_persons_own_notifications(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    mine = [_notify(dispute, bcssp.teacher, f"Mine {n}") for n in range(3)]
    theirs = _notify(dispute, bcssp.head, "Theirs")
    response = client_for(bcssp.teacher).post(INBOX)
    assert response.status_code == 302
    assert "3 notifications marked as read." in messages_of(response)
    for note in mine:
        note.refresh_from_db()
        assert note.read_at is not None
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_as_read_needs_the_csrf_token(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    note = _notify(dispute, bcssp.teacher, "Mine")
    client = client_for(bcssp.teacher, enforce_csrf_checks=True)
    assert client.post(INBOX).status_code == 403
    note.refresh_from_db()
    assert note.read_at is None


def test_a_notification_about_a_dispute_no_longer_visible_does_not_open_it(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    note = _notify(dispute, bcssp.teacher, "You moved job")
    Membership.objects.filter(user=bcssp.teacher).delete()
    response = client_for(bcssp.teacher).get(reverse("notification-open", args=[note.pk]))
    assert response["Location"] == INBOX
    assert "You can no longer see the dispute this notification is about." in messages_of(response)


def test_the_inbox_is_paginated_newest_first(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    Notification.objects.filter(recipient=bcssp.teacher).delete()
    for n in range(30):
        _notify(dispute, bcssp.teacher, f"Number {n:02d}", minutes=n)
    client = client_for(bcssp.teacher)
    first = page_text(client.get(INBOX))
    assert "Number 00" in first and "Number 24" in first and "Number 25" not in first
    second = page_text(client.get(INBOX, {"page": 2}))
    assert "Number 25" in second and "Number 29" in second and "Number 00" not in second


def test_signed_out_people_are_sent_to_sign_in(db):
    response = Client().get(INBOX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
