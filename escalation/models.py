"""Disputes and everything recorded about them.

The lifecycle (state) is generic and driven by django-fsm; the stage a dispute stands at is data from
its policy version, so no partnership's ladder is written in code. Changes go through
`escalation.services`, never through these models directly.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from agencies.models import Agency, Partnership
from policies.models import DeadlineRule, Event, Form, PolicyVersion
from policies.schema import CATEGORIES


class SubjectKind(models.TextChoices):
    CHILD = "child", "Child"
    ADULT = "adult", "Adult with care and support needs"


class Subject(models.Model):
    """The child or adult a dispute is about."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="subjects")
    kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    name = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.TextField(blank=True)
    nhs_number = models.CharField("NHS number", max_length=12, blank=True)
    other_identifiers = models.CharField(max_length=200, blank=True)
    child_protection_plan = models.BooleanField(default=False)
    looked_after = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name


class DisputeState(models.TextChoices):
    RAISED = "raised", "Raised"
    IN_DISCUSSION = "in_discussion", "In discussion"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting escalation approval"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATES = (DisputeState.RAISED, DisputeState.IN_DISCUSSION, DisputeState.AWAITING_APPROVAL)
ACTIVE_STATES = [DisputeState.RAISED, DisputeState.IN_DISCUSSION]

Category = models.TextChoices("Category", [(key, (key, label)) for key, label in CATEGORIES.items()])


class Dispute(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(max_length=30, unique=True)
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="disputes")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="disputes")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="disputes")
    raising_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disputes_raised")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_raised")
    other_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disputes_received")
    category = models.CharField(max_length=40, choices=Category.choices)
    description = models.TextField("what the disagreement is about")
    attempts_so_far = models.TextField("what has been tried so far", blank=True)
    immediate_harm = models.BooleanField("risk of immediate harm", default=False)
    raised_at = models.DateTimeField()
    current_stage = models.PositiveSmallIntegerField()
    state = FSMField(default=DisputeState.RAISED, choices=DisputeState.choices, protected=True)
    escalation_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    escalation_proposed_at = models.DateTimeField(null=True, blank=True)
    escalation_side = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    escalation_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            # The register's filters and sort keys.
            models.Index(fields=["partnership", "-raised_at"]),
            models.Index(fields=["partnership", "state"]),
            models.Index(fields=["partnership", "current_stage"]),
            models.Index(fields=["raising_agency", "-raised_at"]),
            models.Index(fields=["other_agency", "-raised_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(raising_agency=models.F("other_agency")), name="two_agencies")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def stage(self):
        return self.policy_version.stage(self.current_stage)

    def next_stage(self):
        return self.policy_version.next_stage(self.current_stage)

    # Conditions used by the transitions below.
    def can_be_escalated(self) -> bool:
        current = self.stage()
        return not current.binding and self.next_stage() is not None

    # Transitions. Services call these; they only move the state.
    @transition(field=state, source=DisputeState.RAISED, target=DisputeState.IN_DISCUSSION)
    def start_discussion(self) -> None:
        pass

    @transition(field=state, source=ACTIVE_STATES, target=DisputeState.AWAITING_APPROVAL, conditions=[can_be_escalated])
    def propose_escalation(self) -> None:
        pass

    @transition(
        field=state,
        source=[*ACTIVE_STATES, DisputeState.AWAITING_APPROVAL],
        target=DisputeState.IN_DISCUSSION,
        conditions=[can_be_escalated],
    )
    def escalate(self) -> None:
        pass

    @transition(field=state, source=DisputeState.AWAITING_APPROVAL, target=DisputeState.IN_DISCUSSION)
    def decline_escalation(self) -> None:
        pass

    @transition(field=state, source=[*ACTIVE_STATES, DisputeState.AWAITING_APPROVAL], target=DisputeState.RESOLVED)
    def resolve(self) -> None:
        pass

    @transition(field=state, source=DisputeState.RESOLVED, target=DisputeState.CLOSED)
    def close(self) -> None:
        pass

    @transition(field=state, source=list(OPEN_STATES), target=DisputeState.WITHDRAWN)
    def withdraw(self) -> None:
        pass


class ReferenceCounter(models.Model):
    """The last dispute number used by a partnership in a year; locked while a reference is taken."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partnership", "year"], name="one_counter_per_year")]


class Participant(models.Model):
    """Someone acting on one side of a dispute: the details the written record needs."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT)
    name = models.CharField(max_length=200)
    designation = models.CharField(max_length=200, blank=True)
    contact_details = models.CharField(max_length=300, blank=True)
    joined_at_stage = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["joined_at_stage", "id"]

    def __str__(self) -> str:
        return f"{self.name}, {self.agency}"


class StageVisit(models.Model):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="stage_visits")
    stage_number = models.PositiveSmallIntegerField()
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"], condition=Q(left_at__isnull=True), name="one_current_stage_visit"
            )
        ]


