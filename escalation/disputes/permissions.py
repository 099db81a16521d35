"""What a user may do to a dispute now: one place, used by the services and to show actions."""

from agencies.models import Membership, Role
from escalation.disputes.models import Dispute
from escalation.disputes.selectors import OVERSIGHT_ROLES
from policies.vocabulary import ACTIVE_STATES, OPEN_STATES, DisputeState


class ActionRefused(Exception):
    """The action is not allowed; the message says why, for the person who tried."""


def roles_in(user, agency) -> set[str]:
    return set(Membership.objects.filter(user=user, agency=agency).values_list("role", flat=True))


def oversight_roles(user, dispute: Dispute) -> set[str]:
    return set(
        Membership.objects.filter(
            user=user, agency__partnership=dispute.partnership, role__in=OVERSIGHT_ROLES
        ).values_list("role", flat=True)
    )


def side_of(user, dispute: Dispute):
    """The agency of the dispute the user acts for, raising side first; None for neither."""
    for agency in (dispute.raising_agency, dispute.other_agency):
        if roles_in(user, agency):
            return agency
    return None


def can_approve(user, dispute: Dispute) -> bool:
    if dispute.state != DisputeState.AWAITING_APPROVAL:
        return False
    stage = dispute.next_stage()
    if stage is None:
        return False
    wanted = set(stage.approver_roles)
    return bool(wanted & roles_in(user, dispute.escalation_side)) or bool(wanted & oversight_roles(user, dispute))


def allowed_actions(user, dispute: Dispute) -> set[str]:
    side = side_of(user, dispute)
    staff = oversight_roles(user, dispute)
    actions: set[str] = set()
    if dispute.is_open and (side or staff):
        actions |= {"add_entry", "resolve"}
    if dispute.state in ACTIVE_STATES and side and dispute.can_be_escalated():
        actions.add("propose_escalation")
    if can_approve(user, dispute):
        actions |= {"approve_escalation", "decline_escalation"}
    if dispute.state in OPEN_STATES and side == dispute.raising_agency:
        actions.add("withdraw")
    if dispute.state == DisputeState.RESOLVED and (side or staff):
        actions.add("close")
    if dispute.is_open and Role.CHAIR in staff:
        actions.add("set_manual_deadline")
    if dispute.is_open and Role.BUSINESS_MANAGER in staff:
        actions.add("adjust_deadline")
    return actions


REFUSALS = {
    "add_entry": "Only the two agencies in this dispute and the partnership can add to its record, while it is open.",
    "resolve": "Only the two agencies in this dispute or the partnership can record its resolution, while it is open.",
    "propose_escalation": "This dispute cannot be escalated now.",
    "approve_escalation": "Only a manager of the escalating agency (or the partnership officer the policy names) "
    "can decide on this escalation.",
    "decline_escalation": "Only a manager of the escalating agency (or the partnership officer the policy names) "
    "can decide on this escalation.",
    "withdraw": "Only the agency that raised this dispute can withdraw it, while it is open.",
    "close": "A dispute can be closed only after its resolution is recorded.",
    "set_manual_deadline": "Only the partnership chair can set this deadline.",
    "adjust_deadline": "Only the partnership business manager can extend or pause a deadline.",
}


def require(user, dispute: Dispute, action: str) -> None:
    if action not in allowed_actions(user, dispute):
        raise ActionRefused(_reason(user, dispute, action))


def _reason(user, dispute: Dispute, action: str) -> str:
    if action == "propose_escalation" and dispute.is_open:
        if dispute.state == DisputeState.AWAITING_APPROVAL:
            return "An escalation is already waiting for a manager's approval."
        if dispute.stage().binding:
            return f"Stage {dispute.current_stage} is final and binding: it cannot be escalated."
        if dispute.next_stage() is None:
            return f"Stage {dispute.current_stage} is the policy's last stage: there is nowhere to escalate to."
    if action in {"approve_escalation", "decline_escalation"} and dispute.state != DisputeState.AWAITING_APPROVAL:
        return "This escalation has already been decided (or withdrawn): there is nothing waiting for approval."
    if not dispute.is_open and action != "close":
        return f"This dispute is {dispute.get_state_display().lower()}: nothing more can be changed."
    return REFUSALS[action]
