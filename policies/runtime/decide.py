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
from policies.runtime.deadlines import MANAGER_ROLES
from policies.runtime.notices import Trigger
from policies.runtime.rules import PARTNERSHIP_ROLES, SIDES, PolicyRules, StageRule, names_of
from policies.vocabulary import ACTIVE_STATES, OPEN_STATES, DisputeState


class ActionRefused(Exception):
    """The action is not allowed; the message says why, for the person who tried."""


class Command(StrEnum):
    ADD_ENTRY = "add_entry"
    PROPOSE_ESCALATION = "propose_escalation"
    APPROVE_ESCALATION = "approve_escalation"
    DECLINE_ESCALATION = "decline_escalation"
    RESOLVE = "resolve"
    RECORD_DECISION = "record_decision"
    CONFIRM_RESOLUTION = "confirm_resolution"
    REJECT_RESOLUTION = "reject_resolution"
    ESCALATE_NO_RESPONSE = "escalate_no_response"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    SET_MANUAL_DEADLINE = "set_manual_deadline"
    ADJUST_DEADLINE = "adjust_deadline"
    SHORTEN_DEADLINE = "shorten_deadline"
    FLAG_IMMEDIATE_HARM = "flag_immediate_harm"


@dataclass(frozen=True)
class DisputeSnapshot:
    """What the runtime needs to know about a dispute, as plain values."""

    rules: PolicyRules
    state: str
    current_stage: int
    raising_agency_id: int
    other_agency_id: int
    escalation_side_id: int | None = None
    immediate_harm: bool = False
    #: The agencies that have confirmed the resolution awaiting confirmation.
    confirmed_by: frozenset[int] = frozenset()
    #: Roles that may move the dispute on because a deadline naming them (`escalate_on_breach`) was breached
    #: and is still open (no response).
    escalate_on_breach_roles: frozenset[str] = frozenset()

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def agency_ids_by_side(self) -> dict[str, int]:
        return {"raising": self.raising_agency_id, "other": self.other_agency_id}

    @property
    def acting_agencies(self) -> tuple[int, ...]:
        """The agencies that act at the current stage: both, or one at a setting's internal stage."""
        stage = self.stage
        by_side = self.agency_ids_by_side
        return tuple(by_side[side] for side in SIDES if stage is None or stage.takes_part(side))

    def side_name(self, agency_id: int | None) -> str | None:
        return next((side for side, agency in self.agency_ids_by_side.items() if agency == agency_id), None)

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
    #: The agency the person acted for, where it matters: the side whose confirmation a resolution carries.
    side: int | None = None

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
    Command.SHORTEN_DEADLINE: "Only the partnership business manager or a manager in one of the two agencies can "
    "bring a deadline forward, while the dispute is open.",
    Command.RECORD_DECISION: "Only the decision-maker the policy names can record a final and binding decision.",
    Command.CONFIRM_RESOLUTION: "Only the agencies in this dispute can confirm its resolution.",
    Command.REJECT_RESOLUTION: "Only the agencies in this dispute can say whether they agree with its resolution.",
    Command.ESCALATE_NO_RESPONSE: "Only the people the policy names can move the dispute on when there has been no "
    "response.",
    Command.FLAG_IMMEDIATE_HARM: "Only the two agencies in this dispute can report a risk of immediate harm, while it "
    "is open.",
}


def can_approve(snapshot: DisputeSnapshot, actor: Actor) -> bool:
    """Whether the actor holds a role the next stage names as approver, on the escalating side or in the partnership."""
    if snapshot.state != DisputeState.AWAITING_APPROVAL or snapshot.next_stage is None:
        return False
    wanted = set(snapshot.next_stage.approver_roles)
    return bool(wanted & actor.roles_in(snapshot.escalation_side_id)) or bool(wanted & actor.oversight_roles)


