"""Issue 15, finding 3, in a real browser: nothing typed is lost.

1. The timeout warning: a few minutes before the session ends a modal dialog takes focus; "Stay signed in"
   extends the session on the server and gives focus back. The page's clock is Playwright's, moved on by the
   test, so nobody waits half an hour.
2. When the time runs out, the person is signed out and told why; signing in again brings them back to the
   question they were on, with their answers.
3. Signing out in the middle of raising a dispute and signing in again: the start page offers to carry on.
"""

import pytest
from django.contrib.sessions.models import Session

from tests.browser.conftest import Person
from tests.conftest import build_world
from tests.web.test_raise_drafts import SUBJECT

pytestmark = pytest.mark.browser

SESSION_SECONDS = 600


def begin(teacher: Person, world) -> None:
    """Signs in and answers the first questions, up to "Which agency do you disagree with?"."""
    teacher.sign_in()
    teacher.open("/disputes/new/", "raise-start")
    teacher.follow("Start now", "question-immediate-harm")
    teacher.choose("immediate_harm", "no")
    if len(world.partnership.policy.current_version.subjects) > 1:
        teacher.press("Continue", None)
        teacher.choose("kind", "child")
    teacher.press("Continue", None)
    teacher.type_into("name", SUBJECT["name"])
    teacher.type_into("address", SUBJECT["address"])
    teacher.press("Continue", "question-other-agency")
    assert teacher.path == "/disputes/new/other-agency/"


def sign_in_here(person: Person) -> None:
    """Signs in on the sign-in page already open (it carries where to go next)."""
    person.type_into("username", person.user.get_username())
    person.type_into("password", "correct horse battery staple")
    person.press("Sign in", None)


def session_expiry(person: Person):
    cookie = next(c for c in person.page.context.cookies() if c["name"] == "sessionid")
    return Session.objects.get(session_key=cookie["value"]).expire_date


def test_the_timeout_warning_and_stay_signed_in(journey, settings):
    settings.SESSION_COOKIE_AGE = SESSION_SECONDS
    world = build_world("bcssp", "BCSSP")
    walk = journey("timeout-warning")
    teacher = walk.person("teacher", world.teacher)
    teacher.page.clock.install()
    begin(teacher, world)
    dialog = teacher.page.locator("#app-timeout-warning")
    assert not dialog.is_visible()
    teacher.page.locator("main input[type=radio]").first.focus()
    before = session_expiry(teacher)

    teacher.page.clock.fast_forward((SESSION_SECONDS - 300 + 2) * 1000)
    dialog.wait_for(state="visible")
    assert teacher.page.evaluate("document.activeElement.id") == "app-timeout-warning-heading"
    assert "You are about to be signed out" in dialog.inner_text()
    assert "minutes" in teacher.page.locator(".app-timeout-warning__countdown").inner_text()
    walk.record(teacher, "timeout-warning")

    # Tab stays inside the modal dialog.
    for _ in range(4):
        teacher.page.keyboard.press("Tab")
        assert teacher.page.evaluate("Boolean(document.activeElement.closest('#app-timeout-warning'))")

    with teacher.page.expect_response(lambda r: r.url.endswith("/account/keep-signed-in/")) as answered:
        teacher.page.get_by_role("button", name="Stay signed in").click()
    assert answered.value.status == 200
    dialog.wait_for(state="hidden")
    assert teacher.page.evaluate("document.activeElement.type") == "radio", "focus goes back where it was"
    assert session_expiry(teacher) > before, "the server's session was extended"
    walk.record(teacher, "after-stay-signed-in")

    # Escape means "stay signed in" too.
    teacher.page.clock.fast_forward((SESSION_SECONDS - 300 + 2) * 1000)
    dialog.wait_for(state="visible")
    with teacher.page.expect_response(lambda r: r.url.endswith("/account/keep-signed-in/")):
        teacher.page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert teacher.path == "/disputes/new/other-agency/"
    walk.assert_clean()


def test_when_time_runs_out_the_answers_wait_for_the_next_sign_in(journey, settings):
    settings.SESSION_COOKIE_AGE = SESSION_SECONDS
    world = build_world("bcssp", "BCSSP")
    walk = journey("timeout-resume")
    teacher = walk.person("teacher", world.teacher)
    teacher.page.clock.install()
    begin(teacher, world)

    with teacher.page.expect_navigation(url="**/sign-in/**"):
        teacher.page.clock.fast_forward((SESSION_SECONDS + 2) * 1000)
    teacher.page.wait_for_load_state("load")
    teacher.check("signed-out-after-timeout")
    notice = teacher.page.locator("#signed-out-inactive").inner_text()
    assert "You were signed out because you did nothing" in notice
    assert "Answers to a dispute you were raising are kept" in notice

    sign_in_here(teacher)
    assert teacher.path == "/disputes/new/other-agency/", "back to the question they were on"
    teacher.check("back-on-the-question")
    teacher.follow("Back", None)
    assert teacher.page.input_value('[name="name"]') == SUBJECT["name"]
    teacher.check("answers-kept")
    walk.assert_clean()


def test_signing_out_midway_and_back_in_offers_to_carry_on(journey):
    world = build_world("bcssp", "BCSSP")
    walk = journey("sign-out-resume")
    teacher = walk.person("teacher", world.teacher)
    begin(teacher, world)
    teacher.press("Sign out", "signed-out")

    teacher.sign_in()
    teacher.open("/disputes/new/", "raise-start-with-draft")
    assert "kept for 24 hours" in teacher.page.locator("#answers-kept").inner_text()
    teacher.follow("Continue where you left off", "resumed")
    assert teacher.path == "/disputes/new/other-agency/"

    colleague = walk.person("colleague", world.head)
    colleague.sign_in()
    colleague.open("/disputes/new/", "colleague-raise-start")
    assert colleague.page.get_by_text("Continue where you left off").count() == 0, "a draft is its owner's only"
    walk.assert_clean()
