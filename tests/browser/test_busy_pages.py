"""Pages for busy people (issue 15), in real Chromium at a laptop's 1280 px and a phone's 320 px: "what happens next"
at the top of a dispute, the home page's "needs you" list, the register as cards on a phone, the inbox's wording,
no sideways scroll on any main page (WCAG 1.4.10 Reflow) and axe-core at WCAG 2.2 AA finding nothing."""

import datetime

import pytest
from django.utils import timezone

from escalation.disputes import services
from tests.browser.conftest import Journey, Person
from tests.conftest import build_world

pytestmark = pytest.mark.browser

WIDTHS = [1280, 320]


#: The innermost elements that reach past the right-hand edge of the screen: what to fix when a page scrolls sideways.
TOO_WIDE_JS = """
(width) => [...document.querySelectorAll('body *')]
  .filter((el) => el.getBoundingClientRect().right > width + 1)
  .filter((el) => ![...el.children].some((child) => child.getBoundingClientRect().right > width + 1))
  .slice(0, 4)
  .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${el.textContent.trim().slice(0, 30)}"`)
"""


def no_sideways_scroll(person: Person, width: int, problems: list[str]) -> None:
    """The page fits the screen: nothing wider than the viewport, so nothing scrolls sideways."""
    scroll_width = person.page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        culprits = person.page.evaluate(TOO_WIDE_JS, width)
        problems.append(f"{person.label} on {person.path}: {scroll_width} px wide on a {width} px screen: {culprits}")


def visit(person: Person, path: str, name: str, width: int, problems: list[str]) -> None:
    person.open(path, name)
    no_sideways_scroll(person, width, problems)


def text_of(person: Person, selector: str) -> str:
    return " ".join(person.page.locator(selector).first.inner_text().split())


@pytest.fixture
def busy_world(transactional_db):
    """A dispute whose 24-hour immediate-harm clock ran out six hours ago, and one just approved to stage 2."""
    world = build_world("bcssp", "BUSY")
    now = timezone.now()
    urgent = world.raise_dispute(now=now - datetime.timedelta(hours=30), immediate_harm=True)
    escalated = world.raise_dispute(now=now - datetime.timedelta(hours=2), category="communication")
    services.propose_escalation(
        dispute=escalated, proposed_by=world.teacher, reason="No reply.", now=now - datetime.timedelta(hours=1)
    )
    services.approve_escalation(dispute=escalated, approver=world.head, now=now - datetime.timedelta(minutes=30))
    world.business_manager.totpdevice_set.create(name="Phone", confirmed=True)
    return world, urgent, escalated


