"""Issue 11's partnership admin in a real browser: sets who holds a partnership office, then tries scenarios.

A BCSSP partnership admin (setting up two-factor authentication on first sign-in) goes from the home page
to the partnership set-up, names the child protection chair from their own partnership (nobody from another
partnership is offered), and sees the holding listed. Then, on the policy page, they play a short scenario
and read its timeline, at a laptop's width and at 320 pixels, and play a broken one and are told which
step is wrong, with what they typed kept.

Every page is screenshotted and checked with axe-core (see conftest.py).
"""

import pytest

from agencies.models import Office, OfficeHolder
from escalation.audit.models import AuditEvent
from tests.browser.conftest import AXE_OPTIONS, VIEWPORT, Journey, Person
from tests.conftest import build_world

pytestmark = pytest.mark.browser

#: The start of policies/scenarios/bcssp/climb-with-breach.yaml: stage 1's deadline is missed before anyone
#: proposes escalation.
SCENARIO = """\
policy: bcssp
nation: england-and-wales
subject: {kind: child, cp_plan: false, looked_after: false}
agencies: {raising: education, other: health}
until: "2026-03-06T12:00:00+00:00"
steps:
  - {at: "2026-03-02T10:00:00+00:00", do: raise, by: raising.practitioner, stage: 1, immediate_harm: false}
  - {at: "2026-03-03T14:00:00+00:00", do: record, by: other.practitioner, kind: discussion}
  - {at: "2026-03-05T09:30:00+00:00", do: propose_escalation, by: raising.practitioner, reason: "No agreement."}
"""
#: The same, with a role no agency has.
BROKEN = SCENARIO.replace("by: other.practitioner", "by: other.chief")

NARROW = {"width": 320, "height": 640}

#: How much wider than the window the page is: more than 0 means scrolling sideways to read it.
SIDEWAYS_JS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
#: Whether an element's top is in the window, without scrolling.
IN_VIEW_JS = "(el) => { const top = el.getBoundingClientRect().top; return top >= 0 && top < window.innerHeight; }"


def table_rows(person: Person) -> list[tuple[str, str]]:
    cells = person.page.locator("main table tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.innerText.trim()))"
    )
    return [(when, what) for when, what in cells]


def at_width(person: Person, size: dict, page_name: str) -> int:
    """Checks the page at this window size; gives how far it scrolls sideways."""
    person.page.set_viewport_size(size)
    person.check(page_name)
    return person.page.evaluate(SIDEWAYS_JS)


def test_a_partnership_admin_names_the_cp_chair_and_tries_scenarios(journey, monkeypatch):
    world = build_world("bcssp", "BCSSP")
    away = build_world("tscp", "AWAY")
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    walk: Journey = journey("admin-offices-and-scenarios")

    admin = walk.person("admin", world.admin)
    admin.sign_in()
    # axe-core's preload fetches the admin's @import-ed stylesheet (forms.css imports widgets.css) relative to
    # the page instead of the sheet, gets a 404 and adds a style element the Content Security Policy blocks:
    # console errors of axe's own making. On the admin's pages axe runs without it, so only the rule that
    # reads the stylesheets' text (css-orientation-lock) is left out there.
    monkeypatch.setitem(AXE_OPTIONS, "preload", False)
    admin.follow("Agencies, people and roles", "set-up")
    admin.follow("Office holders", "office-holders")
    assert admin.path == "/admin/agencies/officeholder/"
    admin.follow("Add office holder", "office-holder-add")
    page = admin.page
    # People are chosen by name, with the username to tell namesakes apart.
    offered = page.locator('select[name="user"] option').all_inner_texts()
    assert f"{world.chair.get_full_name()} ({world.chair.get_username()})" in offered, offered
    assert not any(away.chair.get_username() in option for option in offered), (
        "people of another partnership must not be offered"
    )
    # An admin of one partnership does not have to choose it.
    assert page.input_value('select[name="partnership"]') == str(world.partnership.pk)
    page.select_option('select[name="office"]', Office.CP_CHAIR.value)
    page.select_option('select[name="user"]', str(world.chair.pk))
    page.fill('[name="note"]', "Chairs child protection conferences")
    admin.press("Save", "office-holders-after-add")
    assert admin.path == "/admin/agencies/officeholder/"
    listed = page.locator("#result_list tbody").inner_text()
    assert "Child protection chair" in listed
    assert world.chair.get_username() in listed
    holder = OfficeHolder.objects.get(partnership=world.partnership, office=Office.CP_CHAIR)
    assert holder.user == world.chair
    assert AuditEvent.objects.filter(actor=world.admin, partnership=world.partnership).exists()

    monkeypatch.delitem(AXE_OPTIONS, "preload")

    admin.open("/policies/bcssp/", "policy")
    admin.follow("Try a scenario under this policy", "try-scenario")
    assert admin.path == "/policies/bcssp/try/"
    admin.type_into("scenario", SCENARIO)
    admin.press("Play the scenario", "try-scenario-timeline")
    assert page.get_by_role("heading", name="What happens").is_visible()
    assert page.get_by_role("heading", name="What happens").evaluate(IN_VIEW_JS), "the answer must open at the timeline"
    rows = table_rows(admin)
    whats = [what for _, what in rows]
    assert whats[0] == "raising.practitioner raises the dispute (step 1)", whats
    assert "Stage 1 entered" in whats
    assert any(what.startswith("Deadline stage-1 set: due Wednesday 4 March 2026, 17:00") for what in whats), whats
    # The 10 working days run from the concern's outset (bath:54); the scenario gives none, so from the raise.
    assert any(what.startswith("Deadline overall set: due Monday 16 March 2026, 17:00") for what in whats), whats
    assert "Deadline stage-1 missed" in whats
    assert rows[0][0] == "Monday 2 March 2026, 10:00"

    assert at_width(admin, NARROW, "try-scenario-timeline-320") <= 0, "the timeline scrolls sideways at 320px"
    admin.open_details("The timeline as JSON lines")
    assert at_width(admin, NARROW, "try-scenario-json-lines-320") <= 0, "the JSON lines scroll sideways at 320px"
    assert at_width(admin, VIEWPORT, "try-scenario-json-lines") <= 0, "the JSON lines scroll sideways"

    admin.type_into("scenario", BROKEN)
    admin.press("Play the scenario", "try-scenario-error")
    summary = page.locator(".govuk-error-summary")
    assert "There is a problem with the scenario" in summary.inner_text()
    assert "Step 2 (record): by: 'other.chief': an agency has no role 'chief'" in summary.inner_text()
    assert page.input_value('[name="scenario"]') == BROKEN, "what was typed must be kept"
    assert page.get_by_role("heading", name="What happens").count() == 0
    summary.get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.name") == "scenario", "the error must lead to the box"
    assert at_width(admin, NARROW, "try-scenario-error-320") <= 0, "the error page scrolls sideways at 320px"

    walk.assert_clean()
