"""Two-factor set-up needs more than the password; backup codes; recovery started by the business manager (F10).

Before: anyone with a person's password could set up the authenticator app of their choice at the first sign-in,
and someone who lost their phone had no codes to fall back on and no way back in short of an operator.
"""

import datetime
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalation.audit.models import AuditEvent
from tests.auth_helpers import login
from tests.conftest import build_world, london
from tests.security.conftest import PASSWORD, enrol_by_email, link_in_last_mail, totp_code

SETUP = reverse("two-factor-setup")


@pytest.fixture
def clock():
    with time_machine.travel(london(2026, 3, 2, 9, 0), tick=False) as traveller:
        yield traveller


def signed_in_with_password(user) -> Client:
    client = Client()
    assert client.post(reverse("login"), {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def set_up_app(client, user, capture) -> TOTPDevice:
    enrol_by_email(client, user, capture)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(SETUP, {"code": totp_code(device), "next": "/"})
    assert response["Location"] == f"{reverse('two-factor-backup-codes')}?{urlencode({'next': '/'})}"
    return device


def shown_codes(client) -> list[str]:
    page = client.get(reverse("two-factor-backup-codes")).content.decode()
    import re

    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page)


# The first set-up needs the e-mailed link.


def test_the_password_alone_never_shows_the_set_up_key_or_accepts_a_code(bcssp, clock):
    user = bcssp.business_manager
    client = signed_in_with_password(user)
    page = client.get(SETUP).content.decode()
    assert "data:image/svg+xml" not in page and "Send me the link" in page
    client.post(SETUP, {"code": "123456"})
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_the_link_is_e_mailed_without_personal_data_and_audited(bcssp, clock, django_capture_on_commit_callbacks):
    user = bcssp.business_manager
    client = signed_in_with_password(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("two-factor-send-link"))
    message = mail.outbox[-1]
    assert message.to == [user.email]
    assert "/account/two-factor/link/" in message.body and user.get_username() not in message.body
    event = AuditEvent.objects.get(action="account.two_factor_link_sent")
    assert event.actor == user and event.after["purpose"] == "first"


def test_the_link_works_once_and_only_for_its_person(bcssp, clock, django_capture_on_commit_callbacks):
    user = bcssp.business_manager
    client = signed_in_with_password(user)
    path = enrol_by_email(client, user, django_capture_on_commit_callbacks)
    assert client.post(path).status_code == 404, "used already"
    intruder = signed_in_with_password(bcssp.chair)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in_with_password(user).post(reverse("two-factor-send-link"))
    other_path = link_in_last_mail(user.email)
    assert intruder.get(other_path).status_code == 404
    assert intruder.post(other_path).status_code == 404
    assert "data:image/svg+xml" not in intruder.get(SETUP).content.decode()


def test_the_link_expires_after_an_hour(bcssp, clock, django_capture_on_commit_callbacks):
    user = bcssp.business_manager
    client = signed_in_with_password(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("two-factor-send-link"))
    path = link_in_last_mail(user.email)
    clock.shift(datetime.timedelta(hours=1, seconds=1))
    client = signed_in_with_password(user)
    assert client.post(path).status_code == 404


# Backup codes.


def test_ten_backup_codes_are_shown_once_after_set_up(bcssp, clock, django_capture_on_commit_callbacks):
    user = bcssp.business_manager
    client = signed_in_with_password(user)
    set_up_app(client, user, django_capture_on_commit_callbacks)
    codes = shown_codes(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert shown_codes(client) == [], "shown once"
    assert "You have 10 unused backup codes" in client.get(reverse("two-factor-backup-codes")).content.decode()
    assert AuditEvent.objects.filter(actor=user, action="account.backup_codes_created").count() == 1


def test_a_backup_code_signs_in_once(bcssp, clock, django_capture_on_commit_callbacks):
    user = bcssp.business_manager
    client = signed_in_with_password(user)
    set_up_app(client, user, django_capture_on_commit_callbacks)
    code = shown_codes(client)[0]

    phone_lost = signed_in_with_password(user)
    assert phone_lost.get("/")["Location"].startswith(reverse("two-factor-verify"))
    response = phone_lost.post(reverse("two-factor-backup-code"), {"code": code.upper().replace("-", " "), "next": "/"})
    assert response["Location"] == "/"
    assert phone_lost.get("/").status_code == 200
    assert AuditEvent.objects.get(action="account.backup_code_used").after == {"codes_left": 9}

    again = signed_in_with_password(user)
    response = again.post(reverse("two-factor-backup-code"), {"code": code, "next": "/"})
    assert response.status_code == 200
    assert "not right, or has been used" in response.content.decode()
    assert again.get("/")["Location"].startswith(reverse("two-factor-verify"))
    assert AuditEvent.objects.filter(action="security.request_refused", after__reason="two_factor_wrong_code").exists()


def test_new_backup_codes_replace_the_old_ones(bcssp, clock, django_capture_on_commit_callbacks):
    user = bcssp.business_manager
    client = signed_in_with_password(user)
    set_up_app(client, user, django_capture_on_commit_callbacks)
    old = shown_codes(client)
    client.post(reverse("two-factor-backup-codes"))
    new = shown_codes(client)
    assert len(new) == 10 and not set(old) & set(new)
    assert StaticToken.objects.filter(device__user=user).count() == 10
    response = signed_in_with_password(user).post(reverse("two-factor-backup-code"), {"code": old[1], "next": "/"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(actor=user, action="account.backup_codes_created").count() == 2


def test_new_backup_codes_need_a_session_that_passed_two_factor(bcssp, clock):
    user = bcssp.business_manager
    TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = signed_in_with_password(user)
    client.post(reverse("two-factor-backup-codes"))
    assert not StaticDevice.objects.filter(user=user).exists()


# Recovery, started by the business manager.


def test_the_business_manager_starts_a_recovery_and_the_person_sets_up_a_new_app(
    bcssp, clock, django_capture_on_commit_callbacks
):
    person = bcssp.chair
    old_device = TOTPDevice.objects.create(user=person, name="lost phone", confirmed=True)
    StaticDevice.objects.create(user=person, name="Backup codes", confirmed=True)
    elsewhere = signed_in_with_password(person)  # a session on the lost phone

    manager = Client()
    login(manager, bcssp.business_manager)
    assert manager.get(reverse("two-factor-recovery")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(reverse("two-factor-recovery"), {"person": person.email.upper()})
    assert response["Location"] == reverse("two-factor-recovery")
    started = AuditEvent.objects.get(action="account.two_factor_recovery_started")
    assert started.actor == bcssp.business_manager and started.partnership == bcssp.partnership
    assert started.after["username"] == person.username and started.after["purpose"] == "recovery"
    path = link_in_last_mail(person.email)

    client = Client()
    response = client.post(reverse("login"), {"username": person.username, "password": PASSWORD, "next": path})
    assert response["Location"] == path, "straight to the link, not to a code they cannot give"
    assert "Continue" in client.get(path).content.decode()
    assert client.post(path)["Location"] == SETUP
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert not StaticDevice.objects.filter(user=person).exists()
    recovered = AuditEvent.objects.get(action="account.two_factor_recovered")
    assert recovered.actor == person and recovered.after["devices"] == 2
    assert elsewhere.get("/").status_code == 302 and "_auth_user_id" not in elsewhere.session

    client.get(SETUP)
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    assert client.post(SETUP, {"code": totp_code(device), "next": "/"}).status_code == 302
    assert client.get("/").status_code == 200
    assert client.post(path).status_code == 404, "the link worked once"


def test_a_recovery_link_without_the_password_does_nothing(bcssp, clock, django_capture_on_commit_callbacks):
    person = bcssp.chair
    TOTPDevice.objects.create(user=person, name="phone", confirmed=True)
    manager = Client()
    login(manager, bcssp.business_manager)
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(reverse("two-factor-recovery"), {"person": person.username})
    path = link_in_last_mail(person.email)
    response = Client().post(path)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert TOTPDevice.objects.filter(user=person).exists()


def test_only_a_business_manager_may_start_a_recovery_and_only_for_their_partnership(bcssp, clock):
    other = build_world("tscp", "OTH")
    manager = Client()
    login(manager, bcssp.business_manager)
    response = manager.post(reverse("two-factor-recovery"), {"person": other.chair.username})
    assert response.status_code == 200
    assert "Nobody in your partnership has that username or e-mail address" in response.content.decode()
    response = manager.post(reverse("two-factor-recovery"), {"person": bcssp.business_manager.username})
    assert "You cannot start a recovery for yourself" in response.content.decode()
    for persona in (bcssp.chair, bcssp.teacher, bcssp.admin):
        client = Client()
        login(client, persona)
        assert client.get(reverse("two-factor-recovery")).status_code == 404
        assert client.post(reverse("two-factor-recovery"), {"person": bcssp.teacher.username}).status_code == 404
    assert not AuditEvent.objects.filter(action="account.two_factor_recovery_started").exists()
