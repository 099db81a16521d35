"""Issue 15, finding 9: sign-in in the service's words, and `make run` printing the demo sign-ins once."""

import io

from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from escalation.accounts.forms import WRONG_SIGN_IN
from escalation.management.commands import serve
from tests.factories import name_in_html
from tests.security.conftest import PASSWORD


def test_the_sign_in_page_names_the_service_and_who_gives_accounts(db):
    page = Client().get(reverse("login")).content.decode()
    assert "Sign in to Safeguarding escalations" in page
    assert "Forgotten your password?" in page
    assert f'href="{reverse("password_reset")}"' in page
    assert "get an account" in page.lower()
    assert "partnership" in page.split("get an account")[-1].lower() or "partnership administrator" in page


def test_a_failed_sign_in_says_what_to_do_without_django_default_wording(bcssp):
    response = Client().post(reverse("login"), {"username": bcssp.teacher.username, "password": "not it"})
    page = response.content.decode()
    assert response.status_code == 200
    assert WRONG_SIGN_IN in page
    assert "Please enter a correct" not in page
    assert "case-sensitive" not in page
    assert "govuk-error-summary" in page


def test_the_failure_message_is_the_same_whether_or_not_the_account_exists(bcssp):
    known = Client().post(reverse("login"), {"username": bcssp.teacher.username, "password": "not it"})
    unknown = Client().post(reverse("login"), {"username": "nobody-at-all", "password": "not it"})
    too_long = Client().post(reverse("login"), {"username": "x" * 200, "password": "not it"})
    for response in (known, unknown, too_long):
        assert WRONG_SIGN_IN in response.content.decode()
    assert name_in_html(bcssp.teacher) not in known.content.decode()


def test_a_right_password_still_signs_in(bcssp):
    response = Client().post(reverse("login"), {"username": bcssp.teacher.username, "password": PASSWORD})
    assert response.status_code == 302


def test_load_demo_leaves_the_sign_ins_to_the_server(db, monkeypatch):
    from escalation.management.commands import load_demo as load_demo_command

    monkeypatch.setattr(load_demo_command, "load_demo", lambda: {"disputes": 0, "users": 32})
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "demo-escalation-2026" not in out.getvalue()


def test_the_server_prints_each_demo_sign_in_once_grouped_by_partnership_and_role(db, monkeypatch):
    from escalation import demo

    rows = [
        demo.DemoSignIn("BCSSP", "Bath partnership", "Practitioner", "bcssp-teacher", "Priya Shah", "Class teacher"),
        demo.DemoSignIn("BCSSP", "Bath partnership", "Practitioner", "bcssp-eyp", "Amy Wood", "Early years"),
        demo.DemoSignIn("BCSSP", "Bath partnership", "Business manager", "bcssp-bm", "Lee Turner", "Manager"),
        demo.DemoSignIn("TSCP", "Torbay partnership", "Practitioner", "tscp-teacher", "Priya Shah", "Class teacher"),
    ]
    monkeypatch.setattr(demo, "demo_sign_ins", lambda: rows)
    text = "\n".join(serve.demo_login_lines())
    assert text.count("demo-escalation-2026") == 1, "the one password is printed once"
    for row in rows:
        assert text.count(row.username) == 1
    assert text.index("Bath partnership") < text.index("bcssp-teacher") < text.index("Torbay partnership")
    assert text.count("Practitioner") == 2, "one heading per role in each partnership"


def test_after_an_idle_timeout_the_sign_in_page_says_why_and_that_answers_are_kept(db, settings):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "ended-long-ago-0123456789abcdef"
    page = client.get(reverse("login"), {"next": "/raise/"}).content.decode()
    assert "You were signed out because you did nothing for 30 minutes" in page
    assert "Answers to a dispute you were raising are kept" in page
    fresh = Client().get(reverse("login")).content.decode()
    assert "You were signed out" not in fresh


def test_with_the_real_demo_every_sign_in_is_printed_once(db):
    from escalation.demo import DEMO_PASSWORD, load_demo
    from policies.schema import read_policy_file
    from policies.services import load_policy, seed_files
    from tests.conftest import london

    for path in seed_files():
        load_policy(read_policy_file(path))
    load_demo(now=london(2026, 11, 20, 10))
    text = "\n".join(serve.demo_login_lines())
    assert text.count(DEMO_PASSWORD) == 1
    usernames = [line.split()[0] for line in text.splitlines() if line.startswith("      ")]
    assert len(usernames) == len(set(usernames)) > 30
    assert "bcssp-teacher" in usernames and "tscp-ic" in usernames
    assert text.count("Practitioners") == 2, "each partnership lists its practitioners under one heading"
