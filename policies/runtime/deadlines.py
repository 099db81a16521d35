"""Which deadline rules run on a dispute where it stands now, from when, and until when: a plan over plain data.

The shell (`escalation.deadlines.rules.sync_deadlines`) loads the dispute's facts, asks `plan_deadlines`, and
writes the rows: one open row per running rule; a rule that stops running (the dispute left its stages, its
condition no longer holds, it was met) has its row closed; a rule whose clock starts again (its stage entered
anew) gets a fresh row.

Stages left by an escalation are left when the escalation was proposed (the stage declared unresolved), not
when a manager approved it: a rule whose last stage is waiting for approval to move on closes at the proposal,
met if that was in time. A rule met by a response or by the required action is met only by that; leaving its
stages without it (the raiser escalating, say) closes it as not met. A guide (`strength: guide`) is planned like
a rule; the sweep reminds people of it but never records a breach.
"""

import datetime
from dataclasses import dataclass, field

from policies.calendar import WorkingCalendar
from policies.runtime.clock import anchor_time, compute_due, compute_reminder, compute_soon
from policies.runtime.conditions import Facts, condition_value
from policies.vocabulary import Anchor, Condition, EntryKind, MetBy, Strength

#: Manager-level roles: without named `able_roles`, one of these on either side is able to take a required
#: action; they (and the business manager) may also bring a deadline forward.
MANAGER_ROLES = frozenset({"manager", "senior_manager", "director", "dsl"})


@dataclass(frozen=True)
class DeadlineRuleDef:
    """One deadline rule of a policy version, as the runtime reads it."""

    id: int
    name: str
    label: str
    first_stage: int
    last_stage: int
    anchor: str
    kind: str
    length: int | None
    partnership_default: bool = False
    condition: str = "always"
    met_by: str = MetBy.LEAVING_STAGES
    reminder_lead: int = 1
    breach_event: str = "deadline_breached"
    remind_roles: tuple[str, ...] = ()
    breach_roles: tuple[str, ...] = ()
    strength: str = Strength.RULE
    able_roles: tuple[str, ...] = ()

    @property
    def stages(self) -> list[int]:
        return list(range(self.first_stage, self.last_stage + 1))

    @property
    def guide(self) -> bool:
        return self.strength == Strength.GUIDE


@dataclass(frozen=True)
class EntryFact:
    """A written record entry: which agency it was written for, what kind, when, by whom and the roles they hold
    in that agency."""

    agency_id: int
    kind: str
    created_at: datetime.datetime
    author_id: int | None = None
    author_roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class OpenDeadline:
    """An open deadline row as it stands, with the changes people made to it."""

    id: int
    rule_id: int
    anchor_at: datetime.datetime
    extended_days: int = 0
    manual_due_at: datetime.datetime | None = None
    breached_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None
    shortened_due_at: datetime.datetime | None = None


@dataclass(frozen=True)
class DeadlineFacts:
    """Everything about a dispute that decides its deadlines.

    `stage_proposals`: when escalation out of each stage was (last) proposed. `awaiting_approval`: an escalation
    out of the current stage is waiting for approval (its proposal is `stage_proposals[current_stage]`).
    """

    is_open: bool
    current_stage: int
    raised_at: datetime.datetime
    other_agency_id: int
    facts: Facts
    stage_entries: dict[int, datetime.datetime]
    entries: tuple[EntryFact, ...] = ()
    open_rows: tuple[OpenDeadline, ...] = ()
    raising_agency_id: int | None = None
    raiser_id: int | None = None
    concern_outset: datetime.date | None = None
    stage_proposals: dict[int, datetime.datetime] = field(default_factory=dict)
    awaiting_approval: bool = False
    #: When a risk of immediate harm was reported (at raising, or later): an immediate-harm rule that runs from the
    #: raising runs from this moment.
    harm_flagged_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Timing:
    due_at: datetime.datetime | None
    remind_at: datetime.datetime | None
    soon_at: datetime.datetime | None = None


@dataclass(frozen=True)
class RowToOpen:
    rule_id: int
    stage_number: int
    anchor_at: datetime.datetime
    timing: Timing


@dataclass(frozen=True)
class RowToClose:
    """A row to close, met or not; `at`: when it ended, if earlier than now (an escalation proposed before)."""

    id: int
    met: bool
    at: datetime.datetime | None = None


@dataclass(frozen=True)
class DeadlinePlan:
    close: tuple[RowToClose, ...] = ()
    open: tuple[RowToOpen, ...] = ()
    recompute: dict[int, Timing] | None = None


def timing(
    rule: DeadlineRuleDef,
    anchor_at: datetime.datetime,
    calendar: WorkingCalendar,
    default_working_days: int,
    extended_days: int = 0,
    manual_due_at: datetime.datetime | None = None,
    due_soon_working_days: int = 2,
    shortened_due_at: datetime.datetime | None = None,
) -> Timing:
    due = compute_due(rule, anchor_at, calendar, default_working_days, extended_days, manual_due_at, shortened_due_at)
    return Timing(
        due, compute_reminder(rule, anchor_at, due, calendar), compute_soon(rule, due, calendar, due_soon_working_days)
    )


