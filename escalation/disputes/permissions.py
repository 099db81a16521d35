"""What a person may do to a dispute now: the policy runtime asked about a dispute row.

The rules themselves are `policies.runtime.decide`; this module only turns a Dispute and a user into the
plain data the runtime reads, so the services, the dispute page and the queues all get the same answer.
"""

from escalation.disputes.models import Dispute
from policies.loading import actor_for, rules_of
from policies.runtime import ActionRefused, Actor, Command, Decision, DisputeSnapshot, allowed_commands, decide
from policies.runtime import can_approve as runtime_can_approve

__all__ = ["ActionRefused", "actor_of", "allowed_actions", "can_approve", "decision", "require", "side_of"]


def snapshot_of(dispute: Dispute) -> DisputeSnapshot:
    return DisputeSnapshot(
        rules=rules_of(dispute.policy_version),
        state=dispute.state,
        current_stage=dispute.current_stage,
        raising_agency_id=dispute.raising_agency_id,
        other_agency_id=dispute.other_agency_id,
        escalation_side_id=dispute.escalation_side_id,
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