class EntryKind(models.TextChoices):
    DISCUSSION = "discussion", "Discussion"
    ACTION = "action", "Action"
    DECISION = "decision", "Decision"


class RecordEntry(models.Model):
    """A written record of a discussion, action or decision at a stage."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="record_entries")
    stage_number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    occurred_on = models.DateField()
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "record entries"


class Deadline(models.Model):
    """One instance of a deadline rule on one dispute.

    Open while `closed_at` is empty; overdue once `breached_at` is set. The sweep finds due rows through
    the partial indexes below.
    """

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="deadlines")
    rule = models.ForeignKey(DeadlineRule, on_delete=models.PROTECT, related_name="+")
    stage_number = models.PositiveSmallIntegerField(help_text="The stage it started in.")
    anchor_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty for a manual deadline not yet set.")
    remind_at = models.DateTimeField(null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(default=0)
    manual_due_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    met = models.BooleanField(null=True, help_text="Set on closing: met in time, or not.")

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # Used by the deadline sweep (escalation.sweep) to find breaches and reminders due.
            models.Index(
                fields=["due_at"],
                name="deadline_breach_due",
                condition=Q(closed_at__isnull=True, breached_at__isnull=True, paused_at__isnull=True),
            ),
            models.Index(
                fields=["remind_at"],
                name="deadline_reminder_due",
                condition=Q(closed_at__isnull=True, reminded_at__isnull=True, paused_at__isnull=True),
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


class MediationChoice(models.TextChoices):
    NEITHER = "neither", "Neither"
    MEDIATION = "mediation", "Mediation"
    PANEL = "panel", "Resolution panel"


class Outcome(models.Model):
    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="outcome")
    stage_number = models.PositiveSmallIntegerField()
    decided_on = models.DateField()
    convened = models.CharField(max_length=20, choices=MediationChoice.choices, default=MediationChoice.NEITHER)
    agreed_outcome = models.TextField()
    outstanding_actions = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()


class Notification(models.Model):
    """An outbox row: written with the change that causes it, delivered after commit."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failing, will retry"
        UNDELIVERABLE = "undeliverable", "Address refused"
        NOT_SENT = "not_sent", "No e-mail address"

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=30)
    role = models.CharField(max_length=30, blank=True, help_text="The role it was sent to the recipient as.")
    deadline = models.ForeignKey(Deadline, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    headline = models.CharField(max_length=300, help_text="No personal data: it may go by e-mail.")
    message = models.TextField(blank=True, help_text="No personal data: it may go by e-mail.")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=20, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # Used by the delivery task (escalation.notifications) to find e-mails to send.
            models.Index(
                fields=["email_next_attempt_at"],
                name="notification_email_due",
                condition=Q(email_status__in=["pending", "failed"]),
            ),
        ]


class RecordSnapshot(models.Model):
    """A written record (PDF) produced when a policy's form requirement was met; never changed."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="record_snapshots")
    form = models.CharField(max_length=30, choices=Form.choices)
    requirement_key = models.CharField(max_length=100)
    stage_number = models.PositiveSmallIntegerField()
    produced_at = models.DateTimeField()
    pdf = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dispute", "requirement_key"], name="one_snapshot_per_requirement")
        ]


class AuditEvent(models.Model):
    """Append-only: who did or saw what, when and from where. Kept when a dispute is removed."""

    at = models.DateTimeField(db_index=True)
    # PROTECT: the table refuses updates, so people with an audit trail are deactivated, not deleted.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    dispute_id_value = models.BigIntegerField(null=True, blank=True, db_index=True)
    dispute_reference = models.CharField(max_length=30, blank=True, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("audit events cannot be deleted")


__all__ = ["Event"]
