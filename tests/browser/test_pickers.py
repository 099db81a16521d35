"""Issue 15, finding 5, in a real browser: picking one of 300 agencies and one of 3,000 people.

With JavaScript the long lists are GOV.UK's accessible autocomplete (type part of a name, pick with the arrow
keys); without it they are plain selects that work on their own. axe-core checks every page, the open
autocomplete included.
"""

import pytest
from django.utils import timezone

from agencies.models import Agency, Membership, Sector
from escalation.disputes import drafts
from tests.browser.conftest import VIEWPORT, Person
from tests.browser.test_timeout_and_drafts import begin
from tests.conftest import build_world
from tests.web.test_raise_pickers import add_staff

pytestmark = pytest.mark.browser


def big_partnership():
    world = build_world("bcssp", "BCSSP")
    Agency.objects.bulk_create(
        Agency(partnership=world.partnership, name=f"Primary School {n:03d}", sector=Sector.EDUCATION)
        for n in range(300)
    )
    add_staff(Agency.objects.get(partnership=world.partnership, name="Primary School 123"), 3000)
    return world


def test_autocomplete_pickers_with_javascript(journey):
    world = big_partnership()
    walk = journey("pickers-with-javascript")
    teacher = walk.person("teacher", world.teacher)
    begin(teacher, world)
    page = teacher.page
    box = page.locator("input#id_other_agency")
    assert box.get_attribute("role") == "combobox"
    box.click()
    page.keyboard.type("school 12")
    page.locator(".autocomplete__menu .autocomplete__option").first.wait_for()
    walk.record(teacher, "agency-autocomplete-open")
    page.get_by_role("option", name="Primary School 123").click()
    assert box.input_value() == "Primary School 123"
    teacher.press("Continue", "question-decision-maker")

    person = page.locator("input#id_other_worker")
    person.click()
    page.keyboard.type("Person2718")
    page.locator(".autocomplete__option").first.wait_for()
    walk.record(teacher, "person-autocomplete-open")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert person.input_value().startswith("Person2718 Example")
    teacher.press("Continue", "question-category")

    answers = drafts.draft_for(world.teacher, now=timezone.now())
    assert answers["other_agency"] == Agency.objects.get(name="Primary School 123").pk
    assert answers["other_worker"] == Membership.objects.get(user__first_name="Person2718").user_id
    walk.assert_clean()


class WithoutJavaScript(Person):
    """Someone whose browser runs no JavaScript. axe-core needs scripts, so their pages are only screenshotted;
    the same pages are checked with axe by `plain_select_seen_by_axe`."""

    def check(self, page_name: str) -> None:
        walk = self.journey
        walk.steps += 1
        stem = f"{walk.steps:02d}-{self.label}-{page_name}"
        self.page.screenshot(path=str(walk.folder / f"{stem}.png"), full_page=True)
        walk.pages.append(f"{stem} ({self.path}, no JavaScript: screenshot only)")


def test_plain_selects_without_javascript(journey):
    world = big_partnership()
    walk = journey("pickers-without-javascript")
    context = walk.browser.new_context(base_url=walk.base_url, java_script_enabled=False, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    walk._contexts.append(context)
    senior = WithoutJavaScript(walk, "senior", world.senior, context.new_page(), keyboard=False)
    begin(senior, world)
    page = senior.page
    assert page.locator("select#id_other_agency").is_visible()
    assert page.locator("input#id_other_agency").count() == 0
    page.select_option("select#id_other_agency", label="Primary School 123")
    senior.press("Continue", "question-decision-maker")
    senior.press("Continue", "decision-maker-nothing-chosen")
    assert page.locator(".govuk-error-summary").is_visible()
    page.select_option("select#id_other_worker", label="Person0042 Example (Social worker)")
    senior.press("Continue", "question-category")
    answers = drafts.RaiseDraft.objects.get(owner=world.senior).answers
    assert answers["other_agency"] == Agency.objects.get(name="Primary School 123").pk
    assert answers["other_worker"] == Membership.objects.get(user__first_name="Person0042").user_id

    plain_select_seen_by_axe(walk.person("senior-axe", world.senior))
    walk.assert_clean()


def plain_select_seen_by_axe(person: Person) -> None:
    """The picker pages as a browser without JavaScript shows them (the enhancing script answered empty), with axe."""
    person.page.route("**/js/autocomplete.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    person.sign_in()
    person.open("/disputes/new/other-agency/", "plain-agency-select")
    assert person.page.locator("select#id_other_agency").is_visible()
    person.open("/disputes/new/decision-maker/", "plain-person-select")
    assert person.page.locator("select#id_other_worker").is_visible()
