"""Issue 12's accounts a partnership runs itself, in a real browser.

A BCSSP partnership admin invites a new teacher from the People pages. The teacher opens the link from the
e-mail, creates a password and is signed in. The admin then suspends them as a leaver, and the teacher's open
browser is signed out at once: the next page is the sign-in page, and their password no longer works.

Every page is screenshotted and checked with axe-core (see conftest.py).
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Role
from escalation.audit.models import AuditEvent
from tests.browser.conftest import Journey
from tests.conftest import build_world

pytestmark = pytest.mark.browser

EMAIL = "nia.jones@bcssp-school.example"
NEW_PASSWORD = "Blue kettles sing at dawn 42"
LINK = re.compile(r"https?://[^/\s]+(/invitation/[\w-]+/)")


def test_an_admin_invites_a_teacher_who_accepts_and_is_later_suspended(journey):
    world = build_world("bcssp", "BCSSP")
    # The admin set up their authenticator app long ago: this journey is about people, not first enrolment.
    TOTPDevice.objects.create(user=world.admin, name="Authenticator app", confirmed=True)
    walk: Journey = journey("people-invite-accept-suspend")

    admin = walk.person("admin", world.admin)
    admin.sign_in()
    admin.follow("People: invite someone", "people")
    assert admin.path == "/people/"
    admin.follow("Invite a person", "invite")
    admin.press("Send the invitation", "invite-errors")
    assert admin.page.locator(".govuk-error-summary").is_visible()
    admin.type_into("first_name", "Nia")
    admin.type_into("last_name", "Jones")
    admin.type_into("email", EMAIL)
    # The agency is GOV.UK's accessible autocomplete: type part of its name and pick it from the list.
    agency = admin.page.locator("input#id_agency")
    agency.click()
    admin.page.keyboard.type(world.school.name[:8])
    admin.page.get_by_role("option", name=world.school.name).click()
    assert agency.input_value() == world.school.name
    admin.choose("role", Role.PRACTITIONER)
    admin.type_into("designation", "Class teacher")
    admin.press("Send the invitation", "person-invited")
    assert "Invited" in admin.page.locator("main").inner_text()

    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    link = LINK.search(mail.outbox[0].body).group(1)
    teacher_user = get_user_model().objects.get(username=EMAIL)

    teacher = walk.person("teacher", teacher_user)
    teacher.open(link, "create-password")
    teacher.type_into("new_password1", NEW_PASSWORD)
    teacher.type_into("new_password2", NEW_PASSWORD)
    teacher.press("Create password and sign in", "home")
    assert teacher.path == "/"
    assert "Nia Jones" in teacher.page.locator("header").inner_text()

    teacher.open(link, "link-used", status=404)
    assert "This link does not work" in teacher.page.locator("main").inner_text()
    teacher.open("/", "home-again")

    admin.open(admin.path, "person-active")
    assert "Active" in admin.page.locator("main").inner_text()
    admin.press("Suspend Nia Jones", "person-suspended")
    assert "Suspended" in admin.page.locator("main").inner_text()

    teacher.page.reload()
    assert teacher.path.startswith("/sign-in/"), teacher.path
    teacher.check("signed-out")
    teacher.type_into("username", EMAIL)
    teacher.type_into("password", NEW_PASSWORD)
    teacher.press("Sign in", "sign-in-refused")
    assert teacher.path.startswith("/sign-in/")
    assert teacher.page.locator(".govuk-error-summary").is_visible()

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"person.invited", "role.granted", "person.invitation_accepted", "person.suspended"} <= actions
    walk.assert_clean()


RESET_LINK = re.compile(r"https?://[^/\s]+(/password-reset/[^/\s]+/[^/\s]+/)")


def test_a_teacher_who_forgot_their_password_resets_it(journey):
    world = build_world("bcssp", "BCSSP")
    walk: Journey = journey("password-reset")
    teacher = walk.person("teacher", world.teacher)
    teacher.open("/sign-in/", "sign-in")
    teacher.follow("Forgotten your password", "reset-request")
    teacher.type_into("email", "nobody-at-all@example.org")
    teacher.press("Send the link", "reset-sent-to-unknown")
    unknown = teacher.page.locator("main").inner_text()
    teacher.open("/password-reset/", "reset-request-again")
    teacher.type_into("email", world.teacher.email)
    teacher.press("Send the link", "reset-sent")
    assert teacher.page.locator("main").inner_text() == unknown, "the same answer whether or not the address exists"

    assert len(mail.outbox) == 1
    teacher.open(RESET_LINK.search(mail.outbox[0].body).group(1), "new-password")
    teacher.type_into("new_password1", NEW_PASSWORD)
    teacher.type_into("new_password2", NEW_PASSWORD)
    teacher.press("Save the new password", "password-changed")
    teacher.sign_in(password=NEW_PASSWORD)
    walk.assert_clean()
