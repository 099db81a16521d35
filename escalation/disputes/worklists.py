"""What needs a person now: the read side of the home page and the approvals queue.

Every query starts from `selectors.disputes_for`, so the one access rule applies to all of it. Whose move
it is comes from the policy runtime, stored on each dispute as `WaitingOn` rows, so the queue finds it in
SQL whatever roles a policy names.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from agencies.models import Membership, OfficeHolder, Role, Sector
from escalation.deadlines.models import Deadline
from escalation.deadlines.overdue import Calendars
from escalation.disputes.models import Dispute, WaitingOn
from escalation.disputes.next_steps import what_happens_next_for
from escalation.disputes.selectors import OVERSIGHT_ROLES, disputes_for
from escalation.notifications.models import Notification
from policies.models import Stage
from policies.vocabulary import OPEN_STATES, DeadlineKind, DisputeState

#: The most rows any one list on the home page shows; the count says how many there are in all.
LIST_LIMIT = 25


def agency_ids(user) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("agency_id", flat=True).distinct())


def roles_of(user) -> set[str]:
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


def raising_agencies(user) -> list:
    """The agencies a person may raise a dispute for: their own, not a partnership's office, under a policy."""
    memberships = (
        Membership.objects.filter(user=user, agency__partnership__policy__isnull=False)
        .exclude(agency__sector=Sector.PARTNERSHIP)
        .select_related("agency__partnership__policy")
        .order_by("agency__partnership__name", "agency__name")
    )
    unique = {m.agency_id: m.agency for m in memberships}
    return list(unique.values())


def navigation_flags(user) -> dict[str, bool]:
    """Which parts of the service a person uses, for the navigation bar on every page.

    A person approves when a role they hold is one that any version of their partnerships' policies names
    as an approver (a designated nurse, say), or when they oversee a partnership.
    """
    rows = list(
        Membership.objects.filter(user=user).values_list("role", "agency__sector", "agency__partnership__policy_id")
    )
    roles = {role for role, _, _ in rows}
    policies = {policy for _, _, policy in rows if policy}
    approver_roles: set[str] = set(OVERSIGHT_ROLES)
    if policies:
        for named in Stage.objects.filter(version__policy_id__in=policies, approval_required=True).values_list(
            "approver_roles", flat=True
        ):
            approver_roles.update(named)
    return {
        "can_raise": any(sector != Sector.PARTNERSHIP and policy for _, sector, policy in rows),
        "approves": bool(roles & approver_roles),
        "oversees": bool(roles & set(OVERSIGHT_ROLES)),
        "manages_people": Role.ADMIN in roles,
        "decides_roles": Role.CHAIR in roles,
    }


