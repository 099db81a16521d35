"""Suspending a leaver: every session ends at once, sign-in is refused, their records stay; audited."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role
from escalation.accounts.suspension import reinstate_person, suspend_person
from escalation.audit.models import AuditEvent
from escalation.disputes.models import Dispute
from policies.runtime import ActionRefused
from tests.auth_helpers import login
from tests.factories import AgencyFactory

PASSWORD = "correct horse battery staple"


def test_a_suspended_person_is_signed_out_everywhere_and_cannot_sign_in(bcssp):
    dispute = bcssp.raise_dispute()
    browsers = [Client(), Client()]
    for browser in browsers:
        login(browser, bcssp.teacher)
        assert browser.get(reverse("dispute", kwargs={"reference": dispute.reference})).status_code == 200
    suspend_person(user=bcssp.teacher, suspended_by=bcssp.admin, now=timezone.now())
    for browser in browsers:
        response = browser.get(reverse("home"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = Client().post(reverse("login"), {"username": bcssp.teacher.username, "password": PASSWORD})
    assert response.status_code == 200, "the sign-in page again, not a redirect onwards"
    assert "correct username and password" in response.content.decode(), "it says nothing about a suspension"
    assert Dispute.objects.get(pk=dispute.pk).raised_by == bcssp.teacher, "their records stay"
    event = AuditEvent.objects.get(action="person.suspended")
    assert event.actor == bcssp.admin and event.after == {
        "user_id": bcssp.teacher.pk,
        "username": bcssp.teacher.username,
        "is_active": False,
    }


def test_reinstating_lets_them_sign_in_again(client, bcssp):
    now = timezone.now()
    suspend_person(user=bcssp.teacher, suspended_by=bcssp.admin, now=now)
    reinstate_person(user=bcssp.teacher, reinstated_by=bcssp.admin, now=now)
    assert get_user_model().objects.get(pk=bcssp.teacher.pk).is_active
    response = client.post(reverse("login"), {"username": bcssp.teacher.username, "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="person.reinstated", actor=bcssp.admin).exists()


def test_who_may_suspend(bcssp, world_for):
    away = world_for("tscp", "AWAY")
    now = timezone.now()
    for who in (bcssp.teacher, bcssp.business_manager, bcssp.chair, away.admin):
        with pytest.raises(ActionRefused):
            suspend_person(user=bcssp.head, suspended_by=who, now=now)
    with pytest.raises(ActionRefused, match="yourself"):
        suspend_person(user=bcssp.admin, suspended_by=bcssp.admin, now=now)
    # Someone who also works with another partnership keeps their account: the admin removes their roles instead.
    AgencyFactory(partnership=away.partnership)
    bcssp.head.memberships.create(agency=away.school, role=Role.PRACTITIONER)
    with pytest.raises(ActionRefused, match="another partnership"):
        suspend_person(user=bcssp.head, suspended_by=bcssp.admin, now=now)
    assert get_user_model().objects.get(pk=bcssp.head.pk).is_active
    assert not AuditEvent.objects.filter(action="person.suspended").exists()


def test_suspending_on_the_person_page_signs_them_out(client, bcssp):
    theirs = Client()
    login(theirs, bcssp.teacher)
    login(client, bcssp.admin)
    response = client.post(reverse("person-suspend", args=[bcssp.teacher.pk]))
    assert response.status_code == 302
    assert theirs.get(reverse("home"))["Location"].startswith(reverse("login"))
    page = client.get(reverse("person", args=[bcssp.teacher.pk])).content.decode()
    assert "Suspended" in page and "Reinstate" in page
