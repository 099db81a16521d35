"""Who a policy tells when something happens to a dispute: its notification rules, chosen over plain data.

A rule names its recipients as the policy file stores them (`policies.schema.RecipientSpec.stored`): plain dicts
such as {"kind": "raiser"}, {"kind": "stage_actors", "sides": "both"}, {"kind": "role", "role": ..., "sides": ...},
{"kind": "office", "office": ...} or {"kind": "any_of", "of": [...]}. The runtime only chooses the rules; the
outbox (`escalation.notifications.outbox.queue_recipients`) finds the people.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from policies.runtime.conditions import Facts, condition_value
from policies.runtime.rules import PolicyRules

STAGE_ENTERED = "stage_entered"
STAGE_REACHED = "stage_reached"


@dataclass(frozen=True)
class NoticeRule:
    """One notification rule of a policy version."""

    event: str
    stages: tuple[int, ...] = ()
    recipients: tuple[dict[str, Any], ...] = ()
    condition: str = "always"
    message: str = ""


@dataclass(frozen=True)
class Trigger:
    """Something that happened to a dispute that a policy may attach notices, records or deadlines to."""

    event: str
    stage: int


@dataclass(frozen=True)
class Notice:
    """Tell these recipients (stored recipient dicts) about this trigger, with the policy's message."""

    trigger: Trigger
    recipients: tuple[dict[str, Any], ...]
    message: str


def notices_for(rules: tuple[NoticeRule, ...], trigger: Trigger, facts: Facts) -> tuple[Notice, ...]:
    """The notices the policy asks for on this trigger: rules for its event, at its stage (or any), whose
    condition holds."""
    return tuple(
        Notice(trigger, rule.recipients, rule.message)
        for rule in rules
        if rule.event == trigger.event
        and (not rule.stages or trigger.stage in rule.stages)
        and condition_value(rule.condition, facts)
    )


def stages_reached(rules: PolicyRules, visited: Iterable[int], entered: int) -> tuple[int, ...]:
    """The stages a dispute reaches or passes by entering `entered`, having visited `visited` before.

    A dispute moves only up its ladder, so every stage up to the highest one visited has been reached already;
    entering a higher stage reaches it and passes every stage between (a dispute started at stage 3 has reached
    1, 2 and 3). Pre-escalation stages are guidance before a dispute exists and are never reached.
    """
    before = max(visited, default=None)
    return tuple(
        stage.number
        for stage in sorted(rules.stages, key=lambda stage: stage.number)
        if not stage.pre_escalation and stage.number <= entered and (before is None or stage.number > before)
    )


def reach_triggers(rules: PolicyRules, visited: Iterable[int], entered: int) -> tuple[Trigger, ...]:
    """A `stage_reached` trigger for each stage newly reached or passed, lowest first: each fires once."""
    return tuple(Trigger(STAGE_REACHED, number) for number in stages_reached(rules, visited, entered))
