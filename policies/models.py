"""A partnership's escalation policy, held as versioned data.

A dispute keeps the version it was raised under, so a version that any dispute uses is never edited:
loading a changed file makes a new version.
"""

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q

from agencies.models import Role
from policies import defaults
from policies.vocabulary import Anchor, Condition, DeadlineKind, Event, MetBy, PublicationStatus, Side, Strength


def category_labels(categories: list) -> dict[str, str]:
    """Key to label of a version's stored categories (a list of {"key", "label"})."""
    return {category["key"]: category["label"] for category in categories}


@dataclass(frozen=True)
class NoticeWording:
    """The words people are told something happened to a dispute in. No personal data: it may go by e-mail."""

    headline: str
    message: str = ""

    def headline_for(self, reference: str) -> str:
        return f"{reference}: {self.headline}"


class Policy(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=300)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> "PolicyVersion | None":
        """The newest published version: the one new disputes are raised under. A draft never governs."""
        return self.versions.filter(status=PublicationStatus.PUBLISHED).order_by("-number").first()

    @property
    def latest_version(self) -> "PolicyVersion | None":
        """The newest version, draft or published: what an admin edits next and what a scenario can try."""
        return self.versions.order_by("-number").first()


class PolicyVersion(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=50, blank=True, help_text="The document's own version, e.g. V5.")
    source_file = models.CharField(max_length=200, blank=True)
    content_hash = models.CharField(max_length=64, help_text="Of the loaded document; same file, same version.")
    # Tens of kilobytes of JSON, read only to export or compare versions: lists of disputes defer it
    # (`.defer("policy_version__document")`), as decoding it once a listed row took a sixth of the home page's time.
    document = models.JSONField(help_text="The policy exactly as loaded, for export.")
    loaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=10,
        choices=PublicationStatus.choices,
        default=PublicationStatus.PUBLISHED,
        help_text="Only a published version governs new disputes; a draft can be tried in the simulator.",
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subjects = models.JSONField(default=list, help_text='Whom it covers: ["child"], ["child", "adult"].')
    categories = models.JSONField(default=list, help_text='What disputes can be about: [{"key": ..., "label": ...}].')
    start_stage = models.PositiveSmallIntegerField(default=1)
    immediate_harm_start_stages = models.JSONField(default=list)
    immediate_harm_guidance = models.TextField(blank=True)
    urgent_contacts = models.TextField(blank=True)
    timescale_note = models.TextField(blank=True)
    final_decision_maker = models.CharField(max_length=200, blank=True)
    panel_agencies = models.PositiveSmallIntegerField(null=True, blank=True)
    panel_rule = models.TextField(blank=True)
    record_form = models.CharField(
        max_length=30, default=defaults.RECORD_FORM, help_text="The record's template: templates/records/<key>.html."
    )
    record_form_title = models.CharField(max_length=200, default=defaults.RECORD_FORM_TITLE)
    notices = models.JSONField(
        default=dict, help_text='Headline and message by event ("raised", "resolved", "withdrawn").'
    )
    due_soon_working_days = models.PositiveSmallIntegerField(
        default=defaults.DUE_SOON_WORKING_DAYS, help_text="A deadline this close is shown as due soon."
    )
    urgent_question_hint = models.CharField(max_length=300, blank=True)
    urgent_route_heading = models.CharField(max_length=200, blank=True)
    urgent_route_text = models.TextField(blank=True)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="unique_policy_version")]

    def __str__(self) -> str:
        return f"{self.policy.name} (version {self.number}{', ' + self.label if self.label else ''})"

    def stage(self, number: int) -> "Stage":
        """The stage with this number (from prefetched stages where there are some)."""
        found = next((stage for stage in self.stages.all() if stage.number == number), None)
        if found is None:
            raise Stage.DoesNotExist(f"{self} has no stage {number}")
        return found

    def next_stage(self, number: int) -> "Stage | None":
        later = [stage for stage in self.stages.all() if stage.number > number]
        return min(later, key=lambda stage: stage.number) if later else None

    # Categories of disagreement.

    @property
    def category_choices(self) -> list[tuple[str, str]]:
        return list(category_labels(self.categories).items())

    def has_category(self, key: str) -> bool:
        return key in category_labels(self.categories)

    def category_label(self, key: str) -> str:
        """The label this version gives the category; the key itself if it has no such category."""
        return category_labels(self.categories).get(key, key)

    # The written record.

    def form_title(self, form: str) -> str:
        """A record's title: the policy's own for its record form; the general record's for any other."""
        return self.record_form_title if form == self.record_form else defaults.RECORD_FORM_TITLE

    # What people are told and shown.

    def notice(self, event: str) -> NoticeWording:
        """The headline and message for a dispute being "raised", "resolved" or "withdrawn"."""
        return NoticeWording(**{**defaults.NOTICES[event], **self.notices.get(event, {})})

    @cached_property
    def urgent_hours(self) -> int | None:
        """The hours of the policy's shortest calendar-hours deadline for a risk of immediate harm, if any."""
        lengths = self.deadline_rules.filter(
            kind=DeadlineKind.CALENDAR_HOURS, condition=Condition.IMMEDIATE_HARM, length__isnull=False
        ).values_list("length", flat=True)
        return min(lengths, default=None)

    @property
    def urgent_hint(self) -> str:
        return self.urgent_question_hint or defaults.urgent_hint(self.urgent_hours)

    @property
    def urgent_heading(self) -> str:
        return self.urgent_route_heading or defaults.urgent_route_heading(self.urgent_hours)

    @property
    def urgent_text(self) -> str:
        higher_start = any(number > self.start_stage for number in self.immediate_harm_start_stages)
        return self.urgent_route_text or defaults.urgent_route_text(self.urgent_hours, higher_start=higher_start)