def for_display(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """What the lists show of each dispute, fetched in a fixed number of queries. Not the policy version's stored
    text (the whole policy as loaded, tens of kilobytes of JSON, kept for export): decoding it took a sixth of the
    home page's time."""
    return (
        disputes.select_related("partnership", "raising_agency", "other_agency", "policy_version")
        .defer("policy_version__document")
        .prefetch_related("policy_version__stages")
    )


def stage_of(dispute: Dispute):
    """The dispute's current stage, from prefetched stages where there are some."""
    return next((s for s in dispute.policy_version.stages.all() if s.number == dispute.current_stage), None)


def to_respond(user) -> QuerySet[Dispute]:
    """Disputes raised with the person's agency that nobody there has answered yet."""
    return disputes_for(user).filter(state=DisputeState.RAISED, other_agency_id__in=agency_ids(user))


def next_due() -> Subquery:
    """When the dispute's next running deadline falls due (its immediate-harm clock included): the sort key of
    the "needs you" list."""
    running = Deadline.objects.filter(
        dispute=OuterRef("pk"), closed_at__isnull=True, paused_at__isnull=True, due_at__isnull=False
    )
    return Subquery(running.order_by("due_at").values("due_at")[:1])


def needs_you(user) -> QuerySet[Dispute]:
    """Open disputes whose next move is the person's (a role they hold is waited on, an approval included), and
    those raised with their agency that nobody there has answered yet: soonest due first."""
    mine = waiting_for(user) | Q(pk__in=to_respond(user).values("pk"))
    return (
        disputes_for(user)
        .filter(mine, state__in=OPEN_STATES)
        .annotate(next_due=next_due())
        .order_by(F("next_due").asc(nulls_last=True), "raised_at", "pk")
    )


def involving(user) -> QuerySet[Dispute]:
    """Unfinished disputes the person raised or took part in (resolved ones still need closing), and those waiting
    on a role they hold for anything but an approval (approvals have their own list): a resolution to confirm."""
    mine = Q(raised_by=user) | Q(pk__in=Dispute.objects.filter(participants__user=user).values("pk"))
    mine |= waiting_for(user) & ~Q(state=DisputeState.AWAITING_APPROVAL)
    return disputes_for(user).filter(mine, state__in=[*OPEN_STATES, DisputeState.RESOLVED])


def waiting_for(user) -> Q:
    """Disputes whose next move is the person's: a role they hold is waited on, in its agency or partnership."""
    holds_in_agency = Membership.objects.filter(user=user, agency_id=OuterRef("agency_id"), role=OuterRef("role"))
    holds_in_partnership = Membership.objects.filter(
        user=user, agency__partnership_id=OuterRef("dispute__partnership_id"), role=OuterRef("role")
    )
    holds_office = OfficeHolder.objects.filter(
        user=user, partnership_id=OuterRef("dispute__partnership_id"), office=OuterRef("role")
    )
    in_agency = WaitingOn.objects.filter(dispute=OuterRef("pk"), agency__isnull=False).filter(Exists(holds_in_agency))
    in_partnership = WaitingOn.objects.filter(dispute=OuterRef("pk"), agency__isnull=True).filter(
        Q(Exists(holds_in_partnership)) | Q(Exists(holds_office))
    )
    return Q(Exists(in_agency)) | Q(Exists(in_partnership))


def approvals_for(user) -> list[Dispute]:
    """Escalations waiting for this person's decision, oldest request first: whoever the policy names."""
    return list(
        for_display(
            disputes_for(user)
            .filter(waiting_for(user), state=DisputeState.AWAITING_APPROVAL)
            .select_related("escalation_side", "escalation_proposed_by")
            .order_by("escalation_proposed_at", "pk")
        )
    )


def deadlines_near(user, now: datetime.datetime) -> QuerySet[Deadline]:
    """Running deadlines on the person's disputes that are passed, breached, reminded of, or due soon (the
    policy's due-soon window, stored on each row).

    Among their open disputes only: a deadline runs only while its dispute is open (the runtime closes the rest),
    and saying so lets PostgreSQL find the few open disputes instead of reading every one the person may see."""
    near = Q(soon_at__lte=now) | Q(due_at__lte=now) | Q(remind_at__lte=now) | Q(breached_at__isnull=False)
    running = disputes_for(user).filter(state__in=OPEN_STATES)
    return (
        Deadline.objects.filter(dispute__in=running, closed_at__isnull=True, paused_at__isnull=True)
        .filter(near)
        .select_related("rule", "dispute__partnership", "dispute__raising_agency", "dispute__other_agency")
        .order_by(F("due_at").asc(nulls_last=True), "pk")
    )


def deadlines_to_set(user) -> QuerySet[Deadline]:
    """Open deadlines the policy leaves to the partnership chair, not set yet."""
    chaired = Membership.objects.filter(user=user, role=Role.CHAIR).values("agency__partnership_id")
    return (
        Deadline.objects.filter(
            dispute__in=disputes_for(user).filter(partnership_id__in=chaired, state__in=OPEN_STATES),
            closed_at__isnull=True,
            due_at__isnull=True,
            rule__kind=DeadlineKind.MANUAL,
        )
        .select_related("rule", "dispute")
        .order_by("anchor_at", "pk")
    )


def unread(user) -> QuerySet[Notification]:
    return user.notifications.filter(read_at__isnull=True).select_related("dispute").order_by("-created_at", "-pk")


def undeliverable(user) -> QuerySet[Notification]:
    """E-mails the mail server refused, for the business manager of the partnership to follow up."""
    managed = Membership.objects.filter(user=user, role=Role.BUSINESS_MANAGER).values("agency__partnership_id")
    return (
        Notification.objects.filter(
            dispute__in=disputes_for(user).filter(partnership_id__in=managed),
            email_status=Notification.EmailStatus.UNDELIVERABLE,
        )
        .select_related("recipient", "dispute")
        .order_by("-created_at", "-pk")
    )


@dataclass
class Listing:
    """Up to LIST_LIMIT rows of a list, and how many there are in all."""

    rows: list
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.rows)


def _listing(queryset, limit: int = LIST_LIMIT) -> Listing:
    """The first rows and the total: the same two queries however long the list is."""
    return Listing(list(queryset[:limit]), queryset.count())


@dataclass
class Attention:
    roles: set[str]
    raising_agencies: list
    needs_you: Listing
    involving: Listing
    deadlines: Listing
    deadlines_to_set: Listing
    unread: Listing
    undeliverable: Listing | None = None
    oversees: bool = False

    @property
    def nothing(self) -> bool:
        return not any(
            [
                self.needs_you.total,
                self.involving.total,
                self.deadlines.total,
                self.deadlines_to_set.total,
                self.unread.total,
                self.undeliverable.total if self.undeliverable else 0,
            ]
        )


def needs_attention(user, now: datetime.datetime, calendars: Calendars | None = None) -> Attention:
    """Everything the home page shows a person, each list already limited to what they may see. `calendars`: the
    partnerships' working-day calendars, read once for the whole page."""
    roles = roles_of(user)
    waiting = needs_you(user)
    listed = _listing(for_display(waiting))
    said = what_happens_next_for(listed.rows, user, now, calendars)
    listed.rows = [said[dispute.pk] for dispute in listed.rows]
    return Attention(
        roles=roles,
        raising_agencies=raising_agencies(user),
        needs_you=listed,
        involving=_listing(for_display(involving(user).exclude(pk__in=waiting.values("pk"))).order_by("-raised_at")),
        deadlines=_listing(deadlines_near(user, now)),
        deadlines_to_set=_listing(deadlines_to_set(user)),
        unread=_listing(unread(user), limit=5),
        undeliverable=_listing(undeliverable(user)) if Role.BUSINESS_MANAGER in roles else None,
        oversees=bool(roles & set(OVERSIGHT_ROLES)),
    )
