"""What a person may do to a dispute now: the policy runtime asked about a dispute row.

The rules themselves are `policies.runtime.decide`; this module only turns a Dispute and a user into the
plain data the runtime reads, so the services, the dispute page and the queues all get the same answer.
"""

from escalation.disputes.models import Dispute
from policies.loading import actor_for, rules_of
from policies.runtime import ActionRefused, Actor, Command, Decision, DisputeSnapshot, allowed_commands, decide
from policies.runtime import can_approve as runtime_can_approve
from policies.vocabulary import DisputeState

__all__ = ["ActionRefused", "actor_of", "allowed_actions", "can_approve", "decision", "require", "side_of"]


def confirmed_by(dispute: Dispute) -> frozenset[int]:
    """The agencies that have confirmed the resolution awaiting confirmation (a query only in that state)."""
    if dispute.state != DisputeState.AWAITING_CONFIRMATION:
        return frozenset()
    outcome = getattr(dispute, "outcome", None)
    if outcome is None:
        return frozenset()
    confirmed = (
        (dispute.raising_agency_id, outcome.raising_confirmed_at),
        (dispute.other_agency_id, outcome.other_confirmed_at),
    )
    return frozenset(agency for agency, at in confirmed if at is not None)


def escalate_on_breach_roles(dispute: Dispute) -> frozenset[str]:
    """Roles the policy lets move the dispute on because a deadline naming them was breached and is still open:
    from the page's prefetched deadlines, or one query (none for a dispute no longer open)."""
    if not dispute.is_open:
        return frozenset()
    prefetched = getattr(dispute, "_prefetched_objects_cache", {}).get("deadlines")
    if prefetched is not None:
        lists = [row.rule.escalate_on_breach for row in prefetched if row.closed_at is None and row.breached_at]
    else:
        lists = dispute.deadlines.filter(closed_at__isnull=True, breached_at__isnull=False).values_list(
            "rule__escalate_on_breach", flat=True
        )
    return frozenset(role for roles in lists for role in roles or ())


def snapshot_of(dispute: Dispute) -> DisputeSnapshot:
    return DisputeSnapshot(
        rules=rules_of(dispute.policy_version),
        state=dispute.state,
        current_stage=dispute.current_stage,
        raising_agency_id=dispute.raising_agency_id,
        other_agency_id=dispute.other_agency_id,
        escalation_side_id=dispute.escalation_side_id,
        immediate_harm=dispute.immediate_harm,
        confirmed_by=confirmed_by(dispute),
        escalate_on_breach_roles=escalate_on_breach_roles(dispute),
    )


def actor_of(user, dispute: Dispute) -> Actor:
    return actor_for(user, dispute.partnership_id)


def decision(user, dispute: Dispute, action: str, now=None) -> Decision:
    return decide(snapshot_of(dispute), actor_of(user, dispute), Command(action), now)


def require(user, dispute: Dispute, action: str, now=None) -> Decision:
    """The runtime's decision, or ActionRefused with its reason."""
    return decision(user, dispute, action, now).raise_if_refused()


def allowed_actions(user, dispute: Dispute) -> set[str]:
    return {str(command) for command in allowed_commands(snapshot_of(dispute), actor_of(user, dispute))}


def can_approve(user, dispute: Dispute) -> bool:
    return runtime_can_approve(snapshot_of(dispute), actor_of(user, dispute))


def oversight_roles(user, dispute: Dispute) -> set[str]:
    return set(actor_of(user, dispute).oversight_roles)


def side_of(user, dispute: Dispute):
    """The agency of the dispute the user acts for, raising side first; None for neither."""
    side = actor_of(user, dispute).side(dispute.raising_agency_id, dispute.other_agency_id)
    if side is None:
        return None
    return dispute.raising_agency if side == dispute.raising_agency_id else dispute.other_agency
