"""Backup codes: ten single-use codes for signing in when the authenticator app is not to hand (django-otp's static
device).

They are made when an app is set up and whenever the person asks for new ones (the old ones then stop working),
shown once, and each works once. Making them and signing in with one are audited. A person who has neither their
app nor a code left asks their business manager to start a recovery (escalation.accounts.two_factor_links).
"""

from __future__ import annotations

import datetime
import secrets

import django_otp
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from escalation.accounts.two_factor import CodeCheck, _wait_seconds
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType

COUNT = 10
DEVICE_NAME = "Backup codes"
#: Letters and digits that cannot be mistaken for one another when read off paper.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LENGTH = 10
WRONG_CODE = "The backup code is not right, or has been used. Enter one of your unused backup codes."
NOT_A_CODE = "Enter a backup code, like abcde-23456"
THROTTLED = "Too many wrong codes. Wait {seconds} seconds, then enter one of your backup codes."

#: Codes made in this session and not yet shown: shown once, then forgotten.
SESSION_KEY = "backup_codes_to_show"


def _new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def for_people(code: str) -> str:
    """A code as shown: two groups of five, e.g. abcde-23456."""
    return f"{code[:5]}-{code[5:]}"


def clean(code: str) -> str | None:
    """What was typed as a stored code: spaces, hyphens and case do not matter; None if it cannot be one."""
    typed = "".join(ch for ch in (code or "").lower() if ch not in " -\t")
    if len(typed) != LENGTH or any(ch not in ALPHABET for ch in typed):
        return None
    return typed


def codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def make_codes(request: HttpRequest, *, now: datetime.datetime | None = None) -> list[str]:
    """New backup codes for the signed-in person (earlier ones stop working), kept for showing once."""
    user = request.user
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    codes = [_new_code() for _ in range(COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit.record(user, AuditEventType.ACCOUNT_BACKUP_CODES_CREATED, obj=device, after={"codes": COUNT}, now=now)
    shown = [for_people(code) for code in codes]
    request.session[SESSION_KEY] = shown
    return shown


def codes_to_show(request: HttpRequest) -> list[str]:
    """The codes just made, once: a second look shows none."""
    return request.session.pop(SESSION_KEY, [])


@transaction.atomic
def sign_in_with_code(request: HttpRequest, code: str, *, now: datetime.datetime | None = None) -> CodeCheck:
    """Marks this session as having passed 2FA with one backup code, which then never works again."""
    user = request.user
    typed = clean(code)
    if typed is None:
        return CodeCheck(False, NOT_A_CODE)
    device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        return CodeCheck(False, WRONG_CODE)
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(False, THROTTLED.format(seconds=_wait_seconds(device, details)))
    if not device.verify_token(typed):
        return CodeCheck(False, WRONG_CODE)
    django_otp.login(request, device)
    audit.record(
        user,
        AuditEventType.ACCOUNT_BACKUP_CODE_USED,
        obj=device,
        after={"codes_left": device.token_set.count()},
        now=now or timezone.now(),
    )
    return CodeCheck(True)
