"""Access to one dispute that a policy rule gave someone outside the two agencies."""

from django.conf import settings
from django.db import models

from agencies.models import OFFICES, Office, Role


class DisputeAccess(models.Model):
    """Someone a rule brought in (e.g. the CP chair told at stage 2) may open this dispute from `granted_at`.

    Written only by `escalation.access.services.grant_access`, which audits it. The access rule
    (`escalation.disputes.selectors`) reads it; a row of an inactive user gives nothing.
    """

    dispute = models.ForeignKey("escalation.Dispute", on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dispute_accesses")
    office = models.CharField(max_length=40, help_text="The office (or role) the rule named them by.")
    reason = models.CharField(max_length=300, help_text="What brought them in. No personal data.")
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["granted_at", "id"]
        verbose_name_plural = "dispute accesses"
        constraints = [models.UniqueConstraint(fields=["dispute", "user"], name="one_access_per_dispute_and_user")]

    def __str__(self) -> str:
        return f"{self.user} — {self.office_label}"

    @property
    def office_label(self) -> str:
        if self.office in OFFICES:
            return Office(self.office).label
        if self.office in Role.values:
            return Role(self.office).label
        return self.office
