"""Inviting a person: an account with no password, their roles, and a single-use link that expires."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp import user_has_device

from agencies.models import Membership, Role
from escalation.accounts.invitations import (
    INVITATION_DAYS,
    RoleToGrant,
    accept_invitation,
    invite_person,
    resend_invitation,
    usable_invitation,
)
from escalation.accounts.models import Invitation, RoleRequest
from escalation.accounts.suspension import suspend_person
from escalation.audit.models import AuditEvent
from policies.runtime import ActionRefused

NEW_PASSWORD = "a long new password for the test"
LINK = re.compile(r"https?://\S+/invitation/([\w-]+)/")


@pytest.fixture
def invite(bcssp, django_capture_on_commit_callbacks):
    """Invites a person as the partnership admin; returns (the invitation, the secret from the e-mail's link)."""

    def _invite(email="new.teacher@school.example", roles=None, now=None):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invite_person(
                partnership=bcssp.partnership,
                email=email,
                first_name="Nia",
                last_name="Teacher",
                roles=roles if roles is not None else [RoleToGrant(bcssp.school, Role.PRACTITIONER, "Class teacher")],
                invited_by=bcssp.admin,
                now=now or timezone.now(),
            )
        return invitation, LINK.search(mail.outbox[-1].body).group(1)

    return _invite


def test_an_invitation_makes_an_account_with_no_password_gives_the_roles_and_emails_a_link(bcssp, invite):
    invitation, token = invite(email="  New.Teacher@School.Example ")
    person = invitation.user
    assert person.username == person.email == "new.teacher@school.example"
    assert not person.has_usable_password()
    assert Membership.objects.filter(user=person, agency=bcssp.school, role=Role.PRACTITIONER).exists()
    message = mail.outbox[-1]
    assert message.to == ["new.teacher@school.example"]
    assert bcssp.partnership.name in message.body
    assert "Nia" not in message.body and "Teacher" not in message.subject, "no personal data beyond the link"
    assert token not in invitation.token_hash, "only a hash of the secret is stored"
    assert invitation.expires_at == invitation.created_at + datetime.timedelta(days=INVITATION_DAYS)
    event = AuditEvent.objects.get(action="person.invited")
    assert event.actor == bcssp.admin and event.after["user_id"] == person.pk


def test_business_manager_in_an_invitation_waits_for_approval(bcssp, invite):
    invitation, _ = invite(roles=[RoleToGrant(bcssp.office, Role.BUSINESS_MANAGER)])
    assert not Membership.objects.filter(user=invitation.user).exists()
    assert RoleRequest.objects.filter(user=invitation.user, status=RoleRequest.Status.PENDING).exists()


def test_only_an_admin_of_the_partnership_invites_and_an_address_in_use_is_refused(bcssp, invite, world_for):
    away = world_for("tscp", "AWAY")
    for outsider in (away.admin, bcssp.business_manager, bcssp.teacher):
        with pytest.raises(ActionRefused):
            invite_person(
                partnership=bcssp.partnership,
                email="x@example.org",
                first_name="X",
                last_name="Y",
                roles=[],
                invited_by=outsider,
                now=timezone.now(),
            )
    with pytest.raises(ActionRefused, match="not in"):
        invite_person(
            partnership=bcssp.partnership,
            email="x@example.org",
            first_name="X",
            last_name="Y",
            roles=[RoleToGrant(away.school, Role.PRACTITIONER)],
            invited_by=bcssp.admin,
            now=timezone.now(),
        )
    with pytest.raises(ActionRefused, match="already has an account"):
        invite(email=bcssp.teacher.email.upper())
    assert not get_user_model().objects.filter(username="x@example.org").exists()


def test_the_link_sets_a_password_once_and_signs_the_person_in(client, bcssp, invite):
    invitation, token = invite()
    url = reverse("invitation-accept", kwargs={"token": token})
    page = client.get(url)
    assert page.status_code == 200 and "Create your password" in page.content.decode()
    weak = client.post(url, {"new_password1": "123456789012", "new_password2": "123456789012"})
    assert "entirely numeric" in weak.content.decode(), "Django's validators apply"
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    person = get_user_model().objects.get(pk=invitation.user_id)
    assert person.check_password(NEW_PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="person.invitation_accepted", actor=person).exists()
    again = client.get(url)
    assert again.status_code == 404 and "This link does not work" in again.content.decode()


def test_a_role_that_needs_two_factor_goes_to_set_up_first(client, bcssp, invite):
    invitation, token = invite(email="second.admin@partnership.example", roles=[RoleToGrant(bcssp.office, Role.ADMIN)])
    url = reverse("invitation-accept", kwargs={"token": token})
    response = client.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"].startswith(reverse("two-factor-setup"))
    assert client.get(reverse("home"))["Location"].startswith(reverse("two-factor-setup"))
    assert not user_has_device(invitation.user, confirmed=True)


def test_an_expired_replaced_or_suspended_link_does_not_work(client, bcssp, invite):
    start = timezone.now()
    invitation, token = invite(now=start)
    assert usable_invitation(token, now=start + datetime.timedelta(days=INVITATION_DAYS, seconds=-1))
    assert usable_invitation(token, now=start + datetime.timedelta(days=INVITATION_DAYS)) is None
    assert accept_invitation(token=token, password=NEW_PASSWORD, now=start + datetime.timedelta(days=8)) is None

    resend_invitation(user=invitation.user, partnership=bcssp.partnership, invited_by=bcssp.admin, now=start)
    assert usable_invitation(token, now=start) is None, "a new link replaces the old one"
    newest = Invitation.objects.filter(user=invitation.user).order_by("-id").first()
    assert newest.is_usable(start)

    suspend_person(user=invitation.user, suspended_by=bcssp.admin, now=start)
    newest.refresh_from_db()
    assert not newest.is_usable(start)
    assert client.get(reverse("invitation-accept", kwargs={"token": "not-a-real-token"})).status_code == 404


def test_the_links_e_mails_say_when_they_expire_as_every_page_does(bcssp, invite, django_capture_on_commit_callbacks):
    """One way to say time: '5pm on Wednesday 9 December 2026', in the invitation and the two-factor link alike."""
    from escalation.accounts.two_factor_links import send_first_link

    now = datetime.datetime(2026, 12, 2, 15, 30, tzinfo=datetime.UTC)
    invite(now=now)
    assert "until 3:30pm on Wednesday 9 December 2026." in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        send_first_link(bcssp.business_manager, now=now)
    assert "until 4:30pm on Wednesday 2 December 2026." in mail.outbox[-1].body