#: Where an outcome can be recorded, and where a dispute that got no response can be moved on: anywhere open but
#: while a recorded resolution awaits confirmation.
RESOLVABLE_STATES = (*ACTIVE_STATES, DisputeState.AWAITING_APPROVAL)


def acting_side(snapshot: DisputeSnapshot, actor: Actor) -> int | None:
    """The agency the actor acts for at the current stage: at a setting's internal stage only that setting's
    side acts, so someone in the other agency acts for neither (policy-audit W10/S12)."""
    return next((agency for agency in snapshot.acting_agencies if actor.roles_in(agency)), None)


def _records_outcome(snapshot: DisputeSnapshot, actor: Actor) -> bool:
    """Whether the actor may record the current stage's outcome as a resolution: the roles or offices the stage
    names (on a side acting there, in the partnership or as an office), or, naming none, a side acting there or
    the partnership's staff. A binding stage's decision is its decision-maker's alone (`RECORD_DECISION`); a
    settlement before it only by the roles the stage names for its outcome."""
    stage = snapshot.stage
    if snapshot.state not in RESOLVABLE_STATES:
        return False
    if stage is not None and stage.binding:
        # A settlement reached before the binding decision (the parties agreeing at the convenor's meeting) is
        # recorded by the roles or offices the stage names for it; otherwise the decision-maker alone ends it.
        return bool(stage.outcome_roles) and actor.holds_any(stage.outcome_roles, snapshot.acting_agencies)
    if stage is not None and stage.outcome_roles:
        return actor.holds_any(stage.outcome_roles, snapshot.acting_agencies)
    return acting_side(snapshot, actor) is not None or bool(actor.oversight_roles)


def is_decision_maker(snapshot: DisputeSnapshot, actor: Actor) -> bool:
    """Whether the actor holds a post that records the binding stage's decision (its decision-maker, or one of the
    alternatives it names)."""
    stage = snapshot.stage
    if stage is None or not stage.binding:
        return False
    return any(actor.is_named(maker, snapshot.agency_ids_by_side) for maker in stage.decision_makers)


def _confirming_side(snapshot: DisputeSnapshot, actor: Actor) -> int | None:
    """The side acting at this stage that has not yet confirmed the resolution and that the actor is on."""
    return next(
        (
            agency
            for agency in snapshot.acting_agencies
            if agency not in snapshot.confirmed_by and actor.roles_in(agency)
        ),
        None,
    )


def _escalates_on_no_response(snapshot: DisputeSnapshot, actor: Actor) -> bool:
    return (
        snapshot.state in RESOLVABLE_STATES
        and snapshot.can_be_escalated
        and bool(snapshot.escalate_on_breach_roles)
        and actor.holds_any(snapshot.escalate_on_breach_roles, (snapshot.raising_agency_id, snapshot.other_agency_id))
    )


def _may_take_to_next_stage(snapshot: DisputeSnapshot, agency_id: int | None) -> bool:
    """A side cannot take the dispute into the other side's internal stage."""
    following = snapshot.next_stage
    return following is None or following.takes_part(snapshot.side_name(agency_id) or "")


