"""Two-factor authentication: required for business managers, chairs and admins, offered to everyone."""

import datetime
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalation.audit.models import AuditEvent
from tests.auth_helpers import login
from tests.conftest import london
from tests.factories import UserFactory
from tests.security.conftest import PASSWORD, enrol_by_email, totp_code, wrong_code

REQUIRED = ["business_manager", "chair", "admin"]
OFFERED = ["teacher", "head", "social_worker", "outsider"]


def setup_url(next_url: str = "/") -> str:
    return f"{reverse('two-factor-setup')}?{urlencode({'next': next_url})}"


def verify_url(next_url: str = "/") -> str:
    return f"{reverse('two-factor-verify')}?{urlencode({'next': next_url})}"


@pytest.fixture
def clock():
    with time_machine.travel(london(2026, 3, 2, 9, 0), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("persona", REQUIRED)
def test_required_roles_must_set_up_2fa_before_any_page(bcssp, persona):
    client = Client()
    client.force_login(getattr(bcssp, persona))
    for url in ["/", reverse("register"), reverse("notifications"), reverse("account"), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == setup_url(url)
    response = client.post(reverse("register"))
    assert response["Location"] == reverse("two-factor-setup")


@pytest.mark.parametrize("persona", OFFERED)
def test_everyone_else_is_offered_2fa_but_not_forced(bcssp, persona):
    client = Client()
    client.force_login(getattr(bcssp, persona))
    response = client.get(reverse("account"))
    assert response.status_code == 200
    assert "Set up two-factor authentication" in response.content.decode()
    assert not client.get("/").get("Location", "").startswith(reverse("two-factor-setup"))
    assert client.get(reverse("two-factor-setup")).status_code == 200


def test_django_admin_staff_must_use_2fa_too(db):
    staff = UserFactory(username="operator", is_staff=True)
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/")["Location"] == setup_url("/admin/")


@pytest.mark.parametrize("persona", REQUIRED)
def test_setting_up_with_a_code_from_the_key_then_verifying_at_the_next_sign_in(
    bcssp, persona, clock, django_capture_on_commit_callbacks
):
    user = getattr(bcssp, persona)
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"] == setup_url(reverse("home"))
    page = client.get(response["Location"]).content.decode()
    assert "data:image/svg+xml" not in page, "the password alone never shows the set-up key"
    enrol_by_email(client, user, django_capture_on_commit_callbacks)
    page = client.get(setup_url(reverse("home"))).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    response = client.post(reverse("two-factor-setup"), {"code": wrong_code(device), "next": "/"})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    clock.shift(datetime.timedelta(seconds=5))  # past the throttle a wrong code starts
    response = client.post(reverse("two-factor-setup"), {"code": totp_code(device), "next": "/register/"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('two-factor-backup-codes')}?{urlencode({'next': '/register/'})}"
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(actor=user, action="account.two_factor_enabled").count() == 1
    assert not client.get("/").get("Location", "").startswith("/account/two-factor/")

    # The next sign-in asks for a code from the app.
    clock.shift(datetime.timedelta(minutes=1))
    other = Client()
    response = other.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"] == verify_url(reverse("home"))
    assert other.get("/")["Location"] == verify_url("/")
    response = other.post(reverse("two-factor-verify"), {"code": wrong_code(device), "next": "/"})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert other.get("/")["Location"] == verify_url("/")
    clock.shift(datetime.timedelta(seconds=5))
    response = other.post(reverse("two-factor-verify"), {"code": totp_code(device), "next": "/"})
    assert response["Location"] == "/"
    assert not other.get("/").get("Location", "").startswith("/account/two-factor/")


def test_a_code_cannot_be_used_twice(bcssp, clock):
    user = bcssp.chair
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    first, second = Client(), Client()
    for client in (first, second):
        client.force_login(user)
    code = totp_code(device)
    assert first.post(reverse("two-factor-verify"), {"code": code, "next": "/"})["Location"] == "/"
    response = second.post(reverse("two-factor-verify"), {"code": code, "next": "/"})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()


def test_repeated_wrong_codes_are_slowed_down(bcssp, clock):
    user = bcssp.chair
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user)
    for _ in range(3):
        client.post(reverse("two-factor-verify"), {"code": wrong_code(device)})
        clock.shift(datetime.timedelta(milliseconds=100))
    response = client.post(reverse("two-factor-verify"), {"code": totp_code(device)})
    assert response.status_code == 200
    assert "Too many wrong codes" in response.content.decode()
    clock.shift(datetime.timedelta(seconds=10))
    assert client.post(reverse("two-factor-verify"), {"code": totp_code(device)}).status_code == 302


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x", "١٢٣٤٥٦"])
def test_a_malformed_code_gets_a_clear_message(bcssp, code, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(bcssp.business_manager)
    enrol_by_email(client, bcssp.business_manager, django_capture_on_commit_callbacks)
    response = client.post(reverse("two-factor-setup"), {"code": code})
    assert response.status_code == 200
    assert "Enter the 6-digit code from your authenticator app" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=bcssp.business_manager, confirmed=True).exists()


def test_someone_with_a_password_only_cannot_replace_the_app(bcssp, clock):
    """Set-up is closed to a session that has not passed 2FA once an app is set up."""
    user = bcssp.business_manager
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("two-factor-setup"))
    assert response["Location"].startswith(reverse("two-factor-verify"))
    client.post(reverse("two-factor-setup"), {"code": "123456"})
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_someone_who_chose_2fa_must_use_it(bcssp, clock, django_capture_on_commit_callbacks):
    user = bcssp.teacher
    client = Client()
    client.force_login(user)
    enrol_by_email(client, user, django_capture_on_commit_callbacks)
    client.get(reverse("two-factor-setup"))
    device = TOTPDevice.objects.get(user=user)
    assert client.post(reverse("two-factor-setup"), {"code": totp_code(device)}).status_code == 302
    other = Client()
    other.force_login(user)
    assert other.get("/")["Location"] == verify_url("/")


def test_the_2fa_pages_refuse_an_unsafe_next(bcssp, clock):
    user = bcssp.chair
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user)
    response = client.post(reverse("two-factor-verify"), {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_the_test_helper_passes_2fa(bcssp):
    client = Client()
    login(client, bcssp.business_manager)
    assert client.get(reverse("account")).status_code == 200


def test_a_lost_phone_is_reset_by_command_and_every_session_ends(bcssp, clock):
    from django.core.management import call_command

    user = bcssp.chair
    client = Client()
    login(client, user)
    call_command("reset_two_factor", user.username)
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(reverse("account"))["Location"].startswith(reverse("login"))
    assert AuditEvent.objects.filter(action="account.two_factor_reset", object_id=str(user.pk)).count() == 1
    again = Client()
    again.force_login(user)
    assert again.get("/")["Location"] == setup_url("/")
