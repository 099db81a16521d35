"""The append-only audit trail's table."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agencies.models import Partnership


class AuditEvent(models.Model):
    """Append-only: who did or saw what, when and from where. Kept when a dispute is removed."""

    at = models.DateTimeField(db_index=True)
    # PROTECT: the table refuses updates, so people with an audit trail are deactivated, not deleted.
    # Indexed only where set (Meta): the sweep's events have no actor.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, db_index=False)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    dispute_id_value = models.BigIntegerField(null=True, blank=True, db_index=True)
    # Kept so the trail still names a dispute once it is removed; looked up by dispute_id_value, so not indexed.
    dispute_reference = models.CharField(max_length=30, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    # When the database wrote the row, by its own clock. `at` is the moment the app says (a sweep run as at a
    # given time passes its own); on PostgreSQL a trigger overwrites whatever an INSERT gives here, so a row
    # written later with an old `at` always shows when it was really written.
    recorded_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # For their foreign keys (a person or partnership removed), where set.
            models.Index(fields=["actor"], name="audit_actor", condition=Q(actor__isnull=False)),
            models.Index(fields=["partnership"], name="audit_partnership", condition=Q(partnership__isnull=False)),
        ]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("audit events cannot be deleted")