def _permitted(snapshot: DisputeSnapshot, actor: Actor, command: Command) -> bool:
    if not actor.active:
        return False
    side = actor.side(snapshot.raising_agency_id, snapshot.other_agency_id)
    acting = acting_side(snapshot, actor)
    staff = actor.oversight_roles
    match command:
        case Command.ADD_ENTRY:
            return snapshot.is_open and bool(acting or staff)
        case Command.RESOLVE:
            return _records_outcome(snapshot, actor)
        case Command.RECORD_DECISION:
            return snapshot.state in RESOLVABLE_STATES and is_decision_maker(snapshot, actor)
        case Command.CONFIRM_RESOLUTION:
            return (
                snapshot.state == DisputeState.AWAITING_CONFIRMATION and _confirming_side(snapshot, actor) is not None
            )
        case Command.REJECT_RESOLUTION:
            return snapshot.state == DisputeState.AWAITING_CONFIRMATION and acting is not None
        case Command.ESCALATE_NO_RESPONSE:
            return _escalates_on_no_response(snapshot, actor)
        case Command.PROPOSE_ESCALATION:
            return (
                snapshot.state in ACTIVE_STATES
                and acting is not None
                and snapshot.can_be_escalated
                and _may_take_to_next_stage(snapshot, acting)
            )
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
        case Command.SHORTEN_DEADLINE:
            managers = (actor.roles_in(snapshot.raising_agency_id) | actor.roles_in(snapshot.other_agency_id)) & (
                MANAGER_ROLES
            )
            return snapshot.is_open and ("business_manager" in staff or bool(managers))
        case Command.FLAG_IMMEDIATE_HARM:
            return snapshot.is_open and side is not None and not snapshot.immediate_harm
    raise ValueError(f"unknown command {command!r}")


def _internal_refusal(snapshot: DisputeSnapshot, actor: Actor) -> str:
    """Why someone of the other agency cannot act at a setting's internal stage; '' when that is not the reason."""
    stage = snapshot.stage
    side = actor.side(snapshot.raising_agency_id, snapshot.other_agency_id)
    if stage is None or not stage.internal or side is None or acting_side(snapshot, actor) is not None:
        return ""
    return f"Stage {stage.number} is internal to the {stage.sides} agency: only that agency acts at this stage."


def _escalation_refusal(snapshot: DisputeSnapshot) -> str:
    if snapshot.stage is not None and snapshot.stage.binding:
        return f"Stage {snapshot.current_stage} is final and binding: it cannot be escalated."
    if snapshot.next_stage is None:
        return f"Stage {snapshot.current_stage} is the policy's last stage: there is nowhere to escalate to."
    return ""


def _decision_refusal(snapshot: DisputeSnapshot, actor: Actor, command: Command) -> str:
    """Why the actor cannot record, confirm or reject an outcome, or move on a dispute that got no response, or
    act at another setting's internal stage ('' to fall back on the general refusals)."""
    stage = snapshot.stage
    awaiting = snapshot.state == DisputeState.AWAITING_CONFIRMATION
    internal_commands = {Command.ADD_ENTRY, Command.PROPOSE_ESCALATION, Command.RESOLVE, Command.REJECT_RESOLUTION}
    if command in internal_commands and (internal := _internal_refusal(snapshot, actor)):
        return internal
    match command:
        case Command.RESOLVE if awaiting:
            return "A resolution is already recorded and waiting for the other agency to confirm it."
        case Command.RESOLVE if stage is not None and stage.binding and stage.outcome_roles:
            return (
                f"At stage {stage.number} only {names_of(stage.outcome_roles)} can record a settlement, and only "
                f"{stage.decision_maker_words} the final and binding decision."
            )
        case Command.RESOLVE if stage is not None and stage.binding:
            return (
                f"Stage {stage.number} is final and binding: only {stage.decision_maker_words} can record its "
                "decision, not a party to the dispute."
            )
        case Command.RESOLVE if stage is not None and stage.outcome_roles:
            return f"At stage {stage.number} only {names_of(stage.outcome_roles)} can record the outcome."
        case Command.RECORD_DECISION if stage is None or not stage.binding:
            return (
                f"Stage {snapshot.current_stage} is not final and binding: its outcome is recorded as a resolution, "
                "not as a decision."
            )
        case Command.RECORD_DECISION:
            return (
                f"Stage {stage.number} is final and binding: only {stage.decision_maker_words} can record its decision."
            )
        case Command.CONFIRM_RESOLUTION | Command.REJECT_RESOLUTION if not awaiting:
            return "There is no resolution waiting for confirmation."
        case Command.CONFIRM_RESOLUTION if acting_side(snapshot, actor) in snapshot.confirmed_by:
            return "Your agency recorded or has confirmed this resolution: it is for the other agency to confirm it."
        case Command.ESCALATE_NO_RESPONSE:
            if awaiting:
                return "A resolution is waiting for confirmation: the dispute cannot be moved on now."
            if escalation := _escalation_refusal(snapshot):
                return escalation
            if not snapshot.escalate_on_breach_roles:
                return (
                    "No deadline that lets the dispute be moved on for want of a response has been missed, so it "
                    "cannot be escalated for no response."
                )
            roles = tuple(sorted(snapshot.escalate_on_breach_roles))
            return f"Only {names_of(roles)} can move the dispute on when the other agency has not responded."
        case Command.PROPOSE_ESCALATION if snapshot.state in ACTIVE_STATES and snapshot.can_be_escalated:
            side = acting_side(snapshot, actor)
            if side is not None and not _may_take_to_next_stage(snapshot, side):
                following = snapshot.next_stage
                return (
                    f"Stage {following.number} is internal to the {following.sides} agency: only that agency can take "
                    "the dispute there."
                )
    return ""


