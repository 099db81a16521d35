"""What the app keeps about a person's sign-ins beyond Django's own user."""

import secrets

from django.conf import settings
from django.db import models


def new_token() -> str:
    return secrets.token_urlsafe(24)


class SessionToken(models.Model):
    """A per-person token copied into each session at sign-in.

    Signing out everywhere replaces it, so every session started before no longer matches and ends on
    its next request, whichever session store holds it.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_token")
    token = models.CharField(max_length=64, default=new_token)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Session token of {self.user}"
