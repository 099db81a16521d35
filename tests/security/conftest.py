"""Helpers for the security tests."""

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def totp_code(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code an authenticator app holding this device's key shows now (or some steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    """A 6-digit code the device will not accept at any step its tolerance allows now."""
    accepted = {totp_code(device, step) for step in range(-3, 4)}
    return next(code for code in (f"{n:06d}" for n in range(123456, 1000000)) if code not in accepted)


def link_in_last_mail(to: str) -> str:
    """The path of the two-factor link in the last e-mail sent to `to`."""
    import re

    from django.core import mail

    message = [m for m in mail.outbox if to in m.to][-1]
    return re.search(r"https?://[^/\s]+(/account/two-factor/link/[^/\s]+/)", message.body).group(1)


def enrol_by_email(client, user, capture) -> str:
    """Asks for the e-mailed set-up link and uses it, as the person would; returns the link's path.

    `capture`: pytest-django's `django_capture_on_commit_callbacks` (the e-mail goes once the request commits).
    """
    from django.urls import reverse

    with capture(execute=True):
        assert client.post(reverse("two-factor-send-link")).status_code == 302
    path = link_in_last_mail(user.email)
    assert client.post(path)["Location"] == reverse("two-factor-setup")
    return path
