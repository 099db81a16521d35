"""Issue 15, finding 3: a warning before the session ends, and "Stay signed in" extending it."""

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests.web.conftest import page_text

KEEP = reverse("keep-signed-in")


def test_signed_in_pages_carry_the_timeout_warning_dialog(bcssp, client_for):
    page = page_text(client_for(bcssp.teacher).get(reverse("raise-start")))
    assert 'data-module="app-timeout-warning"' in page
    assert 'data-session-seconds="1800"' in page
    assert 'role="dialog"' not in page or 'aria-modal="true"' in page
    assert "Stay signed in" in page
    assert 'aria-labelledby="app-timeout-warning-heading"' in page


def test_signed_out_pages_have_no_timeout_warning(db):
    assert 'data-module="app-timeout-warning"' not in page_text(Client().get(reverse("login")))


def test_stay_signed_in_extends_the_session(bcssp, client_for):
    client = client_for(bcssp.teacher)
    key = client.session.session_key
    before = Session.objects.get(session_key=key).expire_date
    response = client.post(KEEP)
    assert response.status_code == 200
    assert response.json()["signed_in"] is True
    assert Session.objects.get(session_key=key).expire_date > before


def test_stay_signed_in_after_the_session_ended_says_so_without_signing_anyone_in(db):
    response = Client().post(KEEP)
    assert response.status_code == 401
    assert response.json() == {"signed_in": False}


def test_stay_signed_in_needs_a_post_with_the_csrf_token(bcssp, client_for):
    client = client_for(bcssp.teacher)
    assert client.get(KEEP).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies
    assert strict.post(KEEP).status_code == 403
