"""Every read of disputes goes through here, and so through the one access rule.

A user sees a dispute when they hold any role in either agency party to it, when they are the
business manager or chair of its partnership, or when a rule of its policy brought them in (a partnership
office holder told about it, e.g. a child protection chair told at stage 2): from the moment they were told,
through a `DisputeAccess` row. Anyone else, and any inactive user, is told the dispute does not exist (404).
"""

from django.db.models import F, Q, QuerySet, Value
from django.http import Http404

from agencies.models import Membership, Role
from escalation.access.models import DisputeAccess
from escalation.disputes.models import Dispute

OVERSIGHT_ROLES = (Role.BUSINESS_MANAGER, Role.CHAIR)


def visible_disputes_q(user) -> Q:
    """The access rule as a condition on disputes.

    The person's agencies, overseen partnerships and disputes brought into are read first (one small query) and
    written into the condition as values: PostgreSQL then knows how few disputes they name and looks each
    alternative up in its index. Left as subqueries, it cannot tell, guesses most of the table, and reads every
    dispute to check each against the rule (about 60 ms per list at 100,000 disputes, several lists a page).
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    found: dict[str, set[int]] = {"agency": set(), "partnership": set(), "dispute": set()}
    for kind, pk in _scope(user):
        found[kind].add(pk)
    agencies = sorted(found["agency"])
    return (
        Q(raising_agency_id__in=agencies)
        | Q(other_agency_id__in=agencies)
        | Q(partnership_id__in=sorted(found["partnership"]))
        | Q(pk__in=sorted(found["dispute"]))
    )


def _scope(user) -> QuerySet:
    """(kind, id) pairs: each agency the person belongs to, partnership they oversee, dispute they were brought
    into. One query."""
    agencies = Membership.objects.filter(user=user).annotate(kind=Value("agency"), found=F("agency_id"))
    overseen = Membership.objects.filter(user=user, role__in=OVERSIGHT_ROLES).annotate(
        kind=Value("partnership"), found=F("agency__partnership_id")
    )
    brought_in = DisputeAccess.objects.filter(user=user).annotate(kind=Value("dispute"), found=F("dispute_id"))
    return (
        agencies.order_by()
        .values_list("kind", "found")
        .union(
            overseen.order_by().values_list("kind", "found"),
            brought_in.order_by().values_list("kind", "found"),
            all=True,
        )
    )


def disputes_for(user) -> QuerySet[Dispute]:
    return Dispute.objects.filter(visible_disputes_q(user))


def partnership_disputes_for(user, partnership_id: int) -> QuerySet[Dispute]:
    """The disputes of one partnership that `user` may see, by the same rule as `disputes_for`.

    For the partnership's business manager or chair the rule admits every one of its disputes, so the query says
    only that (one lookup to find out): PostgreSQL then walks the partnership's own indexes, where the rule's four
    alternatives would hide them and throw its estimates out at a million disputes.
    """
    in_partnership = Dispute.objects.filter(partnership_id=partnership_id)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return in_partnership.none()
    oversees = Membership.objects.filter(
        user=user, role__in=OVERSIGHT_ROLES, agency__partnership_id=partnership_id
    ).exists()
    return in_partnership if oversees else in_partnership.filter(visible_disputes_q(user))


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