class Stage(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="stages")
    number = models.PositiveSmallIntegerField(help_text="The policy's own numbering; pre-escalation is 0.")
    name = models.CharField(max_length=200)
    raising_side = models.CharField("who acts for the raising agency", max_length=300)
    other_side = models.CharField("who acts for the other agency", max_length=300, blank=True)
    guidance = models.TextField(blank=True)
    approval_required = models.BooleanField(
        default=True, help_text="A manager of the escalating side must approve entry into this stage."
    )
    approver_roles = models.JSONField(default=list, help_text="Roles that may approve entry.")
    binding = models.BooleanField(default=False, help_text="Its outcome is final and binding.")
    pre_escalation = models.BooleanField(default=False, help_text="Guidance before a dispute is raised.")
    sides = models.CharField(
        max_length=10, choices=Side.choices, default=Side.BOTH, help_text="One side only: a setting's internal stage."
    )
    actors = models.JSONField(default=dict, help_text='Roles acting for each side: {"raising": [...], "other": [...]}.')
    outcome_roles = models.JSONField(default=list, help_text="Roles or offices that may record the outcome.")
    decision_maker = models.JSONField(null=True, blank=True, help_text="Who alone records a binding outcome.")
    confirm_both_sides = models.BooleanField(default=False, help_text="A resolution needs both sides to confirm.")
    basis = models.JSONField(null=True, blank=True, help_text="Where it comes from: policy (quote), reading, default.")

    class Meta:
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="unique_stage_number")]

    def __str__(self) -> str:
        return f"Stage {self.number}: {self.name}"

    @property
    def partnership_level(self) -> bool:
        """Entered on a partnership officer's approval rather than an agency manager's."""
        return bool(self.approver_roles) and all(r in {Role.BUSINESS_MANAGER, Role.CHAIR} for r in self.approver_roles)


