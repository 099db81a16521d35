"""What the app keeps about a person's sign-ins beyond Django's own user."""

import secrets

from django.conf import settings
from django.db import models

from agencies.models import Role


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


class Invitation(models.Model):
    """A single-use link, sent by e-mail, with which an invited person sets their password.

    Only a hash of the link's secret is kept: whoever reads the database cannot use a pending invitation.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.CASCADE, related_name="+")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, help_text="Replaced by a new link, or suspended.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation of {self.user} to {self.partnership}"

    def is_usable(self, now) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None and now < self.expires_at


class RoleRequest(models.Model):
    """A grant of a role that needs someone else's approval (business manager, chair), waiting or decided."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_requests")
    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=30, choices=Role.choices)
    designation = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "role"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} for {self.user} ({self.get_status_display()})"


class TwoFactorLink(models.Model):
    """A single-use link, e-mailed to a person, that lets them set up an authenticator app.

    `first`: asked for by the person themselves, signed in with their password, before their first set-up, so the
    password alone is never enough to choose the second factor. `recovery`: started by their partnership's business
    manager when the app is lost; using it removes the old app and backup codes before the new set-up. Only a hash
    of the link's secret is kept.
    """

    class Purpose(models.TextChoices):
        FIRST = "first", "First set-up"
        RECOVERY = "recovery", "Recovery of a lost authenticator app"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor_links")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for {self.user}"
