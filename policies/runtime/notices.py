"""Who a policy tells when something happens to a dispute: its notification rules, chosen over plain data."""

from dataclasses import dataclass

from policies.runtime.conditions import Facts, condition_value


@dataclass(frozen=True)
class NoticeRule:
    """One notification rule of a policy version."""

    event: str
    stages: tuple[int, ...] = ()
    roles: tuple[str, ...] = ()
    sides: str = "both"
    condition: str = "always"
    message: str = ""


@dataclass(frozen=True)
class Trigger:
    """Something that happened to a dispute that a policy may attach notices, records or deadlines to."""

    event: str
    stage: int


@dataclass(frozen=True)
class Notice:
    """Tell everyone holding these roles (on these sides) about this trigger, with the policy's message."""

    trigger: Trigger
    roles: tuple[str, ...]
    sides: str
    message: str


def notices_for(rules: tuple[NoticeRule, ...], trigger: Trigger, facts: Facts) -> tuple[Notice, ...]:
    """The notices the policy asks for on this trigger: rules for its event, at its stage (or any), whose
    condition holds."""
    return tuple(
        Notice(trigger, rule.roles, rule.sides, rule.message)
        for rule in rules
        if rule.event == trigger.event
        and (not rule.stages or trigger.stage in rule.stages)
        and condition_value(rule.condition, facts)
    )
