"""Two-factor authentication with an authenticator app (TOTP, django-otp).

Required for the partnership's business managers, chairs and admins and for Django admin staff;
offered to everyone else. Anyone who has set it up must use it at every sign-in.
"""

import base64
import datetime
from dataclasses import dataclass

import django_otp
import qrcode
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from qrcode.image.svg import SvgPathImage

from agencies.models import PARTNERSHIP_ROLES, Membership
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType

SETUP = "setup"
VERIFY = "verify"


def two_factor_required(user) -> bool:
    """Whether this person may not use the service without 2FA, set up or not."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role__in=PARTNERSHIP_ROLES).exists()


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def needs_two_factor(user) -> str | None:
    """What a signed-in person who has not passed 2FA in this session must do first, if anything."""
    if has_two_factor(user):
        return VERIFY
    if two_factor_required(user):
        return SETUP
    return None


def pending_device(user) -> TOTPDevice:
    """The authenticator app being set up: a new secret key until a code from it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def key_for_people(device: TOTPDevice) -> str:
    """The secret key in base32, in groups of four, for typing into an app by hand."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    """The set-up QR code as a data: URI (an SVG image), allowed by the Content Security Policy."""
    image = qrcode.make(device.config_url, image_factory=SvgPathImage, border=4)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode("ascii")


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    message: str = ""


WRONG_CODE = "The code is not right. Enter the 6-digit code your authenticator app shows now."
THROTTLED = "Too many wrong codes. Wait {seconds} seconds, then enter the code your app shows now."
NOT_A_CODE = "Enter the 6-digit code from your authenticator app, like 123456."


def _clean(code: str) -> str | None:
    digits = "".join((code or "").split())
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def _check(device: TOTPDevice, code: str) -> CodeCheck:
    """Checks one code against a device locked for update; wrong codes slow further attempts."""
    token = _clean(code)
    if token is None:
        return CodeCheck(False, NOT_A_CODE)
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(False, THROTTLED.format(seconds=_wait_seconds(device, details)))
    if device.verify_token(token):
        return CodeCheck(True)
    return CodeCheck(False, WRONG_CODE)


def _wait_seconds(device: TOTPDevice, details: dict | None) -> int:
    count = (details or {}).get("failure_count", device.throttling_failure_count) or 1
    required = device.get_throttle_factor() * 2 ** (count - 1)
    waited = (timezone.now() - device.throttling_failure_timestamp).total_seconds()
    return max(1, round(required - waited))


@transaction.atomic
def confirm_setup(request: HttpRequest, code: str, *, now: datetime.datetime | None = None) -> CodeCheck:
    """Turns 2FA on when the code matches the app being set up; this session counts as verified."""
    user = request.user
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        return CodeCheck(False, "Start again: the set-up has expired.")
    result = _check(device, code)
    if result.ok:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        django_otp.login(request, device)
        audit.record(user, AuditEventType.ACCOUNT_TWO_FACTOR_ENABLED, obj=device, now=now or timezone.now())
    return result


@transaction.atomic
def verify_code(request: HttpRequest, code: str) -> CodeCheck:
    """Marks this session as having passed 2FA when the code matches one of the person's apps."""
    user = request.user
    devices = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("id"))
    if not devices:
        return CodeCheck(False, "You have not set up two-factor authentication.")
    result = CodeCheck(False, WRONG_CODE)
    for device in devices:
        result = _check(device, code)
        if result.ok:
            django_otp.login(request, device)
            return result
    return result
