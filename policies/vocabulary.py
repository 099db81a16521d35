"""The words a policy and a dispute are described in: plain enumerations, shared by the runtime and the models.

Each member is a string (its stored value) with a label for people. Plain Python, so the policy runtime can
use them without Django; `choices` gives Django fields their choices.
"""

from enum import EnumMeta, StrEnum


class _ChoicesMeta(EnumMeta):
    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls]


class Choices(StrEnum, metaclass=_ChoicesMeta):
    """A string enumeration whose members carry a label: `RAISED = "raised", "Dispute raised"`."""

    label: str

    def __new__(cls, value: str, label: str = "") -> "Choices":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member


class Anchor(Choices):
    RAISED = "raised", "Dispute raised"
    FIRST_STAGE_ENTRY = "first_stage_entry", "Entry into the first stage it spans"
    STAGE_ENTRY = "stage_entry", "Entry into the current stage"
    CONCERN_OUTSET = "concern_outset", "The outset of the concern (the date the raiser gives)"
    ESCALATION_PROPOSED = "escalation_proposed", "The previous stage declared unresolved (escalation proposed)"


class DeadlineKind(Choices):
    WORKING_DAYS = "working_days", "Working days"
    CALENDAR_HOURS = "calendar_hours", "Calendar hours"
    MANUAL = "manual", "Set by hand"


class Condition(Choices):
    ALWAYS = "always", "Always"
    IMMEDIATE_HARM = "immediate_harm", "Risk of immediate harm"
    NOT_IMMEDIATE_HARM = "not_immediate_harm", "No risk of immediate harm"
    CHILD = "child", "Subject is a child"
    ADULT = "adult", "Subject is an adult"
    CP_PLAN_OR_LOOKED_AFTER = "cp_plan_or_looked_after", "Child protection plan or looked after"
    HEALTH_AGENCY = "health_agency", "A health agency is involved"


class MetBy(Choices):
    LEAVING_STAGES = "leaving_stages", "Resolution or escalation beyond its stages"
    RESPONSE = "response", "A response from the other agency (a later escalation by the raiser is not one)"
    ACTION_RECORDED = "action_recorded", "An action or decision recorded"
    REQUIRED_ACTION = "required_action", "The required action recorded by someone able to take it"


class Strength(Choices):
    """How hard a deadline binds: a rule is breached and told; a guide is shown and reminded, never breached."""

    RULE = "rule", "Rule"
    GUIDE = "guide", "Guide"


class Basis(Choices):
    """Where a rule comes from: the document's own words, a fair reading of vague words, or the partnership's
    own choice where the document is silent."""

    POLICY = "policy", "The policy says so"
    READING = "reading", "A reading of the policy"
    PARTNERSHIP_DEFAULT = "partnership_default", "The partnership's default (the policy is silent)"


class Event(Choices):
    """The triggers a policy attaches notices, records and clocks to."""

    RAISED = "raised", "Dispute raised"
    STAGE_ENTERED = "stage_entered", "Stage entered"
    STAGE_REACHED = "stage_reached", "Stage reached or passed"
    ESCALATION_PROPOSED = "escalation_proposed", "Escalation proposed"
    RESOLVED_AT_STAGE = "resolved_at_stage", "Resolved at stage"
    IMMEDIATE_HARM_FLAGGED = "immediate_harm_flagged", "Immediate harm flagged"
    DEADLINE_NEAR = "deadline_near", "Deadline near"
    DEADLINE_BREACHED = "deadline_breached", "Deadline breached"
    NO_RESPONSE = "no_response", "No response"


class Side(Choices):
    RAISING = "raising", "Raising agency"
    OTHER = "other", "Other agency"
    BOTH = "both", "Both agencies"


class PublicationStatus(Choices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


# The lifecycle every dispute follows, whatever its policy. The stage is policy data; the state is not.


class DisputeState(Choices):
    RAISED = "raised", "Raised"
    IN_DISCUSSION = "in_discussion", "In discussion"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting escalation approval"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Resolution awaiting the other side's confirmation"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATES = (
    DisputeState.RAISED,
    DisputeState.IN_DISCUSSION,
    DisputeState.AWAITING_APPROVAL,
    DisputeState.AWAITING_CONFIRMATION,
)


ACTIVE_STATES = [DisputeState.RAISED, DisputeState.IN_DISCUSSION]


class EntryKind(Choices):
    DISCUSSION = "discussion", "Discussion"
    ACTION = "action", "Action"
    DECISION = "decision", "Decision"


class MediationChoice(Choices):
    NEITHER = "neither", "Neither"
    MEDIATION = "mediation", "Mediation"
    PANEL = "panel", "Resolution panel"