def _refusal(snapshot: DisputeSnapshot, actor: Actor, command: Command) -> str:
    if snapshot.is_open and (reason := _decision_refusal(snapshot, actor, command)):
        return reason
    if command == Command.PROPOSE_ESCALATION and snapshot.is_open:
        if snapshot.state == DisputeState.AWAITING_APPROVAL:
            return "An escalation is already waiting for a manager's approval."
        if snapshot.state == DisputeState.AWAITING_CONFIRMATION:
            return "A resolution is waiting for confirmation: the dispute cannot be escalated now."
        if escalation := _escalation_refusal(snapshot):
            return escalation
    if command in {Command.APPROVE_ESCALATION, Command.DECLINE_ESCALATION} and (
        snapshot.state != DisputeState.AWAITING_APPROVAL
    ):
        return "This escalation has already been decided (or withdrawn): there is nothing waiting for approval."
    if command == Command.FLAG_IMMEDIATE_HARM and snapshot.is_open and snapshot.immediate_harm:
        return "A risk of immediate harm has already been reported for this dispute."
    if not snapshot.is_open and command != Command.CLOSE:
        label = DisputeState(snapshot.state).label.lower()
        return f"This dispute is {label}: nothing more can be changed."
    return REFUSALS[command]


def waiting_for_confirmation(snapshot: DisputeSnapshot, agencies: tuple[int, ...]) -> tuple[Waiting, ...]:
    """Who is asked to confirm a resolution: the current stage's actors on each side still to confirm."""
    stage = snapshot.stage
    rows: dict[Waiting, None] = {}
    for agency in agencies:
        roles = stage.actors_for(snapshot.side_name(agency) or "") if stage is not None else ("practitioner",)
        for role in roles:
            rows[Waiting(None if role in PARTNERSHIP_ROLES else agency, role, "confirmation")] = None
    return tuple(rows)