class DeadlineRule(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="deadline_rules")
    name = models.SlugField(max_length=60)
    label = models.CharField(max_length=300, help_text="As users see it.")
    first_stage = models.PositiveSmallIntegerField()
    last_stage = models.PositiveSmallIntegerField()
    anchor = models.CharField(max_length=20, choices=Anchor.choices)
    kind = models.CharField(max_length=20, choices=DeadlineKind.choices)
    length = models.PositiveIntegerField(null=True, blank=True, help_text="Empty for manual rules.")
    partnership_default = models.BooleanField(
        default=False, help_text="The policy states no figure: the partnership's default length applies."
    )
    condition = models.CharField(max_length=30, choices=Condition.choices, default=Condition.ALWAYS)
    met_by = models.CharField(max_length=20, choices=MetBy.choices, default=MetBy.LEAVING_STAGES)
    reminder_lead = models.PositiveSmallIntegerField(
        default=1, help_text="Working days before a working-day deadline; hours before a calendar-hour one."
    )
    breach_event = models.CharField(
        max_length=20,
        choices=[(Event.DEADLINE_BREACHED, "Deadline breached"), (Event.NO_RESPONSE, "No response")],
        default=Event.DEADLINE_BREACHED,
    )
    remind_roles = models.JSONField(default=list)
    breach_roles = models.JSONField(default=list)
    remind_to = models.JSONField(default=list, help_text="Whom to remind, by their part in the dispute.")
    breach_to = models.JSONField(default=list, help_text="Whom to tell on a breach, by their part in the dispute.")
    strength = models.CharField(max_length=10, choices=Strength.choices, default=Strength.RULE)
    able_roles = models.JSONField(default=list, help_text="Who is able to take the required action.")
    escalate_on_breach = models.JSONField(default=list, help_text="Roles that may move the dispute on a breach.")
    basis = models.JSONField(null=True, blank=True)
    length_basis = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["version", "first_stage", "name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "name"], name="unique_rule_name"),
            models.CheckConstraint(condition=Q(first_stage__lte=models.F("last_stage")), name="rule_span_ordered"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def stages(self) -> list[int]:
        return list(range(self.first_stage, self.last_stage + 1))

    @property
    def short_name(self) -> str:
        """How a sentence names the deadline: "the N-hour deadline" for calendar hours, else its label."""
        if self.kind == DeadlineKind.CALENDAR_HOURS and self.length:
            return f"the {self.length}-hour deadline"
        return f"the deadline “{self.label}”"


class NotificationRule(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="notification_rules")
    event = models.CharField(max_length=30, choices=Event.choices)
    stages = models.JSONField(default=list, help_text="Stage numbers it applies to; empty means every stage.")
    roles = models.JSONField(default=list)
    sides = models.CharField(max_length=10, choices=Side.choices, default=Side.BOTH)
    condition = models.CharField(max_length=30, choices=Condition.choices, default=Condition.ALWAYS)
    message = models.CharField(max_length=300, blank=True, help_text="What the recipient is asked to do.")
    recipients = models.JSONField(default=list, help_text="Whom to tell, by their part in the dispute.")
    basis = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["version", "event", "id"]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {', '.join(self.roles)}"


class FormRequirement(models.Model):
    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="form_requirements")
    form = models.CharField(max_length=30, help_text="The version's record form: templates/records/<form>.html.")
    event = models.CharField(max_length=30, choices=Event.choices, default=Event.STAGE_ENTERED)
    stage = models.PositiveSmallIntegerField()
    recipient_role = models.CharField(max_length=30, choices=Role.choices, default=Role.BUSINESS_MANAGER)
    condition = models.CharField(max_length=30, choices=Condition.choices, default=Condition.ALWAYS)
    recipients = models.JSONField(default=list, help_text="Whom to send it to, by their part in the dispute.")
    basis = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["version", "stage"]

    def __str__(self) -> str:
        return f"{self.title} at stage {self.stage} → {self.get_recipient_role_display()}"

    @property
    def title(self) -> str:
        return self.version.form_title(self.form)
