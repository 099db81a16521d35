"""Every read of disputes goes through here, and so through the one access rule.

A user sees a dispute when they hold any role in either agency party to it, or when they are the
business manager or chair of its partnership. Anyone else is told the dispute does not exist (404).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from agencies.models import Membership, Role
from escalation.disputes.models import Dispute

OVERSIGHT_ROLES = (Role.BUSINESS_MANAGER, Role.CHAIR)


def visible_disputes_q(user) -> Q:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    agencies = Membership.objects.filter(user=user).values("agency_id")
    overseen = Membership.objects.filter(user=user, role__in=OVERSIGHT_ROLES).values("agency__partnership_id")
    return Q(raising_agency_id__in=agencies) | Q(other_agency_id__in=agencies) | Q(partnership_id__in=overseen)


def disputes_for(user) -> QuerySet[Dispute]:
    return Dispute.objects.filter(visible_disputes_q(user))


def can_see(user, dispute: Dispute) -> bool:
    return disputes_for(user).filter(pk=dispute.pk).exists()


def get_dispute_for(user, reference: str) -> Dispute:
    dispute = (
        disputes_for(user)
        .select_related(
            "partnership",
            "policy_version__policy",
            "subject",
            "raising_agency",
            "other_agency",
            "raised_by",
            "escalation_side",
            "escalation_proposed_by",
        )
        .prefetch_related("policy_version__stages")
        .filter(reference=reference)
        .first()
    )
    if dispute is None:
        raise Http404("No dispute found")
    return dispute
