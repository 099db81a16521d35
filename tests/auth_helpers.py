"""Signing a test client in, past two-factor authentication.

Business managers, chairs, admins (and anyone with an authenticator app) must pass 2FA before any
page; `client.force_login(user)` alone sends them to the 2FA pages. Use `login(client, user)`:

    from tests.auth_helpers import login
    login(client, world.business_manager)
"""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def login(client: Client, user) -> TOTPDevice:
    """Signs `user` in on `client` as if they had also entered a valid code from their authenticator app."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