def able_to_act(rule: DeadlineRuleDef, dispute: DeadlineFacts, entry: EntryFact) -> bool:
    """Whether the entry's author could take the rule's required action: never the raiser; someone holding one of
    the rule's `able_roles`; with none named, anyone on the other side or a manager on either side."""
    if entry.author_id is not None and entry.author_id == dispute.raiser_id:
        return False
    if rule.able_roles:
        return bool(entry.author_roles & set(rule.able_roles))
    if entry.agency_id == dispute.other_agency_id:
        return True
    return entry.agency_id == dispute.raising_agency_id and bool(entry.author_roles & MANAGER_ROLES)


def already_met(rule: DeadlineRuleDef, dispute: DeadlineFacts, anchor_at: datetime.datetime) -> bool:
    """Whether what the rule waits for has happened since its clock started."""
    since = [entry for entry in dispute.entries if entry.created_at >= anchor_at]
    if rule.met_by == MetBy.RESPONSE:
        return any(entry.agency_id == dispute.other_agency_id for entry in since)
    acted = [entry for entry in since if entry.kind in (EntryKind.ACTION, EntryKind.DECISION)]
    if rule.met_by == MetBy.ACTION_RECORDED:
        return bool(acted)
    if rule.met_by == MetBy.REQUIRED_ACTION:
        return any(able_to_act(rule, dispute, entry) for entry in acted)
    return False


def waiting_to_move_on(rule: DeadlineRuleDef, dispute: DeadlineFacts) -> bool:
    """The dispute stands at the rule's last stage and an escalation out of it waits for approval."""
    return dispute.awaiting_approval and dispute.current_stage == rule.last_stage


def runs(rule: DeadlineRuleDef, dispute: DeadlineFacts, anchor_at: datetime.datetime | None) -> bool:
    return (
        dispute.is_open
        and rule.first_stage <= dispute.current_stage <= rule.last_stage
        and not waiting_to_move_on(rule, dispute)
        and anchor_at is not None
        and bool(condition_value(rule.condition, dispute.facts))
        and not already_met(rule, dispute, anchor_at)
    )


def left_by_proposal(
    rule: DeadlineRuleDef, dispute: DeadlineFacts, since: datetime.datetime
) -> datetime.datetime | None:
    """When the dispute left the rule's stages by an escalation proposed out of its last stage (waiting for
    approval, or approved since), if it did after `since`."""
    if dispute.current_stage < rule.last_stage or (
        dispute.current_stage == rule.last_stage and not dispute.awaiting_approval
    ):
        return None
    proposed = dispute.stage_proposals.get(rule.last_stage)
    return proposed if proposed is not None and proposed >= since else None


def met_on_closing(row: OpenDeadline, now: datetime.datetime) -> bool:
    """A deadline that ended at `now` was met unless it had been breached by then or its due moment had passed."""
    return (row.breached_at is None or row.breached_at > now) and (row.due_at is None or now <= row.due_at)


def closing(rule: DeadlineRuleDef, row: OpenDeadline, dispute: DeadlineFacts, now: datetime.datetime) -> RowToClose:
    """How the row ends: at the escalation proposal that left its stages, or now. A rule waiting for a response
    or for the required action that the open dispute moved past without it was not met, however early."""
    ended = left_by_proposal(rule, dispute, row.anchor_at)
    at = ended if ended is not None and ended < now else None
    if (
        dispute.is_open
        and rule.met_by in (MetBy.RESPONSE, MetBy.REQUIRED_ACTION)
        and not already_met(rule, dispute, row.anchor_at)
    ):
        return RowToClose(row.id, False, at)
    return RowToClose(row.id, met_on_closing(row, at or now), at)


def plan_deadlines(
    rules: tuple[DeadlineRuleDef, ...],
    dispute: DeadlineFacts,
    calendar: WorkingCalendar,
    default_working_days: int,
    now: datetime.datetime,
    due_soon_working_days: int = 2,
) -> DeadlinePlan:
    """The rows to close, to open, and the new due and reminder moments of the rows that stay open."""
    open_rows = {row.rule_id: row for row in dispute.open_rows}
    close: list[RowToClose] = []
    opened: list[RowToOpen] = []
    recompute: dict[int, Timing] = {}
    for rule in rules:
        anchor_at = anchor_time(
            rule,
            dispute.raised_at,
            dispute.stage_entries,
            outset=dispute.concern_outset,
            proposals=dispute.stage_proposals,
        )
        if rule.condition == Condition.IMMEDIATE_HARM and rule.anchor == Anchor.RAISED and dispute.harm_flagged_at:
            anchor_at = dispute.harm_flagged_at
        active = runs(rule, dispute, anchor_at)
        row = open_rows.get(rule.id)
        if row is not None and (not active or row.anchor_at != anchor_at):
            close.append(closing(rule, row, dispute, now))
            row = None
        if row is not None:
            recompute[row.id] = timing(
                rule,
                row.anchor_at,
                calendar,
                default_working_days,
                row.extended_days,
                row.manual_due_at,
                due_soon_working_days,
                row.shortened_due_at,
            )
        elif active:
            when = timing(rule, anchor_at, calendar, default_working_days, due_soon_working_days=due_soon_working_days)
            opened.append(RowToOpen(rule.id, dispute.current_stage, anchor_at, when))
    return DeadlinePlan(tuple(close), tuple(opened), recompute)
