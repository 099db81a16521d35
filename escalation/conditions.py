"""Whether a policy rule's condition holds for a dispute: one place for deadline, notification and form rules."""

from policies.models import Condition


def condition_holds(condition: str, dispute) -> bool:
    subject = dispute.subject
    match condition:
        case Condition.ALWAYS:
            return True
        case Condition.IMMEDIATE_HARM:
            return dispute.immediate_harm
        case Condition.NOT_IMMEDIATE_HARM:
            return not dispute.immediate_harm
        case Condition.CHILD:
            return subject.kind == "child"
        case Condition.ADULT:
            return subject.kind == "adult"
        case Condition.CP_PLAN_OR_LOOKED_AFTER:
            return subject.kind == "child" and (subject.child_protection_plan or subject.looked_after)
        case Condition.HEALTH_AGENCY:
            return dispute.raising_agency.is_health or dispute.other_agency.is_health
    raise ValueError(f"unknown condition {condition!r}")
