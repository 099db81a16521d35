"""Stored written records."""

from django.db import models
from django.db.models import Q

from policies.vocabulary import DisputeState


class RecordSnapshot(models.Model):
    """A written record (PDF) of a dispute as it was when a policy's form requirement was met.

    The change that meets the requirement writes the row as pending; the PDF is drawn after that change has
    committed (escalation.records.requirements), and a ready snapshot is never changed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be produced"

    dispute = models.ForeignKey("escalation.Dispute", on_delete=models.CASCADE, related_name="record_snapshots")
    form = models.CharField(max_length=30, help_text="The policy's record form: templates/records/<form>.html.")
    requirement_key = models.CharField(max_length=100)
    stage_number = models.PositiveSmallIntegerField()
    #: The moment the record describes: when the requirement was met (the PDF may be drawn a little later).
    produced_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    #: The dispute's state at `produced_at`, for the record's status line; the dispute row keeps only its present one.
    dispute_state = models.CharField(max_length=30, choices=DisputeState.choices, blank=True)
    #: Whom to tell once the record is ready (or that it could not be produced), as the policy names them (stored
    #: recipients; a bare role name in rows from before), decided when it was asked for.
    recipient_roles = models.JSONField(default=list, blank=True)
    pdf = models.BinaryField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dispute", "requirement_key"], name="one_snapshot_per_requirement"),
            models.CheckConstraint(condition=~Q(status="ready") | Q(pdf__isnull=False), name="ready_snapshot_has_pdf"),
        ]
        indexes = [
            models.Index(fields=["produced_at"], condition=Q(status="pending"), name="record_snapshot_pending"),
        ]

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def title(self) -> str:
        """The record's title, as the dispute's policy version names its record form."""
        return self.dispute.policy_version.form_title(self.form)


class RenderedRecord(models.Model):
    """A dispute's record as it stands, drawn once and kept until what the record shows changes.

    `content_key` is a digest of everything the record shows (escalation.records.cache): a download whose record
    would come out the same is served these bytes, so 20 downloads of an unchanged dispute cost one drawing. It
    lives and dies with the dispute (retention removes it with the dispute), in the database like the snapshots,
    not in Redis, which holds nothing personal.
    """

    dispute = models.ForeignKey("escalation.Dispute", on_delete=models.CASCADE, related_name="rendered_records")
    form = models.CharField(max_length=30)
    content_key = models.CharField(max_length=64)
    drawn_at = models.DateTimeField()
    pdf = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dispute", "form"], name="one_rendered_record_per_form")]
