"""Whether a policy rule's condition holds: one place for deadline, notification and form rules.

The policy pages and `policy_timeline` ask about disputes that do not exist yet, so the facts may be
partly unknown; `condition_value` then answers None.
"""

from dataclasses import dataclass

from policies.vocabulary import Condition


@dataclass(frozen=True)
class Facts:
    """What a condition can depend on; None where it is not known."""

    immediate_harm: bool | None = None
    subject_kind: str | None = None
    cp_plan_or_looked_after: bool | None = None
    health_agency: bool | None = None


def facts_of(dispute) -> Facts:
    subject = dispute.subject
    return Facts(
        immediate_harm=dispute.immediate_harm,
        subject_kind=subject.kind,
        cp_plan_or_looked_after=subject.kind == "child" and (subject.child_protection_plan or subject.looked_after),
        health_agency=dispute.raising_agency.is_health or dispute.other_agency.is_health,
    )


def condition_value(condition: str, facts: Facts) -> bool | None:
    """True or False, or None when the facts it needs are unknown."""

    def known(value, test):
        return None if value is None else test(value)

    match condition:
        case Condition.ALWAYS:
            return True
        case Condition.IMMEDIATE_HARM:
            return facts.immediate_harm
        case Condition.NOT_IMMEDIATE_HARM:
            return known(facts.immediate_harm, lambda harm: not harm)
        case Condition.CHILD:
            return known(facts.subject_kind, lambda kind: kind == "child")
        case Condition.ADULT:
            return known(facts.subject_kind, lambda kind: kind == "adult")
        case Condition.CP_PLAN_OR_LOOKED_AFTER:
            return facts.cp_plan_or_looked_after
        case Condition.HEALTH_AGENCY:
            return facts.health_agency
    raise ValueError(f"unknown condition {condition!r}")


def condition_holds(condition: str, dispute) -> bool:
    return bool(condition_value(condition, facts_of(dispute)))
