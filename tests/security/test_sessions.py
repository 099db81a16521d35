"""Sessions end after inactivity, and signing out everywhere ends every session of that person."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from escalation.audit.models import AuditEvent
from tests.auth_helpers import login
from tests.conftest import london
from tests.security.conftest import PASSWORD

IDLE = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)


@pytest.fixture
def clock():
    with time_machine.travel(london(2026, 3, 2, 9, 0), tick=False) as traveller:
        yield traveller


def signed_in(response) -> bool:
    return response.status_code == 200


def sent_to_sign_in(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_session_expires_after_inactivity_not_while_in_use(bcssp, clock):
    assert datetime.timedelta(minutes=60) >= IDLE, "sessions must not outlive an hour of inactivity"
    client = Client()
    client.force_login(bcssp.teacher)
    for _ in range(4):  # busy for longer than the idle limit: each request keeps the session alive
        clock.shift(IDLE - datetime.timedelta(minutes=1))
        assert signed_in(client.get(reverse("account")))
    clock.shift(IDLE + datetime.timedelta(seconds=1))
    response = client.get(reverse("account"))
    assert sent_to_sign_in(response)


def test_a_verified_2fa_session_expires_too(bcssp, clock):
    client = Client()
    login(client, bcssp.business_manager)
    assert signed_in(client.get(reverse("account")))
    clock.shift(IDLE + datetime.timedelta(seconds=1))
    assert sent_to_sign_in(client.get(reverse("account")))


def test_the_session_cookie_ends_with_the_browser_and_is_not_readable_by_scripts(bcssp):
    client = Client()
    client.post(reverse("login"), {"username": bcssp.teacher.username, "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert not cookie["max-age"] and not cookie["expires"]


def test_signing_out_everywhere_ends_every_session_of_that_person_only(bcssp, clock):
    laptop, phone, colleague = Client(), Client(), Client()
    laptop.force_login(bcssp.teacher)
    phone.force_login(bcssp.teacher)
    colleague.force_login(bcssp.head)
    assert all(signed_in(client.get(reverse("account"))) for client in (laptop, phone, colleague))

    response = laptop.post(reverse("logout-everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "signed out on every device" in laptop.get(reverse("login")).content.decode()

    assert sent_to_sign_in(laptop.get(reverse("account")))
    assert sent_to_sign_in(phone.get(reverse("account")))
    assert signed_in(colleague.get(reverse("account")))
    assert AuditEvent.objects.filter(actor=bcssp.teacher, action="account.signed_out_everywhere").count() == 1

    # Signing in again afterwards works as normal.
    again = Client()
    again.post(reverse("login"), {"username": bcssp.teacher.username, "password": PASSWORD})
    assert signed_in(again.get(reverse("account")))
    assert sent_to_sign_in(phone.get(reverse("account")))


def test_signing_out_everywhere_needs_a_post(bcssp):
    client = Client()
    client.force_login(bcssp.teacher)
    assert client.get(reverse("logout-everywhere")).status_code == 405
    assert signed_in(client.get(reverse("account")))


def test_csrf_is_enforced_on_sign_in(bcssp):
    client = Client(enforce_csrf_checks=True)
    credentials = {"username": bcssp.teacher.username, "password": PASSWORD}
    assert client.post(reverse("login"), credentials).status_code == 403
    page = client.get(reverse("login")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(reverse("login"), {**credentials, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_csrf_is_enforced_on_a_post_action(bcssp):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bcssp.teacher)
    assert client.post(reverse("logout-everywhere")).status_code == 403
    assert signed_in(client.get(reverse("account")))
    assert not AuditEvent.objects.filter(action="account.signed_out_everywhere").exists()
    page = client.get(reverse("account")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.post(reverse("logout-everywhere"), {"csrfmiddlewaretoken": token}).status_code == 302
    assert sent_to_sign_in(client.get(reverse("account")))
