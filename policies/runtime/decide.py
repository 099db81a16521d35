"""The policy runtime: given where a dispute stands, who is asking and what they ask, decide.

`decide(snapshot, actor, command, now)` is a pure function over plain data: no database, no clock, no
settings. Every path asks it: the services before they change anything, the dispute page for its buttons,
the approvals queue and the home page through the `waiting_on` it returns. The shell (the services) loads
the snapshot, calls `decide`, and carries the decision out in one transaction.
"""

import datetime
from dataclasses import dataclass, field
from enum import StrEnum

from policies.runtime.actor import Actor
from policies.runtime.notices import Trigger
from policies.runtime.rules import PARTNERSHIP_ROLES, PolicyRules, StageRule
from policies.vocabulary import ACTIVE_STATES, OPEN_STATES, DisputeState


class ActionRefused(Exception):
    """The action is not allowed; the message says why, for the person who tried."""


class Command(StrEnum):
    ADD_ENTRY = "add_entry"
    PROPOSE_ESCALATION = "propose_escalation"
    APPROVE_ESCALATION = "approve_escalation"
    DECLINE_ESCALATION = "decline_escalation"
    RESOLVE = "resolve"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    SET_MANUAL_DEADLINE = "set_manual_deadline"
    ADJUST_DEADLINE = "adjust_deadline"


@dataclass(frozen=True)
class DisputeSnapshot:
    """What the runtime needs to know about a dispute, as plain values."""

    rules: PolicyRules
    state: str
    current_stage: int
    raising_agency_id: int
    other_agency_id: int
    escalation_side_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def stage(self) -> StageRule | None:
        return self.rules.stage(self.current_stage)

    @property
    def next_stage(self) -> StageRule | None:
        return self.rules.next_stage(self.current_stage)

    @property
    def can_be_escalated(self) -> bool:
        stage = self.stage
        return stage is not None and not stage.binding and self.next_stage is not None


@dataclass(frozen=True)
class Waiting:
    """A role whose holders can move the dispute now: in one agency, or (agency None) in the partnership."""

    agency_id: int | None
    role: str
    reason: str


@dataclass(frozen=True)
class Decision:
    """The runtime's answer. Refused: `refusal` says why. Allowed: the state and stage to move to (None: stay),
    the name of the django-fsm transition that moves the state, the audit event type, whose move it is next,
    and the triggers the change sets off (a stage entered, a resolution at a stage), to which the policy's
    notices (`notices.notices_for`), records and deadlines (`deadlines.plan_deadlines`) are attached.
    """

    command: Command
    refusal: str = ""
    state: str | None = None
    transition: str | None = None
    enter_stage: int | None = None
    needs_approval: bool = False
    audit_event: str = ""
    waiting_on: tuple[Waiting, ...] = field(default_factory=tuple)
    triggers: tuple[Trigger, ...] = field(default_factory=tuple)

    @property
    def allowed(self) -> bool:
        return not self.refusal

    def raise_if_refused(self) -> "Decision":
        if self.refusal:
            raise ActionRefused(self.refusal)
        return self


REFUSALS = {
    Command.ADD_ENTRY: "Only the two agencies in this dispute and the partnership can add to its record, while it is "
    "open.",
    Command.RESOLVE: "Only the two agencies in this dispute or the partnership can record its resolution, while it "
    "is open.",
    Command.PROPOSE_ESCALATION: "This dispute cannot be escalated now.",
    Command.APPROVE_ESCALATION: "Only a manager of the escalating agency (or the partnership officer the policy "
    "names) can decide on this escalation.",
    Command.DECLINE_ESCALATION: "Only a manager of the escalating agency (or the partnership officer the policy "
    "names) can decide on this escalation.",
    Command.WITHDRAW: "Only the agency that raised this dispute can withdraw it, while it is open.",
    Command.CLOSE: "A dispute can be closed only after its resolution is recorded.",
    Command.SET_MANUAL_DEADLINE: "Only the partnership chair can set this deadline.",
    Command.ADJUST_DEADLINE: "Only the partnership business manager can extend or pause a deadline.",
}


def can_approve(snapshot: DisputeSnapshot, actor: Actor) -> bool:
    """Whether the actor holds a role the next stage names as approver, on the escalating side or in the partnership."""
    if snapshot.state != DisputeState.AWAITING_APPROVAL or snapshot.next_stage is None:
        return False
    wanted = set(snapshot.next_stage.approver_roles)
    return bool(wanted & actor.roles_in(snapshot.escalation_side_id)) or bool(wanted & actor.oversight_roles)


def _permitted(snapshot: DisputeSnapshot, actor: Actor, command: Command) -> bool:
    if not actor.active:
        return False
    side = actor.side(snapshot.raising_agency_id, snapshot.other_agency_id)
    staff = actor.oversight_roles
    match command:
        case Command.ADD_ENTRY | Command.RESOLVE:
            return snapshot.is_open and bool(side or staff)
        case Command.PROPOSE_ESCALATION:
            return snapshot.state in ACTIVE_STATES and side is not None and snapshot.can_be_escalated
        case Command.APPROVE_ESCALATION | Command.DECLINE_ESCALATION:
            return can_approve(snapshot, actor)
        case Command.WITHDRAW:
            return snapshot.state in OPEN_STATES and side == snapshot.raising_agency_id
        case Command.CLOSE:
            return snapshot.state == DisputeState.RESOLVED and bool(side or staff)
        case Command.SET_MANUAL_DEADLINE:
            return snapshot.is_open and "chair" in staff
        case Command.ADJUST_DEADLINE:
            return snapshot.is_open and "business_manager" in staff
    raise ValueError(f"unknown command {command!r}")


