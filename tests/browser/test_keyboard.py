"""Keyboard use beyond the journeys: the whole Tab order of the busiest pages, the skip link, and errors.

The journeys in test_journeys.py already drive one journey by keyboard alone; these check every Tab stop
of a page (not only the ones a journey passes), and that a mistake can be found and put right without
a mouse, with nothing typed lost.
"""

import pytest
from django.utils import timezone

from escalation.disputes import services
from tests.browser.conftest import Journey, describe
from tests.conftest import build_world

pytestmark = pytest.mark.browser

POSITIVE_TABINDEX_JS = "() => [...document.querySelectorAll('[tabindex]')].filter(e => e.tabIndex > 0).length"


def test_every_tab_stop_shows_its_focus_and_the_skip_link_comes_first(journey):
    world = build_world("bcssp", "KEYS")
    dispute = world.raise_dispute(now=timezone.now())
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No reply to two e-mails.")
    walk: Journey = journey("keyboard-tab-order")
    head = walk.person("head", world.head, keyboard=True)
    head.sign_in()

    pages = [
        ("/", "home"),
        (f"/disputes/{dispute.reference}/", "dispute"),
        ("/approvals/", "approvals"),
        (f"/disputes/{dispute.reference}/approve/", "decide-escalation"),
        ("/notifications/", "notifications"),
        ("/policies/", "policies"),
    ]
    for path, name in pages:
        head.open(path, name)
        assert head.page.evaluate(POSITIVE_TABINDEX_JS) == 0, f"{path}: a positive tabindex changes the Tab order"
        stops = head.tab_through()
        assert len(stops) > 3, f"{path}: only {[describe(s) for s in stops]}"
        assert "govuk-skip-link" in stops[0]["classes"], f"{path}: first Tab stop is {describe(stops[0])}"

        # The skip link shows when focused, and takes the next Tab past the header into the page's content.
        head.page.reload()
        skip = head.tab()
        assert skip is not None and "govuk-skip-link" in skip["classes"]
        box = head.page.locator(".govuk-skip-link").bounding_box()
        assert box is not None and box["y"] >= 0 and box["height"] > 10, f"{path}: the focused skip link is hidden"
        head.page.keyboard.press("Enter")
        assert (head.focused() or {}).get("id") == "main-content", f"{path}: the skip link did not move focus"
        first = head.tab()
        assert first is not None and first["inMain"], f"{path}: after the skip link, Tab went to {describe(first)}"

    walk.assert_clean()


def test_a_mistake_is_found_and_put_right_by_keyboard_with_nothing_lost(journey):
    world = build_world("bcssp", "OOPS")
    walk: Journey = journey("keyboard-errors")
    teacher = walk.person("teacher", world.teacher, keyboard=True)
    teacher.sign_in()
    teacher.open("/disputes/new/immediate-harm/", "question-immediate-harm")

    # Continue without answering: the error summary takes focus; its link leads to the question.
    teacher.press("Continue", "question-immediate-harm-error")
    assert teacher.page.title().startswith("Error: ")
    summary = teacher.focused()
    assert summary is not None and "govuk-error-summary" in summary["classes"], describe(summary)
    link = teacher.tab()
    assert link is not None and link["text"] == "Select yes if someone is at risk of immediate harm", describe(link)
    teacher.page.keyboard.press("Enter")
    on = teacher.focused()
    assert on is not None and (on["type"], on["name"]) == ("radio", "immediate_harm"), describe(on)
    teacher.choose("immediate_harm", "no")
    teacher.press("Continue", None)
    if teacher.path == "/disputes/new/subject-kind/":
        teacher.check("question-subject-kind")
        teacher.choose("kind", "child")
        teacher.press("Continue", None)
    assert teacher.path == "/disputes/new/subject/"
    teacher.check("question-subject")

    # A date that does not exist: everything typed comes back, and the summary leads to the date.
    teacher.type_into("name", "Riley Example")
    teacher.type_into("date_of_birth_0", "31")
    teacher.type_into("date_of_birth_1", "2")
    teacher.type_into("date_of_birth_2", "2017")
    teacher.type_into("address", "2 Example Road")
    teacher.press("Continue", "question-subject-error")
    assert teacher.path == "/disputes/new/subject/"
    page = teacher.page
    kept = {name: page.input_value(f'[name="{name}"]') for name in ("name", "date_of_birth_0", "address")}
    assert kept == {"name": "Riley Example", "date_of_birth_0": "31", "address": "2 Example Road"}
    link = teacher.tab()
    assert link is not None and link["text"] == "Date of birth must be a real date", describe(link)
    teacher.type_into("date_of_birth_0", "28")
    teacher.press("Continue", "question-other-agency")
    assert teacher.path == "/disputes/new/other-agency/"

    walk.assert_clean()


def test_the_error_link_for_a_date_that_does_not_exist_moves_focus_to_the_day(journey):
    world = build_world("bcssp", "DATE")
    dispute = world.raise_dispute(now=timezone.now())
    walk: Journey = journey("keyboard-date-error")
    worker = walk.person("social-worker", world.social_worker, keyboard=True)
    worker.sign_in()
    worker.open(f"/disputes/{dispute.reference}/record/", "add-record")
    worker.choose("kind", "discussion")
    worker.type_into("occurred_on_0", "30")
    worker.type_into("occurred_on_1", "2")
    worker.type_into("text", "Phoned the school.")
    worker.press("Add the record", "add-record-error")
    link = worker.tab()
    assert link is not None and link["text"] == "Date it happened must be a real date", describe(link)
    worker.page.keyboard.press("Enter")
    walk.assert_clean()
    assert (worker.focused() or {}).get("name") == "occurred_on_0", describe(worker.focused())
