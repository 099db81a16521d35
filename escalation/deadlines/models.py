"""Deadline rows: one per deadline rule that runs on a dispute."""

from django.db import models
from django.db.models import Q

from policies.models import DeadlineRule


class Deadline(models.Model):
    """One instance of a deadline rule on one dispute.

    Open while `closed_at` is empty; overdue once `breached_at` is set. The sweep finds due rows through
    the partial indexes below.
    """

    dispute = models.ForeignKey("escalation.Dispute", on_delete=models.CASCADE, related_name="deadlines")
    rule = models.ForeignKey(DeadlineRule, on_delete=models.PROTECT, related_name="+")
    stage_number = models.PositiveSmallIntegerField(help_text="The stage it started in.")
    anchor_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty for a manual deadline not yet set.")
    remind_at = models.DateTimeField(null=True, blank=True)
    soon_at = models.DateTimeField(
        null=True, blank=True, help_text="Shown as due soon from here (the policy's due-soon window before due_at)."
    )
    extended_days = models.PositiveSmallIntegerField(default=0)
    manual_due_at = models.DateTimeField(null=True, blank=True)
    shortened_due_at = models.DateTimeField(
        null=True, blank=True, help_text="An earlier due moment set to protect the subject (never later than due)."
    )
    paused_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set by the sweep in the update that marks the row reminded or breached, cleared by the one that writes the
    # notifications: the notice is owed from that moment, and whoever it goes to is found when it is written.
    reminder_owed = models.BooleanField(default=False, db_default=False)
    breach_owed = models.BooleanField(default=False, db_default=False)
    met = models.BooleanField(null=True, help_text="Set on closing: met in time, or not.")
    guide = models.BooleanField(
        default=False,
        help_text="Its rule is a guide (reminded, never breached); kept on the row so the sweep's index leaves it out.",
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # Used by the deadline sweep (escalation.deadlines.sweep) to find breaches and reminders due. A guide past
            # its due moment is never breached, so it is left out: with nothing due, each is one probe.
            models.Index(
                fields=["due_at"],
                name="deadline_breach_due",
                condition=Q(closed_at__isnull=True, breached_at__isnull=True, paused_at__isnull=True, guide=False),
            ),
            models.Index(
                fields=["remind_at"],
                name="deadline_reminder_due",
                condition=Q(closed_at__isnull=True, reminded_at__isnull=True, paused_at__isnull=True),
            ),
            # The notices the sweep owes (escalation.deadlines.sweep.tell_owed): empty but for moments after marking.
            models.Index(fields=["id"], name="deadline_reminder_owed", condition=Q(reminder_owed=True)),
            models.Index(fields=["id"], name="deadline_breach_owed", condition=Q(breach_owed=True)),
            # Whether a dispute is overdue (escalation.deadlines.overdue; the triggers keeping OverdueDispute).
            models.Index(
                fields=["dispute"],
                name="deadline_overdue",
                condition=Q(closed_at__isnull=True, breached_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "rule"], condition=Q(closed_at__isnull=True), name="one_open_deadline_per_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule.label} ({self.dispute})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def overdue(self) -> bool:
        return self.closed_at is None and self.breached_at is not None


class OverdueDispute(models.Model):
    """A dispute with a missed deadline still open: the register's "overdue", kept by the database.

    Triggers on the deadline table (migration 0025) add the row when one of the dispute's open deadlines is breached
    and remove it once none is left missed, whichever path writes deadlines (`escalation.deadlines.overdue` states
    the rule). A narrow table rather than a column of the dispute: a breach then writes this row, where a new version
    of the dispute's row wrote an entry in each of the dispute table's indexes (most of the sweep's cost of a breach).
    """

    dispute = models.OneToOneField(
        "escalation.Dispute", on_delete=models.CASCADE, primary_key=True, related_name="overdue_mark"
    )
    partnership = models.ForeignKey("agencies.Partnership", on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        indexes = [
            # The register's "overdue": a partnership's overdue disputes, read without touching the disputes.
            models.Index(fields=["partnership", "dispute"], name="overdue_dispute_partnership"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} overdue"
