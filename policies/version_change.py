"""What moving an open dispute to another version of its policy would change: a plan over plain data.

A dispute keeps the version it was raised under until an admin moves it (`escalation.disputes.policy_versions`).
Moving it keeps its history and each open deadline's row, with the extensions, pauses and dates set by hand
people gave it: the row now follows the new version's rule of the same name, its clock starts where that rule
says, and its due moment is worked out again. A rule the new version does not have stops; a rule only the new
version has starts where it runs now. `plan_version_change` says all of that without writing anything, using the
runtime's own deadline plan (`policies.runtime.deadlines.plan_deadlines`), so the preview and the move agree.
"""

import dataclasses
import datetime
from dataclasses import dataclass
from enum import StrEnum

from policies.calendar import WorkingCalendar
from policies.runtime.deadlines import DeadlineFacts, DeadlinePlan, DeadlineRuleDef, plan_deadlines


class DeadlineChange(StrEnum):
    MOVED = "moved"
    STARTS = "starts"
    STOPS = "stops"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class DeadlineMove:
    """One deadline rule's fate: its due moment before and after, and the roles to tell about it."""

    rule: str
    label: str
    change: DeadlineChange
    old_due: datetime.datetime | None = None
    new_due: datetime.datetime | None = None
    roles: tuple[str, ...] = ()
    row_id: int | None = None


@dataclass(frozen=True)
class VersionChange:
    """The plan for one dispute. `refusal` says why it cannot move (then nothing else is set).

    `repoint`: open row -> the new version's rule it follows; `reanchor`: open row -> where its clock now starts;
    `stop`: open rows whose rule the new version does not have; `plan`: what the runtime then does to the rows.
    """

    refusal: str = ""
    moves: tuple[DeadlineMove, ...] = ()
    repoint: dict[int, int] = dataclasses.field(default_factory=dict)
    reanchor: dict[int, datetime.datetime] = dataclasses.field(default_factory=dict)
    stop: tuple[int, ...] = ()
    plan: DeadlinePlan | None = None

    @property
    def changes(self) -> tuple[DeadlineMove, ...]:
        """The deadlines that change (moved, started or stopped)."""
        return tuple(move for move in self.moves if move.change != DeadlineChange.UNCHANGED)

    @property
    def roles_to_tell(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(role for move in self.changes for role in move.roles))


def _roles(rule: DeadlineRuleDef) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*rule.remind_roles, *rule.breach_roles]))


def plan_version_change(
    *,
    old_rules: tuple[DeadlineRuleDef, ...],
    new_rules: tuple[DeadlineRuleDef, ...],
    new_stages: frozenset[int] | set[int],
    dispute: DeadlineFacts,
    calendar: WorkingCalendar,
    default_working_days: int,
    now: datetime.datetime,
    due_soon_working_days: int = 2,
) -> VersionChange:
    """What moving a dispute (its facts, with its open rows under `old_rules`) to the version of `new_rules` does."""
    if not dispute.is_open:
        return VersionChange(refusal="The dispute is closed: a closed dispute keeps the version it ended under.")
    if dispute.current_stage not in new_stages:
        return VersionChange(
            refusal=f"The dispute is at stage {dispute.current_stage}, which the new version does not have."
        )
    old_by_id = {rule.id: rule for rule in old_rules}
    new_by_name = {rule.name: rule for rule in new_rules}
    new_by_id = {rule.id: rule for rule in new_rules}
    repoint: dict[int, int] = {}
    stopped: list[DeadlineMove] = []
    kept = []
    for row in dispute.open_rows:
        old_rule = old_by_id.get(row.rule_id)
        new_rule = new_by_name.get(old_rule.name) if old_rule else None
        if new_rule is None:
            label = old_rule.label if old_rule else "A deadline"
            roles = _roles(old_rule) if old_rule else ()
            stopped.append(
                DeadlineMove(
                    old_rule.name if old_rule else "", label, DeadlineChange.STOPS, row.due_at, None, roles, row.id
                )
            )
            continue
        repoint[row.id] = new_rule.id
        kept.append(dataclasses.replace(row, rule_id=new_rule.id))

    def plan(rows) -> DeadlinePlan:
        facts = dataclasses.replace(dispute, open_rows=tuple(rows))
        return plan_deadlines(new_rules, facts, calendar, default_working_days, now, due_soon_working_days)

    # Where the new rule's clock starts elsewhere, the runtime would close the row and open another: keep the row
    # (and what people did to it) and start its clock there instead.
    first = plan(kept)
    restarted = {opening.rule_id: opening.anchor_at for opening in first.open}
    reanchor = {
        closing.id: restarted[row.rule_id]
        for closing in first.close
        for row in kept
        if row.id == closing.id and row.rule_id in restarted
    }
    kept = [dataclasses.replace(row, anchor_at=reanchor.get(row.id, row.anchor_at)) for row in kept]
    final = plan(kept)

    moves: list[DeadlineMove] = []
    closing = {row.id for row in final.close}
    for row in kept:
        rule = new_by_id[row.rule_id]
        if row.id in closing:
            moves.append(
                DeadlineMove(rule.name, rule.label, DeadlineChange.STOPS, row.due_at, None, _roles(rule), row.id)
            )
            continue
        new_due = final.recompute[row.id].due_at
        change = DeadlineChange.UNCHANGED if new_due == row.due_at else DeadlineChange.MOVED
        moves.append(DeadlineMove(rule.name, rule.label, change, row.due_at, new_due, _roles(rule), row.id))
    for opening in final.open:
        rule = new_by_id[opening.rule_id]
        moves.append(
            DeadlineMove(rule.name, rule.label, DeadlineChange.STARTS, None, opening.timing.due_at, _roles(rule))
        )
    return VersionChange(
        moves=tuple(moves + stopped),
        repoint=repoint,
        reanchor=reanchor,
        stop=tuple(move.row_id for move in stopped),
        plan=final,
    )
