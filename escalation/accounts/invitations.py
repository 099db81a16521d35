"""Inviting a person by e-mail: an account with no password, their roles, and a single-use link to set one.

The link carries a random secret; only its SHA-256 is stored, so the database alone opens no account. A link works
once, until it expires (`INVITATION_DAYS`), and stops working when a new one is sent or the person is suspended.
The e-mail holds the partnership's name and the link, nothing about the person. After setting a password the
person is signed in, and the two-factor check (`two_factor.needs_two_factor`) sends anyone whose role needs it to
set up an authenticator app before any other page.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from agencies.models import Agency, Partnership
from escalation.accounts.links import hash_token, new_token, send_link
from escalation.accounts.models import Invitation
from escalation.accounts.roles import administers, grant_role
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from policies import time_words
from policies.runtime import ActionRefused

logger = logging.getLogger(__name__)

#: How long an invitation link works.
INVITATION_DAYS = 7
#: Django's longest username; the e-mail address is the username.
USERNAME_LIMIT = 150

ALREADY_HAS_AN_ACCOUNT = (
    "Someone with this e-mail address already has an account. Find them under People to change their roles, "
    "or ask a superuser if they work with another partnership."
)


class AddressRefused(ActionRefused):
    """The e-mail address cannot be used: not an address, too long, or someone already has it."""


@dataclass(frozen=True)
class RoleToGrant:
    """One role an invited person is to hold: in `agency`, with an optional job title."""

    agency: Agency
    role: str
    designation: str = ""


def invitation_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("invitation-accept", kwargs={"token": token})


def normalise_email(email: str) -> str:
    address = (email or "").strip().lower()
    try:
        validate_email(address)
    except Exception:  # noqa: BLE001 - Django's ValidationError, said in the person's words below
        raise AddressRefused("Enter an e-mail address in the correct format, like name@example.org.") from None
    if len(address) > USERNAME_LIMIT:
        raise AddressRefused(f"The e-mail address must be {USERNAME_LIMIT} characters or fewer.")
    return address


def _send(*, to: str, partnership_name: str, link: str, expires_at: datetime.datetime) -> None:
    """Sends the invitation; a mail server that refuses is logged, and the admin can send a new link."""
    body = (
        f"{partnership_name} has invited you to use Safeguarding escalations, the service for resolving "
        "professional disagreements under its escalation policy.\n\n"
        f"Set your password here: {link}\n\n"
        f"The link works once, until {time_words.moment(expires_at)}. If it has expired, ask your partnership admin "
        "for a new one.\n"
        "If you were not expecting this e-mail, you can ignore it.\n"
    )
    send_link(to=to, subject="You have been invited to Safeguarding escalations", body=body, what="invitation")


def _new_invitation(*, user, partnership: Partnership, invited_by, now: datetime.datetime) -> Invitation:
    token, token_hash = new_token()
    invitation = Invitation.objects.create(
        user=user,
        partnership=partnership,
        invited_by=invited_by,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + datetime.timedelta(days=INVITATION_DAYS),
    )
    transaction.on_commit(
        partial(
            _send,
            to=user.email,
            partnership_name=partnership.name,
            link=invitation_link(token),
            expires_at=invitation.expires_at,
        )
    )
    return invitation


def _audit_invited(invitation: Invitation, *, resent: bool, now: datetime.datetime) -> None:
    audit.record(
        invitation.invited_by,
        AuditEventType.PERSON_INVITED,
        obj=invitation,
        partnership=invitation.partnership,
        after={
            "user_id": invitation.user_id,
            "username": invitation.user.get_username(),
            "expires_at": invitation.expires_at.isoformat(),
            "resent": resent,
        },
        now=now,
    )


@transaction.atomic
def invite_person(
    *,
    partnership: Partnership,
    email: str,
    first_name: str,
    last_name: str,
    roles: Sequence[RoleToGrant],
    invited_by,
    now: datetime.datetime,
) -> Invitation:
    """Create the person's account (username = e-mail address, no password yet), give them `roles` through
    `roles.grant_role` (business manager and chair wait for approval), and e-mail them a link to set a password.

    Refused (`ActionRefused`) for someone who is not an admin of `partnership`, an address already in use, or a
    role in an agency of another partnership."""
    if not administers(invited_by, partnership):
        raise ActionRefused("Only an admin of this partnership can invite people to it.")
    address = normalise_email(email)
    for wanted in roles:
        if wanted.agency.partnership_id != partnership.pk:
            raise ActionRefused(f"{wanted.agency.name} is not in {partnership.name}.")
    user_model = get_user_model()
    if user_model.objects.filter(Q(username__iexact=address) | Q(email__iexact=address)).exists():
        raise AddressRefused(ALREADY_HAS_AN_ACCOUNT)
    user = user_model(username=address, email=address, first_name=first_name.strip(), last_name=last_name.strip())
    user.set_unusable_password()
    user.save()
    for wanted in roles:
        grant_role(
            user=user,
            agency=wanted.agency,
            role=wanted.role,
            designation=wanted.designation,
            granted_by=invited_by,
            now=now,
        )
    invitation = _new_invitation(user=user, partnership=partnership, invited_by=invited_by, now=now)
    _audit_invited(invitation, resent=False, now=now)
    return invitation


@transaction.atomic
def resend_invitation(*, user, partnership: Partnership, invited_by, now: datetime.datetime) -> Invitation:
    """A new link for someone who has not set a password yet; every earlier link stops working."""
    if not administers(invited_by, partnership):
        raise ActionRefused("Only an admin of this partnership can invite people to it.")
    if not Invitation.objects.filter(user=user, partnership=partnership).exists():
        raise ActionRefused("This person was not invited to your partnership.")
    if user.has_usable_password() or Invitation.objects.filter(user=user, accepted_at__isnull=False).exists():
        raise ActionRefused("This person has already set their password: they can reset it from the sign-in page.")
    if not user.is_active:
        raise ActionRefused("This person is suspended: reinstate them first.")
    Invitation.objects.filter(user=user, accepted_at__isnull=True, withdrawn_at__isnull=True).update(withdrawn_at=now)
    invitation = _new_invitation(user=user, partnership=partnership, invited_by=invited_by, now=now)
    _audit_invited(invitation, resent=True, now=now)
    return invitation


def usable_invitation(token: str, *, now: datetime.datetime) -> Invitation | None:
    """The invitation this link's secret opens, if it still works: not used, not replaced, not expired, and its
    person not suspended."""
    if not token or len(token) > 100:
        return None
    invitation = Invitation.objects.select_related("user", "partnership").filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_usable(now) or not invitation.user.is_active:
        return None
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, password: str, now: datetime.datetime):
    """Set the invited person's password (already checked by Django's validators) and use up the link.

    Returns the person, or None when the link no longer works (used meanwhile, replaced, expired)."""
    found = usable_invitation(token, now=now)
    if found is None:
        return None
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=found.pk)
    if not invitation.is_usable(now):
        return None
    user = invitation.user
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    Invitation.objects.filter(user=user, accepted_at__isnull=True, withdrawn_at__isnull=True).update(withdrawn_at=now)
    audit.record(
        user,
        AuditEventType.INVITATION_ACCEPTED,
        obj=invitation,
        partnership=invitation.partnership,
        after={"user_id": user.pk, "username": user.get_username()},
        now=now,
    )
    return user