def _refusal(snapshot: DisputeSnapshot, command: Command) -> str:
    if command == Command.PROPOSE_ESCALATION and snapshot.is_open:
        if snapshot.state == DisputeState.AWAITING_APPROVAL:
            return "An escalation is already waiting for a manager's approval."
        if snapshot.stage is not None and snapshot.stage.binding:
            return f"Stage {snapshot.current_stage} is final and binding: it cannot be escalated."
        if snapshot.next_stage is None:
            return f"Stage {snapshot.current_stage} is the policy's last stage: there is nowhere to escalate to."
    if command in {Command.APPROVE_ESCALATION, Command.DECLINE_ESCALATION} and (
        snapshot.state != DisputeState.AWAITING_APPROVAL
    ):
        return "This escalation has already been decided (or withdrawn): there is nothing waiting for approval."
    if not snapshot.is_open and command != Command.CLOSE:
        label = DisputeState(snapshot.state).label.lower()
        return f"This dispute is {label}: nothing more can be changed."
    return REFUSALS[command]


def waiting_for_approval(stage: StageRule, escalation_side_id: int | None) -> tuple[Waiting, ...]:
    """Who can approve entry into `stage`: its approver roles on the escalating side, or in the partnership."""
    return tuple(
        Waiting(None if role in PARTNERSHIP_ROLES else escalation_side_id, role, "approval")
        for role in stage.approver_roles
    )


def decide(
    snapshot: DisputeSnapshot, actor: Actor, command: Command | str, now: datetime.datetime | None = None
) -> Decision:
    """Whether `actor` may carry out `command` on the dispute now, and if so what it changes.

    `now` is taken for rules that depend on time; nothing here reads the clock.
    """
    command = Command(command)
    if not _permitted(snapshot, actor, command):
        return Decision(command, refusal=_refusal(snapshot, command))
    next_stage = snapshot.next_stage
    match command:
        case Command.ADD_ENTRY:
            if snapshot.state == DisputeState.RAISED:
                return Decision(
                    command,
                    state=DisputeState.IN_DISCUSSION,
                    transition="start_discussion",
                    audit_event="record_entry.added",
                )
            return Decision(command, audit_event="record_entry.added")
        case Command.PROPOSE_ESCALATION:
            if next_stage.approval_required:
                side = actor.side(snapshot.raising_agency_id, snapshot.other_agency_id)
                return Decision(
                    command,
                    state=DisputeState.AWAITING_APPROVAL,
                    transition="propose_escalation",
                    needs_approval=True,
                    audit_event="escalation.proposed",
                    waiting_on=waiting_for_approval(next_stage, side),
                )
            return Decision(
                command,
                state=DisputeState.IN_DISCUSSION,
                transition="escalate",
                enter_stage=next_stage.number,
                audit_event="dispute.escalated",
                triggers=(Trigger("stage_entered", next_stage.number),),
            )
        case Command.APPROVE_ESCALATION:
            return Decision(
                command,
                state=DisputeState.IN_DISCUSSION,
                transition="escalate",
                enter_stage=next_stage.number,
                audit_event="escalation.approved",
                triggers=(Trigger("stage_entered", next_stage.number),),
            )
        case Command.DECLINE_ESCALATION:
            return Decision(
                command,
                state=DisputeState.IN_DISCUSSION,
                transition="decline_escalation",
                audit_event="escalation.declined",
            )
        case Command.RESOLVE:
            return Decision(
                command,
                state=DisputeState.RESOLVED,
                transition="resolve",
                audit_event="dispute.resolved",
                triggers=(Trigger("resolved_at_stage", snapshot.current_stage),),
            )
        case Command.CLOSE:
            return Decision(command, state=DisputeState.CLOSED, transition="close", audit_event="dispute.closed")
        case Command.WITHDRAW:
            return Decision(
                command, state=DisputeState.WITHDRAWN, transition="withdraw", audit_event="dispute.withdrawn"
            )
        case Command.SET_MANUAL_DEADLINE:
            return Decision(command, audit_event="deadline.set")
        case Command.ADJUST_DEADLINE:
            return Decision(command)
    raise ValueError(f"unknown command {command!r}")  # pragma: no cover - Command() has already refused it


def allowed_commands(snapshot: DisputeSnapshot, actor: Actor) -> frozenset[Command]:
    """Every command the actor may carry out now: the dispute page's buttons."""
    return frozenset(command for command in Command if _permitted(snapshot, actor, command))


def check_start(
    rules: PolicyRules, *, immediate_harm: bool, start_stage: int | None, subject_kind: str, policy_name: str
) -> tuple[int, str]:
    """The stage a new dispute starts at, and a refusal ('' when it may start there)."""
    if subject_kind not in rules.subjects:
        return rules.start_stage, f"{policy_name} does not cover this kind of subject."
    stage = rules.start_stage if start_stage is None else start_stage
    if stage == rules.start_stage:
        return stage, ""
    if not immediate_harm:
        return stage, f"A dispute starts at stage {rules.start_stage} unless there is a risk of immediate harm."
    if stage not in rules.immediate_harm_start_stages:
        allowed = ", ".join(map(str, rules.immediate_harm_start_stages)) or str(rules.start_stage)
        return stage, f"Under this policy a dispute with immediate harm may start at stage {allowed} only."
    return stage, ""
