"""Which deadline rules run on a dispute where it stands now, from when, and until when: a plan over plain data.

The shell (`escalation.deadlines.rules.sync_deadlines`) loads the dispute's facts, asks `plan_deadlines`, and
writes the rows: one open row per running rule; a rule that stops running (the dispute left its stages, its
condition no longer holds, it was met) has its row closed; a rule whose clock starts again (its stage entered
anew) gets a fresh row.
"""

import datetime
from dataclasses import dataclass

from policies.calendar import WorkingCalendar
from policies.runtime.clock import anchor_time, compute_due, compute_reminder, compute_soon
from policies.runtime.conditions import Facts, condition_value
from policies.vocabulary import EntryKind, MetBy


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

    @property
    def stages(self) -> list[int]:
        return list(range(self.first_stage, self.last_stage + 1))


@dataclass(frozen=True)
class EntryFact:
    """A written record entry: which side wrote it, what kind, when."""

    agency_id: int
    kind: str
    created_at: datetime.datetime


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


@dataclass(frozen=True)
class DeadlineFacts:
    """Everything about a dispute that decides its deadlines."""

    is_open: bool
    current_stage: int
    raised_at: datetime.datetime
    other_agency_id: int
    facts: Facts
    stage_entries: dict[int, datetime.datetime]
    entries: tuple[EntryFact, ...] = ()
    open_rows: tuple[OpenDeadline, ...] = ()


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
    id: int
    met: bool


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
) -> Timing:
    due = compute_due(rule, anchor_at, calendar, default_working_days, extended_days, manual_due_at)
    return Timing(
        due, compute_reminder(rule, anchor_at, due, calendar), compute_soon(rule, due, calendar, due_soon_working_days)
    )


def already_met(rule: DeadlineRuleDef, dispute: DeadlineFacts, anchor_at: datetime.datetime) -> bool:
    """Whether what the rule waits for has happened since its clock started."""
    if rule.met_by == MetBy.RESPONSE:
        return any(entry.agency_id == dispute.other_agency_id for entry in dispute.entries)
    if rule.met_by == MetBy.ACTION_RECORDED:
        return any(
            entry.kind in (EntryKind.ACTION, EntryKind.DECISION) and entry.created_at >= anchor_at
            for entry in dispute.entries
        )
    return False


def runs(rule: DeadlineRuleDef, dispute: DeadlineFacts, anchor_at: datetime.datetime | None) -> bool:
    return (
        dispute.is_open
        and rule.first_stage <= dispute.current_stage <= rule.last_stage
        and anchor_at is not None
        and bool(condition_value(rule.condition, dispute.facts))
        and not already_met(rule, dispute, anchor_at)
    )


def met_on_closing(row: OpenDeadline, now: datetime.datetime) -> bool:
    """A deadline closed now was met unless it was breached or its due moment has passed."""
    return row.breached_at is None and (row.due_at is None or now <= row.due_at)


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
        anchor_at = anchor_time(rule, dispute.raised_at, dispute.stage_entries)
        active = runs(rule, dispute, anchor_at)
        row = open_rows.get(rule.id)
        if row is not None and (not active or row.anchor_at != anchor_at):
            close.append(RowToClose(row.id, met_on_closing(row, now)))
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
            )
        elif active:
            when = timing(rule, anchor_at, calendar, default_working_days, due_soon_working_days=due_soon_working_days)
            opened.append(RowToOpen(rule.id, dispute.current_stage, anchor_at, when))
    return DeadlinePlan(tuple(close), tuple(opened), recompute)
