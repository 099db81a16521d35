"""What a policy's deadlines would be for a dispute raised on a given day: the policy page's preview.

The clock is the engine's own (`escalation.deadlines.anchor_time` and `compute_due` on the partnership's
`policies.calendar`), so the preview and real disputes cannot disagree. Assumption, shown on the page: the
dispute is raised at 10am on the chosen day, and each later stage is entered exactly when the deadline of the
stage before runs out (the earliest deadline that ends with that stage), or straight away when that stage has
no deadline of its own ending there.
"""

import datetime
from dataclasses import dataclass

from agencies.models import Partnership
from policies.basis import due_basis
from policies.calendar import LONDON, calendar_for
from policies.models import DeadlineRule, PolicyVersion, Stage
from policies.runtime.clock import anchor_time, compute_due
from policies.runtime.conditions import Facts, condition_value
from policies.vocabulary import Condition, DeadlineKind

RAISED_AT = datetime.time(10, 0)


@dataclass(frozen=True)
class RuleDue:
    rule: DeadlineRule
    due_at: datetime.datetime | None
    #: False when the rule's condition does not hold for the preview (e.g. immediate harm not ticked).
    applies: bool
    #: A condition the preview cannot know (e.g. a health agency is involved): the rule applies only then.
    only_if: str = ""

    @property
    def manual(self) -> bool:
        return self.rule.kind == DeadlineKind.MANUAL

    @property
    def basis(self) -> dict | None:
        """What the due moment rests on: the policy's words, a reading, or the partnership's default length."""
        return due_basis(self.rule)


@dataclass(frozen=True)
class StageStep:
    stage: Stage
    entered_at: datetime.datetime | None
    #: How the entry time was reached, in words.
    entry_note: str


@dataclass(frozen=True)
class Preview:
    raised_at: datetime.datetime
    immediate_harm: bool
    steps: list[StageStep]
    rules: list[RuleDue]


def _condition(rule: DeadlineRule, immediate_harm: bool) -> tuple[bool, str]:
    """(applies, only-if text) for a rule's condition, given what the preview knows."""
    value = condition_value(rule.condition, Facts(immediate_harm=immediate_harm))
    if value is None:
        return True, Condition(rule.condition).label
    return value, ""


def preview_deadlines(
    version: PolicyVersion, partnership: Partnership, raised_on: datetime.date, immediate_harm: bool = False
) -> Preview:
    raised_at = datetime.datetime.combine(raised_on, RAISED_AT, tzinfo=LONDON)
    calendar = calendar_for(partnership)
    default_days = partnership.default_stage_working_days
    rules = list(version.deadline_rules.order_by("first_stage", "last_stage", "name"))

    def due(rule: DeadlineRule, entries: dict[int, datetime.datetime]) -> datetime.datetime | None:
        anchor = anchor_time(rule, raised_at, entries)
        return compute_due(rule, anchor, calendar, default_days) if anchor is not None else None

    stages = [s for s in version.stages.order_by("number") if not s.pre_escalation and s.number >= version.start_stage]
    entries: dict[int, datetime.datetime] = {}
    steps: list[StageStep] = []
    entered_at: datetime.datetime | None = raised_at
    note = "When the dispute is raised"
    for stage in stages:
        if entered_at is not None:
            entries[stage.number] = entered_at
        steps.append(StageStep(stage=stage, entered_at=entered_at, entry_note=note))
        ending = [rule for rule in rules if rule.last_stage == stage.number and _condition(rule, immediate_harm)[0]]
        dues = [d for rule in ending if not _condition(rule, immediate_harm)[1] and (d := due(rule, entries))]
        if dues:
            entered_at, note = min(dues), f"When stage {stage.number}'s deadline runs out"
        elif entered_at is None:
            continue
        elif any(rule.kind == DeadlineKind.MANUAL for rule in ending):
            entered_at, note = None, f"Not known: it depends on a deadline set by hand at stage {stage.number}"
        else:
            note = f"At the same time as stage {stage.number}, as no deadline ends with stage {stage.number}"
    results = []
    for rule in rules:
        applies, only_if = _condition(rule, immediate_harm)
        results.append(RuleDue(rule=rule, due_at=due(rule, entries), applies=applies, only_if=only_if))
    return Preview(raised_at=raised_at, immediate_harm=immediate_harm, steps=steps, rules=results)
