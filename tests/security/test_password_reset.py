"""Password reset by e-mail: Django's own views in GOV.UK pages, saying nothing about whether an address exists."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.auth_helpers import login

LINK = re.compile(r"https?://\S+(/password-reset/[^/\s]+/[^/\s]+/)")
NEW_PASSWORD = "a brand new long password"


def without_tokens(body: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body)


def ask(address: str) -> tuple[int, str, bytes]:
    client = Client()
    response = client.post(reverse("password_reset"), {"email": address}, follow=True)
    return response.status_code, response.redirect_chain[-1][0], without_tokens(response.content)


def test_the_sign_in_page_links_to_a_reset_page_that_exists(client, db):
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page
    assert client.get(reverse("password_reset")).status_code == 200


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(bcssp):
    known = ask(bcssp.teacher.email)
    unknown = ask("nobody-here@example.org")
    assert known == unknown, "a stranger learns nothing about which addresses have accounts"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [bcssp.teacher.email]


def test_a_suspended_or_invited_person_is_sent_nothing(bcssp):
    bcssp.teacher.is_active = False
    bcssp.teacher.save()
    bcssp.head.set_unusable_password()
    bcssp.head.save()
    assert ask(bcssp.teacher.email) == ask("nobody-here@example.org") == ask(bcssp.head.email)
    assert mail.outbox == []


def test_the_link_sets_a_new_password_once_and_ends_other_sessions(bcssp):
    elsewhere = Client()
    login(elsewhere, bcssp.teacher)
    ask(bcssp.teacher.email)
    path = LINK.search(mail.outbox[0].body).group(1)
    client = Client()
    form = client.get(path, follow=True)
    assert "Create a new password" in form.content.decode()
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert "Your password has been changed" in done.content.decode()
    bcssp.teacher.refresh_from_db()
    assert bcssp.teacher.check_password(NEW_PASSWORD)
    assert elsewhere.get(reverse("home")).status_code == 302, "the other session has ended"
    again = Client().get(path, follow=True)
    assert "This link does not work" in again.content.decode()


@pytest.mark.parametrize("address", ["not-an-address", "a" * 300 + "@example.org", "x\x00y@example.org"])
def test_a_bad_address_is_explained_not_a_server_error(db, address):
    response = Client().post(reverse("password_reset"), {"email": address})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert mail.outbox == []
