"""Who may set up an authenticator app: never on the password alone (issue 12, F10).

A person signed in with only their password could otherwise choose the second factor themselves, so anyone who
learnt a password could tie the account to their own phone. Setting up needs proof that the person also reads
the account's e-mail:

- their invitation link (escalation.accounts.invitations), which calls `allow_enrolment`;
- or a single-use link e-mailed to them when they ask for one on the set-up page (`send_first_link`), valid for an
  hour;
- or, when the app is lost, a recovery link that their partnership's business manager starts for them
  (`start_recovery`), valid for a day. Using it removes the old app and backup codes and ends their other
  sessions; they then set up a new app.

Each link works once, for the person it names, signed in with their own password; only a hash of it is stored;
sending, starting and using one are audited. Permission lasts for this session only.
"""

from __future__ import annotations

import datetime
import logging
from functools import partial

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Membership, Partnership, Role
from escalation.accounts.links import hash_token, new_token, send_link
from escalation.accounts.models import TwoFactorLink
from escalation.accounts.sessions import end_sessions_of, remember_token
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from policies import time_words

logger = logging.getLogger(__name__)

FIRST = TwoFactorLink.Purpose.FIRST
RECOVERY = TwoFactorLink.Purpose.RECOVERY
LIFETIME = {FIRST: datetime.timedelta(hours=1), RECOVERY: datetime.timedelta(days=1)}
#: A person asking again within this time is not sent another e-mail (the first is still on its way).
RESEND_AFTER = datetime.timedelta(minutes=1)

SESSION_KEY = "two_factor_enrolment_for"


class RecoveryRefused(Exception):
    """The person starting recovery may not start it for this person; the message says why."""


def link_address(token: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('two-factor-link', args=[token])}"


def allow_enrolment(request: HttpRequest, user) -> None:
    """This session may set up an authenticator app for `user` (they proved they read the account's e-mail)."""
    request.session[SESSION_KEY] = user.pk


def may_enrol(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.session.get(SESSION_KEY) == request.user.pk


def enrolment_done(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def _details(link: TwoFactorLink) -> dict:
    return {"user_id": link.user_id, "username": link.user.get_username(), "purpose": link.purpose}


def _send(*, to: str, purpose: str, address: str, expires_at: datetime.datetime) -> None:
    expires = time_words.moment(expires_at)
    if purpose == RECOVERY:
        opening = (
            "Your partnership's business manager has started the recovery of your two-factor authentication, "
            "because your authenticator app was lost.\n\n"
        )
    else:
        opening = "You asked to set up two-factor authentication for Safeguarding escalations.\n\n"
    body = (
        f"{opening}Open this link, sign in with your password and set up an authenticator app: {address}\n\n"
        f"The link works once, until {expires}. If you did not ask for this, tell your partnership's business "
        "manager: someone may know your password.\n"
    )
    send_link(to=to, subject="Set up two-factor authentication", body=body, what="two-factor link")


def _new_link(user, purpose: str, *, now: datetime.datetime, started_by=None) -> tuple[TwoFactorLink, str]:
    """A new link for `user`; any earlier unused link of theirs stops working."""
    TwoFactorLink.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    token, token_hash = new_token()
    link = TwoFactorLink.objects.create(
        user=user,
        purpose=purpose,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + LIFETIME[purpose],
        started_by=started_by,
    )
    transaction.on_commit(
        partial(_send, to=user.email, purpose=purpose, address=link_address(token), expires_at=link.expires_at)
    )
    return link, token


@transaction.atomic
def send_first_link(user, *, now: datetime.datetime | None = None) -> TwoFactorLink | None:
    """E-mails `user` a link to set up their first authenticator app; None when nothing was sent (one is set up
    already, or a link went less than a minute ago)."""
    now = now or timezone.now()
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    recent = TwoFactorLink.objects.filter(
        user=user, purpose=FIRST, used_at__isnull=True, created_at__gt=now - RESEND_AFTER, expires_at__gt=now
    )
    if recent.exists():
        return None
    link, _ = _new_link(user, FIRST, now=now)
    after = {**_details(link), "expires_at": link.expires_at.isoformat()}
    audit.record(user, AuditEventType.ACCOUNT_TWO_FACTOR_LINK_SENT, obj=link, after=after, now=now)
    return link


def partnerships_managed_by(user) -> set[int]:
    """The partnerships in which `user` is the business manager."""
    return set(
        Membership.objects.filter(user=user, role=Role.BUSINESS_MANAGER, user__is_active=True).values_list(
            "agency__partnership_id", flat=True
        )
    )


@transaction.atomic
def start_recovery(*, person, started_by, now: datetime.datetime | None = None) -> TwoFactorLink:
    """The business manager starts the recovery of `person`'s lost authenticator app: a link is e-mailed to them."""
    now = now or timezone.now()
    managed = partnerships_managed_by(started_by)
    if not managed:
        raise RecoveryRefused("Only a partnership's business manager can start a recovery.")
    if person.pk == started_by.pk:
        raise RecoveryRefused("You cannot start a recovery for yourself: ask another business manager or an operator.")
    shared = set(
        Membership.objects.filter(user=person, agency__partnership_id__in=managed).values_list(
            "agency__partnership_id", flat=True
        )
    )
    if not shared or not person.is_active:
        raise RecoveryRefused("Nobody in your partnership has that username or e-mail address.")
    if not person.email:
        raise RecoveryRefused("They have no e-mail address, so the link cannot be sent.")
    link, _ = _new_link(person, RECOVERY, now=now, started_by=started_by)
    after = {**_details(link), "expires_at": link.expires_at.isoformat()}
    audit.record(
        started_by,
        AuditEventType.ACCOUNT_TWO_FACTOR_RECOVERY_STARTED,
        obj=link,
        after=after,
        partnership=Partnership.objects.get(pk=min(shared)),
        now=now,
    )
    return link


def usable_link(token: str, user, *, now: datetime.datetime) -> TwoFactorLink | None:
    """The link `token` names if `user` may still use it now."""
    if not token or len(token) > 100:
        return None
    return (
        TwoFactorLink.objects.filter(token_hash=hash_token(token), user=user, used_at__isnull=True, expires_at__gt=now)
        .select_related("user")
        .first()
    )


@transaction.atomic
def use_link(request: HttpRequest, token: str, *, now: datetime.datetime | None = None) -> TwoFactorLink | None:
    """Uses the link for the signed-in person: this session may then set up an app. None if it cannot be used.

    A recovery link first removes the person's apps and backup codes and ends their other sessions.
    """
    now = now or timezone.now()
    user = request.user
    link = usable_link(token, user, now=now)
    if link is None:
        return None
    if not TwoFactorLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
        return None
    if link.purpose == RECOVERY:
        removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
        removed += StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
        end_sessions_of(user, now=now)
        remember_token(request, user)
        audit.record(
            user,
            AuditEventType.ACCOUNT_TWO_FACTOR_RECOVERED,
            obj=link,
            after={**_details(link), "devices": removed},
            now=now,
        )
    allow_enrolment(request, user)
    return link