@pytest.mark.parametrize("width", WIDTHS)
def test_practitioner_sees_what_happens_next_at_the_top(journey, busy_world, width):
    world, urgent, _ = busy_world
    walk: Journey = journey(f"busy-practitioner-{width}")
    problems: list[str] = []
    worker = walk.person("practitioner", world.social_worker, width=width)
    worker.sign_in()
    no_sideways_scroll(worker, width, problems)
    needs_you = text_of(worker, "#needs-you")
    assert urgent.reference in needs_you
    assert "Overdue by 6 hours" in needs_you, needs_you

    visit(worker, f"/disputes/{urgent.reference}/", "dispute-overdue-harm", width, problems)
    panel = worker.page.locator("#what-happens-next")
    box = panel.bounding_box()
    assert box is not None and box["y"] < 800, f"the panel starts {box} down the page: it must be near the top"
    harm = text_of(worker, "#next-harm")
    assert "Risk of immediate harm" in harm and "Overdue by 6 hours" in harm, harm
    assert "to act at this stage" in text_of(worker, "#next-whose-move")
    assert worker.page.locator("#next-actions .govuk-button").count() in (1, 2)

    visit(worker, "/notifications/", "notifications", width, problems)
    visit(worker, "/disputes/new/", "raise-start", width, problems)
    visit(worker, "/account/", "account", width, problems)
    assert not problems, problems
    walk.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_other_agencys_manager_finds_the_approved_escalation_and_reads_the_inbox(journey, busy_world, width):
    world, _, escalated = busy_world
    walk: Journey = journey(f"busy-manager-{width}")
    problems: list[str] = []
    manager = walk.person("manager", world.team_manager, width=width)
    manager.sign_in()
    no_sideways_scroll(manager, width, problems)
    assert "Nothing needs you right now" not in manager.page.content()
    needs_you = text_of(manager, "#needs-you")
    assert escalated.reference in needs_you and "Stage 2: Manager to manager" in needs_you, needs_you

    manager.follow(escalated.reference, "dispute-stage-2")
    no_sideways_scroll(manager, width, problems)
    assert "Yours: you hold a role that is waited on." in text_of(manager, "#next-whose-move")
    assert "working day" in text_of(manager, "#next-deadline"), "a working-day deadline, in working days"
    manager.follow("Add a record", "add-a-record")
    no_sideways_scroll(manager, width, problems)

    visit(manager, "/approvals/", "approvals", width, problems)
    visit(manager, "/policies/", "policies", width, problems)
    visit(manager, "/policies/bcssp/", "policy", width, problems)
    visit(manager, "/policies/bcssp/preview/", "policy-preview", width, problems)
    visit(manager, "/notifications/", "notifications", width, problems)
    inbox = text_of(manager, "#notification-list")
    assert f"{escalated.reference}: a professional disagreement has been raised with your agency" in inbox
    assert "Open the dispute to see whose move it is and by when." in inbox
    assert "http" not in inbox, "the inbox links; it never shows an address typed into a message"
    assert not problems, problems
    walk.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_business_manager_reads_the_register_as_cards_on_a_phone(journey, busy_world, width):
    world, urgent, escalated = busy_world
    walk: Journey = journey(f"busy-business-manager-{width}")
    problems: list[str] = []
    manager = walk.person("business-manager", world.business_manager, width=width)
    manager.sign_in()
    no_sideways_scroll(manager, width, problems)

    visit(manager, "/register/", "register", width, problems)
    rows = manager.page.locator("#register-rows tbody tr")
    assert rows.count() == 2
    display = rows.first.evaluate("row => getComputedStyle(row).display")
    assert display == ("block" if width == 320 else "table-row"), display
    urgent_row = " ".join(
        manager.page.locator("#register-rows tbody tr", has_text=urgent.reference).inner_text().split()
    )
    if width == 320:
        label = manager.page.locator('#register-rows td[data-label="Next deadline"]').first
        assert "Next deadline" in label.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert "Overdue by 6 hours" in urgent_row, urgent_row
    escalated_row = manager.page.locator("#register-rows tbody tr", has_text=escalated.reference).inner_text()
    assert "working day" in escalated_row
    reference_height = manager.page.locator("#register-rows tbody th a").first.bounding_box()["height"]
    assert reference_height < 40, "the reference stays on one line"
    # The filters open, one chosen and one refused (an agency of no partnership): the selects and their error.
    visit(manager, "/register/?state=raised&agency=999999", "register-filtered", width, problems)
    assert manager.page.locator("#id_state").input_value() == "raised"
    assert "Select a valid choice" in text_of(manager, "#div_id_agency")

    visit(manager, "/themes/", "themes", width, problems)
    visit(manager, f"/disputes/{urgent.reference}/", "dispute", width, problems)
    assert "Overdue by 6 hours" in text_of(manager, "#next-harm")
    visit(manager, "/notifications/", "notifications", width, problems)
    assert not problems, problems
    walk.assert_clean()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_admin_and_the_chair_work_their_pages_on_a_phone(journey, busy_world, width):
    """The partnership admin's People pages and the import, and the chair's role approvals, reflow at 320 px too."""
    from agencies.models import Role
    from escalation.accounts.roles import grant_role

    world, urgent, _ = busy_world
    world.admin.totpdevice_set.create(name="Phone", confirmed=True)
    world.chair.totpdevice_set.create(name="Phone", confirmed=True)
    grant_role(
        user=world.teacher, agency=world.office, role=Role.BUSINESS_MANAGER, granted_by=world.admin, now=timezone.now()
    )
    walk: Journey = journey(f"busy-admin-chair-{width}")
    problems: list[str] = []

    admin = walk.person("admin", world.admin, width=width)
    admin.sign_in()
    no_sideways_scroll(admin, width, problems)
    visit(admin, "/people/", "people", width, problems)
    visit(admin, "/people/invite/", "people-invite", width, problems)
    visit(admin, f"/people/{world.teacher.pk}/", "person", width, problems)
    visit(admin, "/people/import/", "people-import", width, problems)

    chair = walk.person("chair", world.chair, width=width)
    chair.sign_in()
    no_sideways_scroll(chair, width, problems)
    visit(chair, "/people/role-requests/", "role-requests", width, problems)
    assert "Business manager" in text_of(chair, "main") or "business manager" in text_of(chair, "main")
    visit(chair, "/register/", "register", width, problems)
    visit(chair, f"/disputes/{urgent.reference}/", "dispute", width, problems)
    assert not problems, problems
    walk.assert_clean()