def waiting_at_stage(stage: StageRule | None, raising_agency_id: int, other_agency_id: int) -> tuple[Waiting, ...]:
    """Whose move it is once a dispute stands at `stage`: the stage's actors on each side taking part, and on a
    binding stage its decision-maker (an office or partnership role is the partnership's)."""
    if stage is None:
        return ()
    rows: dict[Waiting, None] = {}
    for side, agency in (("raising", raising_agency_id), ("other", other_agency_id)):
        if stage.takes_part(side):
            for role in stage.actors_for(side):
                rows[Waiting(None if role in PARTNERSHIP_ROLES else agency, role, "stage")] = None
    if stage.binding:
        for maker in stage.decision_makers:
            if maker.office or maker.role in PARTNERSHIP_ROLES:
                rows[Waiting(None, maker.office or maker.role, "decision")] = None
            else:
                for side, agency in (("raising", raising_agency_id), ("other", other_agency_id)):
                    if maker.sides in ("both", side):
                        rows[Waiting(agency, maker.role, "decision")] = None
    return tuple(rows)


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
        return Decision(command, refusal=_refusal(snapshot, actor, command))
    next_stage = snapshot.next_stage
    here = waiting_at_stage(snapshot.stage, snapshot.raising_agency_id, snapshot.other_agency_id)
    there = waiting_at_stage(next_stage, snapshot.raising_agency_id, snapshot.other_agency_id)
    match command:
        case Command.ADD_ENTRY:
            if snapshot.state == DisputeState.RAISED:
                return Decision(
                    command,
                    state=DisputeState.IN_DISCUSSION,
                    transition="start_discussion",
                    audit_event="record_entry.added",
                    waiting_on=here,
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
                waiting_on=there,
            )
        case Command.APPROVE_ESCALATION:
            return Decision(
                command,
                state=DisputeState.IN_DISCUSSION,
                transition="escalate",
                enter_stage=next_stage.number,
                audit_event="escalation.approved",
                triggers=(Trigger("stage_entered", next_stage.number),),
                waiting_on=there,
            )
        case Command.DECLINE_ESCALATION:
            return Decision(
                command,
                state=DisputeState.IN_DISCUSSION,
                transition="decline_escalation",
                audit_event="escalation.declined",
                waiting_on=here,
            )
        case Command.RESOLVE:
            side = acting_side(snapshot, actor)
            stage = snapshot.stage
            to_confirm = tuple(agency for agency in snapshot.acting_agencies if agency != side)
            if stage is not None and stage.confirm_both_sides and to_confirm:
                return Decision(
                    command,
                    state=DisputeState.AWAITING_CONFIRMATION,
                    transition="await_confirmation",
                    audit_event="resolution.awaiting_confirmation",
                    waiting_on=waiting_for_confirmation(snapshot, to_confirm),
                    side=side,
                )
            return Decision(
                command,
                state=DisputeState.RESOLVED,
                transition="resolve",
                audit_event="dispute.resolved",
                triggers=(Trigger("resolved_at_stage", snapshot.current_stage),),
                side=side,
            )
        case Command.RECORD_DECISION:
            return Decision(
                command,
                state=DisputeState.RESOLVED,
                transition="resolve",
                audit_event="dispute.decision_recorded",
                triggers=(Trigger("resolved_at_stage", snapshot.current_stage),),
            )
        case Command.CONFIRM_RESOLUTION:
            side = _confirming_side(snapshot, actor)
            still = tuple(agency for agency in snapshot.acting_agencies if agency not in snapshot.confirmed_by | {side})
            if still:
                return Decision(
                    command,
                    audit_event="resolution.confirmed",
                    waiting_on=waiting_for_confirmation(snapshot, still),
                    side=side,
                )
            return Decision(
                command,
                state=DisputeState.RESOLVED,
                transition="confirm_resolution",
                audit_event="resolution.confirmed",
                triggers=(Trigger("resolved_at_stage", snapshot.current_stage),),
                side=side,
            )
        case Command.REJECT_RESOLUTION:
            return Decision(
                command,
                state=DisputeState.IN_DISCUSSION,
                transition="reject_resolution",
                audit_event="resolution.rejected",
                side=acting_side(snapshot, actor),
                waiting_on=here,
            )
        case Command.ESCALATE_NO_RESPONSE:
            return Decision(
                command,
                state=DisputeState.IN_DISCUSSION,
                transition="escalate",
                enter_stage=next_stage.number,
                audit_event="dispute.escalated_no_response",
                triggers=(Trigger("stage_entered", next_stage.number),),
                waiting_on=there,
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
        case Command.SHORTEN_DEADLINE:
            return Decision(command, audit_event="deadline.shortened")
        case Command.FLAG_IMMEDIATE_HARM:
            return Decision(
                command,
                audit_event="dispute.immediate_harm_flagged",
                triggers=(Trigger("immediate_harm_flagged", snapshot.current_stage),),
            )
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
