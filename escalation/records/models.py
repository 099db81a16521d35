"""Stored written records."""

from django.db import models

from policies.vocabulary import Form


class RecordSnapshot(models.Model):
    """A written record (PDF) produced when a policy's form requirement was met; never changed."""

    dispute = models.ForeignKey("escalation.Dispute", on_delete=models.CASCADE, related_name="record_snapshots")
    form = models.CharField(max_length=30, choices=Form.choices)
    requirement_key = models.CharField(max_length=100)
    stage_number = models.PositiveSmallIntegerField()
    produced_at = models.DateTimeField()
    pdf = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dispute", "requirement_key"], name="one_snapshot_per_requirement")
        ]
