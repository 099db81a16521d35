"""Issue 12's "Done when": a partnership admin, in the browser and with no programmer, imports a CSV of 300 people in
40 agencies, checks the dry run, imports (which invites them), and suspends one of them.

The file is made here, as a spreadsheet would save it (CSV UTF-8, with a byte order mark). Every page is
screenshotted and checked with axe-core (see conftest.py).
"""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Agency, Membership, Role
from escalation.accounts.models import Invitation
from escalation.audit.models import AuditEvent
from tests.browser.conftest import Journey
from tests.conftest import build_world

pytestmark = pytest.mark.browser

AGENCIES = 40
PEOPLE = 300
ROLES = ["practitioner", "practitioner", "practitioner", "manager", "dsl", "senior_manager"]
TYPES = ["education", "early_years", "health", "police", "childrens_social_care", "voluntary"]


def spreadsheet(*, mistakes: bool = False) -> bytes:
    """The 300 people; with `mistakes`, three more rows a person might get wrong."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["agency_name", "agency_type", "person_email", "first_name", "last_name", "role", "job_title"])
    for n in range(PEOPLE):
        agency = n % AGENCIES
        writer.writerow(
            [
                f"Setting {agency:02d}",
                TYPES[agency % len(TYPES)],
                f"worker{n:03d}@setting{agency:02d}.example",
                "Alex",
                f"Worker{n:03d}",
                ROLES[n % len(ROLES)],
                "",
            ]
        )
    if mistakes:
        writer.writerow(["Setting 00", "", "worker000@setting00", "Alex", "Worker000", "practitioner", ""])
        writer.writerow(["Setting 01", "", "worker001@setting01.example", "Alex", "Worker001", "practitioner", ""])
        writer.writerow(["Setting 02", "", "new@setting02.example", "Jo", "New", "head teacher", ""])
    return ("\ufeff" + out.getvalue()).encode()


def test_an_admin_imports_300_people_in_40_agencies_invites_them_and_suspends_one(journey, tmp_path):
    world = build_world("bcssp", "BCSSP")
    walk: Journey = journey("people-import")
    file = tmp_path / "our-people.csv"
    file.write_bytes(spreadsheet())
    first_try = tmp_path / "our-people-first-try.csv"
    first_try.write_bytes(spreadsheet(mistakes=True))

    # The admin already has an authenticator app, so signing in asks for its code (setting one up is another
    # journey's subject).
    TOTPDevice.objects.create(user=world.admin, name="Phone", confirmed=True)
    admin = walk.person("admin", world.admin)
    admin.sign_in()
    admin.follow("People", "people")
    admin.follow("Import from a CSV file", "import")
    page = admin.page
    # The first try has mistakes: each is listed, with its row, and nothing can be imported.
    page.set_input_files('input[name="file"]', str(first_try))
    admin.press("Check the file", "check-with-problems")
    problems = page.locator(".govuk-error-summary__list li").all_inner_texts()
    assert [problem.split(":")[0] for problem in problems] == [
        "Row 302 (person_email)",
        "Row 303",
        "Row 304 (role)",
    ], problems
    assert page.get_by_role("button", name="Import").count() == 0
    # Corrected, on the same page.
    page.set_input_files('input[name="file"]', str(file))
    admin.press("Check the file", "check")
    assert page.locator("main table tbody tr").count() == PEOPLE
    summary = page.locator(".govuk-summary-list").inner_text()
    assert f"Agencies to add\n{AGENCIES}" in summary.replace("\t", "\n")
    assert f"People to invite\n{PEOPLE}" in summary.replace("\t", "\n")
    assert Agency.objects.filter(partnership=world.partnership).count() == 4  # the dry run wrote nothing

    # One request invites 300 people: on a busy test machine it can take longer than a page usually may.
    page.set_default_timeout(120_000)
    admin.press(f"Import and send {PEOPLE} invitations", "imported")
    page.set_default_timeout(15_000)
    assert admin.path == "/people/"
    assert (
        f"{AGENCIES} agencies added, {PEOPLE} people invited" in page.locator(".govuk-notification-banner").inner_text()
    )
    assert Agency.objects.filter(partnership=world.partnership).count() == 4 + AGENCIES
    imported = get_user_model().objects.filter(username__endswith=".example", username__startswith="worker")
    assert imported.count() == PEOPLE
    assert Membership.objects.filter(user__in=imported).count() == PEOPLE
    assert Invitation.objects.filter(user__in=imported, accepted_at__isnull=True).count() == PEOPLE
    assert len([m for m in mail.outbox if m.to[0].startswith("worker")]) == PEOPLE
    assert AuditEvent.objects.filter(action="people.imported", actor=world.admin).count() == 1

    # A leaver among them: found by name, suspended.
    admin.type_into("q", "Worker123")
    admin.press("Search", "search")
    admin.follow("Alex Worker123", "person")
    admin.press("Suspend Alex Worker123", "suspended")
    leaver = get_user_model().objects.get(username="worker123@setting03.example")
    assert not leaver.is_active
    assert Membership.objects.filter(user=leaver, role=Role.MANAGER).exists()  # their roles stay
    assert not Invitation.objects.filter(user=leaver, withdrawn_at__isnull=True, accepted_at__isnull=True).exists()
    assert "Suspended" in page.locator("main").inner_text()

    # The same file again: every row unchanged, and nothing to invite.
    admin.open("/people/import/", "import-again")
    page.set_input_files('input[name="file"]', str(file))
    admin.press("Check the file", "check-again")
    assert f"Rows that change nothing\n{PEOPLE}" in page.locator(".govuk-summary-list").inner_text().replace("\t", "\n")
    walk.assert_clean()
