"""Disputes and everything recorded about them.

The lifecycle (state) is generic and driven by django-fsm; the stage a dispute stands at is data from
its policy version, so no partnership's ladder is written in code. Changes go through
`escalation.disputes.services`, never through these models directly.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from agencies import text_limits as limits
from agencies.models import Agency, Partnership
from policies.models import PolicyVersion
from policies.vocabulary import ACTIVE_STATES, OPEN_STATES, DisputeState, EntryKind, MediationChoice


def within_limit(model: str, field: str, limit: int) -> models.CheckConstraint:
    """The database's own guard on a long text's limit (a TextField's max_length alone binds only forms)."""
    return models.CheckConstraint(condition=LessThanOrEqual(Length(field), limit), name=f"{model}_{field}_limit")


class SubjectKind(models.TextChoices):
    CHILD = "child", "Child"
    ADULT = "adult", "Adult with care and support needs"


class Subject(models.Model):
    """The child or adult a dispute is about."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="subjects")
    kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    name = models.CharField(max_length=limits.NAME)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.TextField(max_length=limits.ADDRESS, blank=True)
    nhs_number = models.CharField("NHS number", max_length=12, blank=True)
    other_identifiers = models.CharField(max_length=limits.SHORT_TEXT, blank=True)
    child_protection_plan = models.BooleanField(default=False)
    looked_after = models.BooleanField(default=False)

    class Meta:
        constraints = [within_limit("subject", "address", limits.ADDRESS)]

    def __str__(self) -> str:
        return self.name


class Dispute(ConcurrentTransitionMixin, models.Model):
    # Unique by a constraint, not `unique=True`: on PostgreSQL that would add a second index for prefix searches
    # (LIKE 'x%'), which nothing makes of a reference, to be written on every change of a dispute.
    reference = models.CharField(max_length=30)
    # Partnership and agencies: found through the composite indexes below, which start with them (an index of their
    # own would be one more to write on every change of a dispute).
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="disputes", db_index=False)
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="disputes")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="disputes")
    raising_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disputes_raised", db_index=False)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disputes_raised")
    other_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="disputes_received", db_index=False)
    category = models.CharField(max_length=40, help_text="One of its policy version's categories, by key.")
    description = models.TextField("what the disagreement is about", max_length=limits.LONG_TEXT)
    attempts_so_far = models.TextField("what has been tried so far", max_length=limits.LONG_TEXT, blank=True)
    immediate_harm = models.BooleanField("risk of immediate harm", default=False)
    immediate_harm_flagged_at = models.DateTimeField(
        null=True, blank=True, help_text="When a risk of immediate harm was flagged (at raising or later)."
    )
    concern_outset = models.DateField(
        "date the concern was first considered",
        null=True,
        blank=True,
        help_text="Given by the raiser; not after raising. Clocks that run from the outset start here.",
    )
    raised_at = models.DateTimeField()
    current_stage = models.PositiveSmallIntegerField()
    state = FSMField(default=DisputeState.RAISED, choices=DisputeState.choices, protected=True)
    # Set only while an escalation is proposed: indexed where set (Meta), not for every dispute.
    escalation_proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    escalation_proposed_at = models.DateTimeField(null=True, blank=True)
    escalation_side = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    escalation_reason = models.TextField(max_length=limits.REASON, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            # The register's sort keys, each ending in id as its ordering does, so a page (or a chunk of the CSV,
            # read along the same columns) is a walk along one of these that stops; the state and stage ones serve
            # those filters too ("overdue" is `deadlines.models.OverdueDispute`, a table of its own).
            models.Index(fields=["partnership", "raised_at", "id"], name="dispute_register_raised"),
            models.Index(fields=["partnership", "current_stage", "raised_at", "id"], name="dispute_register_stage"),
            models.Index(fields=["partnership", "state", "raised_at", "id"], name="dispute_register_state"),
            models.Index(fields=["partnership", "reference", "id"], name="dispute_register_reference"),
            models.Index(fields=["partnership", "id"], name="dispute_register_id"),
            models.Index(fields=["raising_agency", "-raised_at"]),
            models.Index(fields=["other_agency", "-raised_at"]),
            # A person's lists on the home page: their agency's disputes in a few states (open, or resolved), found
            # by these alone; without them PostgreSQL added every open dispute of every partnership to the search.
            models.Index(fields=["raising_agency", "state"], name="dispute_raising_agency_state"),
            models.Index(fields=["other_agency", "state"], name="dispute_other_agency_state"),
            # For their foreign keys (a person or agency removed), where set.
            models.Index(
                fields=["escalation_proposed_by"],
                name="dispute_proposed_by",
                condition=Q(escalation_proposed_by__isnull=False),
            ),
            models.Index(
                fields=["escalation_side"], name="dispute_escalation_side", condition=Q(escalation_side__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="dispute_reference_unique"),
            models.CheckConstraint(condition=~Q(raising_agency=models.F("other_agency")), name="two_agencies"),
            within_limit("dispute", "description", limits.LONG_TEXT),
            within_limit("dispute", "attempts_so_far", limits.LONG_TEXT),
            within_limit("dispute", "escalation_reason", limits.REASON),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def category_label(self) -> str:
        """What the dispute is about, in the words of the policy version it was raised under."""
        return self.policy_version.category_label(self.category)

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

    @transition(
        field=state,
        source=[*ACTIVE_STATES, DisputeState.AWAITING_APPROVAL],
        target=DisputeState.AWAITING_CONFIRMATION,
    )
    def await_confirmation(self) -> None:
        """A resolution recorded by one side, at a stage where both sides must confirm it."""

    @transition(field=state, source=DisputeState.AWAITING_CONFIRMATION, target=DisputeState.RESOLVED)
    def confirm_resolution(self) -> None:
        pass

    @transition(field=state, source=DisputeState.AWAITING_CONFIRMATION, target=DisputeState.IN_DISCUSSION)
    def reject_resolution(self) -> None:
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
    reason = models.TextField(max_length=limits.STAGE_REASON, blank=True)
    escalation_proposed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When escalation out of this stage was proposed: the stage declared unresolved. Clocks that run "
        "from the stage failing start here.",
    )

    class Meta:
        ordering = ["entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute"], condition=Q(left_at__isnull=True), name="one_current_stage_visit"
            ),
            within_limit("stagevisit", "reason", limits.STAGE_REASON),
        ]


class RecordEntry(models.Model):
    """A written record of a discussion, action or decision at a stage."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="record_entries")
    stage_number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    occurred_on = models.DateField()
    text = models.TextField(max_length=limits.LONG_TEXT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "record entries"
        constraints = [within_limit("recordentry", "text", limits.LONG_TEXT)]


class Outcome(models.Model):
    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="outcome")
    stage_number = models.PositiveSmallIntegerField()
    decided_on = models.DateField()
    convened = models.CharField(max_length=20, choices=MediationChoice.choices, default=MediationChoice.NEITHER)
    agreed_outcome = models.TextField(max_length=limits.LONG_TEXT)
    outstanding_actions = models.TextField(max_length=limits.LONG_TEXT, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    binding = models.BooleanField(default=False, help_text="Recorded by the final stage's decision-maker.")
    raising_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raising_confirmed_at = models.DateTimeField(null=True, blank=True)
    other_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    other_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            within_limit("outcome", "agreed_outcome", limits.LONG_TEXT),
            within_limit("outcome", "outstanding_actions", limits.LONG_TEXT),
        ]


class WaitingOn(models.Model):
    """Whose move it is on a dispute: one row per role (in one agency, or in the partnership) that can act now.

    Written by the services from the policy runtime's decision on every change, so the approvals queue and
    the home page find "what needs me" in SQL, whatever roles a policy names.
    """

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="waiting_on")
    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Empty: the partnership."
    )
    role = models.CharField(max_length=30)
    reason = models.CharField(max_length=30, help_text="What is awaited, e.g. approval of an escalation.")

    class Meta:
        indexes = [models.Index(fields=["agency", "role"]), models.Index(fields=["role"])]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "agency", "role", "reason"], name="one_waiting_row_per_role")
        ]
