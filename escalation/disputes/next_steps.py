"""What happens next on a dispute, in words: its stage, whose move it is, the next deadline and any immediate harm.

The same words head the dispute's page, fill the home page's "needs you" list and the register's next-deadline
column. Whose move it is comes from the dispute's `WaitingOn` rows (written from the policy runtime's decision on
every change); the people are whoever holds each waited-on role in its agency, in the partnership or as its office
holder. For a list of disputes everything is read in a fixed number of queries, however long the list.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from agencies.models import PARTNERSHIP_ROLES, Membership, Office, OfficeHolder, Role
from escalation.deadlines.models import Deadline
from escalation.deadlines.overdue import Calendars
from escalation.disputes.models import Dispute, WaitingOn
from policies import time_words
from policies.calendar import WorkingCalendar
from policies.vocabulary import Condition, DeadlineKind, DisputeState, Strength

#: What each waited-on role is waited on for.
REASONS = {
    "stage": "to act at this stage",
    "approval": "to approve or decline the escalation",
    "confirmation": "to confirm the resolution",
    "decision": "to record the decision",
}
#: The most names a move lists before saying how many more there are.
NAMES_SHOWN = 3


def role_label(role: str) -> str:
    """A role or an office as people call it: 'Manager', 'Independent reviewing officer'."""
    if role in Office.values:
        return Office(role).label
    if role in Role.values:
        return Role(role).label
    return role.replace("_", " ").capitalize()


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


@dataclass
class Move:
    """A role whose holders can move the dispute now, in one agency or in the partnership."""

    side: str  # raising, other or partnership
    place: str  # the agency's or the partnership's name
    role: str
    reason: str
    people: list = field(default_factory=list)

    @property
    def names(self) -> str:
        """'Ann Smith, Bob Jones and 2 others', or who to tell when nobody holds the role."""
        if not self.people:
            return "nobody holds this role at present"
        names = [person_name(user) for user in self.people[:NAMES_SHOWN]]
        more = len(self.people) - len(names)
        if more:
            return f"{', '.join(names)} and {time_words.plural(more, 'other')}"
        if len(names) == 1:
            return names[0]
        return f"{', '.join(names[:-1])} and {names[-1]}"

    @property
    def words(self) -> str:
        """'Manager at Northgate Children's Services (Sam Jones), to act at this stage'."""
        return f"{role_label(self.role)} at {self.place} ({self.names}), {self.reason}"


@dataclass
class NextDeadline:
    """The dispute's next deadline, said in the unit its rule counts in."""

    row: Deadline
    left: str
    overdue: bool

    @property
    def label(self) -> str:
        return self.row.rule.label

    @property
    def due(self) -> str:
        return time_words.moment(self.row.due_at)

    @property
    def guide(self) -> bool:
        return self.row.rule.strength == Strength.GUIDE


@dataclass
class WhatHappensNext:
    dispute: Dispute
    stage: str
    situation: str
    moves: list[Move]
    yours: bool
    deadline: NextDeadline | None
    harm_flagged: str = ""
    harm_deadline: NextDeadline | None = None


def stage_words(dispute: Dispute) -> str:
    """'Stage 2: Manager to manager', from the stages prefetched with the dispute where there are some."""
    stage = next((s for s in dispute.policy_version.stages.all() if s.number == dispute.current_stage), None)
    return f"Stage {stage.number}: {stage.name}" if stage else f"Stage {dispute.current_stage}"


def situation(dispute: Dispute) -> str:
    """Where the dispute stands, in a sentence."""
    match dispute.state:
        case DisputeState.RAISED:
            return f"Raised with {dispute.other_agency.name}, which has not responded yet."
        case DisputeState.IN_DISCUSSION:
            return "Being discussed at this stage."
        case DisputeState.AWAITING_APPROVAL:
            later = [s.number for s in dispute.policy_version.stages.all() if s.number > dispute.current_stage]
            target = f"stage {min(later)}" if later else "the next stage"
            return f"Escalation to {target} is waiting for approval."
        case DisputeState.AWAITING_CONFIRMATION:
            return "A resolution has been recorded and is waiting for confirmation."
        case DisputeState.RESOLVED:
            return "Resolved. The partnership's business manager closes it."
        case DisputeState.CLOSED:
            return "Resolved and closed: nothing more happens."
        case DisputeState.WITHDRAWN:
            return "Withdrawn: nothing more happens."
    return ""


def _holders(waiting: list[WaitingOn], partnerships: set[int]) -> dict[tuple, list]:
    """Who holds each waited-on role, keyed by (agency id or None, partnership id, role): two queries."""
    in_agency = {(row.agency_id, row.role) for row in waiting if row.agency_id is not None}
    in_partnership = {row.role for row in waiting if row.agency_id is None}
    found: dict[tuple, list] = defaultdict(list)
    wanted = Q(pk__in=[])
    for agency_id, role in in_agency:
        wanted |= Q(agency_id=agency_id, role=role)
    partnership_roles = in_partnership & set(PARTNERSHIP_ROLES)
    if partnership_roles:
        wanted |= Q(agency__partnership_id__in=partnerships, role__in=partnership_roles)
    if in_agency or partnership_roles:
        members = Membership.objects.filter(wanted, user__is_active=True).select_related("user", "agency")
        for membership in members.order_by("user__first_name", "user__last_name", "user__username"):
            if membership.role in PARTNERSHIP_ROLES:
                key = (None, membership.agency.partnership_id, membership.role)
            else:
                key = (membership.agency_id, None, membership.role)
            if membership.user not in found[key]:
                found[key].append(membership.user)
    offices = in_partnership & set(Office.values)
    if offices:
        holders = OfficeHolder.objects.filter(
            partnership_id__in=partnerships, office__in=offices, user__is_active=True
        ).select_related("user")
        for holder in holders.order_by("user__first_name", "user__last_name", "user__username"):
            found[(None, holder.partnership_id, holder.office)].append(holder.user)
    return found


def _said(row: Deadline, now: datetime.datetime, calendar: WorkingCalendar) -> NextDeadline:
    return NextDeadline(row, time_words.time_left(row.due_at, now, row.rule.kind, calendar), row.due_at < now)


def _next_deadline(rows: list[Deadline]) -> Deadline | None:
    """The running deadline that falls due first (a paused one, or one the chair has still to set, is not)."""
    running = [row for row in rows if row.due_at is not None and row.paused_at is None]
    return min(running, key=lambda r: (r.due_at, r.pk)) if running else None


def _harm_deadline(rows: list[Deadline]) -> Deadline | None:
    """The immediate-harm clock: a rule that applies only to immediate harm, or else one counted in hours."""
    harm = [row for row in rows if row.rule.condition == Condition.IMMEDIATE_HARM and row.due_at is not None]
    harm = harm or [row for row in rows if row.rule.kind == DeadlineKind.CALENDAR_HOURS and row.due_at is not None]
    return min(harm, key=lambda r: (r.due_at, r.pk)) if harm else None


def what_happens_next_for(
    disputes: Iterable[Dispute], user, now: datetime.datetime, calendars: Calendars | None = None
) -> dict[int, WhatHappensNext]:
    """What happens next on each dispute, by its id, as `user` reads it (`yours`: a move they hold)."""
    disputes = list(disputes)
    if not disputes:
        return {}
    calendars = calendars or Calendars()
    ids = [dispute.pk for dispute in disputes]
    waiting = list(WaitingOn.objects.filter(dispute_id__in=ids).select_related("agency").order_by("pk"))
    holders = _holders(waiting, {dispute.partnership_id for dispute in disputes})
    deadlines: dict[int, list[Deadline]] = defaultdict(list)
    prefetched = [getattr(dispute, "_prefetched_objects_cache", {}).get("deadlines") for dispute in disputes]
    if all(rows is not None for rows in prefetched):  # the dispute's page has them already (with their rules)
        open_rows = [row for rows in prefetched for row in rows if row.closed_at is None]
    else:
        open_rows = Deadline.objects.filter(dispute_id__in=ids, closed_at__isnull=True).select_related("rule")
    for row in open_rows:
        deadlines[row.dispute_id].append(row)
    waiting_by: dict[int, list[WaitingOn]] = defaultdict(list)
    for row in waiting:
        waiting_by[row.dispute_id].append(row)
    found = {}
    for dispute in disputes:
        for row in deadlines[dispute.pk]:
            row.dispute = dispute
        found[dispute.pk] = _one(dispute, waiting_by[dispute.pk], holders, deadlines[dispute.pk], user, now, calendars)
    return found


def _one(
    dispute: Dispute,
    waiting: list[WaitingOn],
    holders: dict[tuple, list],
    rows: list[Deadline],
    user,
    now: datetime.datetime,
    calendars: Calendars,
) -> WhatHappensNext:
    moves = []
    if dispute.is_open:
        for row in waiting:
            if row.agency_id is None:
                side, place = "partnership", dispute.partnership.name
                people = holders.get((None, dispute.partnership_id, row.role), [])
            else:
                side = "raising" if row.agency_id == dispute.raising_agency_id else "other"
                place = row.agency.name
                people = holders.get((row.agency_id, None, row.role), [])
            moves.append(Move(side, place, row.role, REASONS.get(row.reason, "to act"), people))
    calendar = calendars.of(dispute.partnership)
    harm_row = _harm_deadline(rows) if dispute.immediate_harm and dispute.is_open else None
    # The immediate-harm clock has its own line: the next deadline is the next of the others.
    next_row = _next_deadline([row for row in rows if row is not harm_row]) if dispute.is_open else None
    flagged = dispute.immediate_harm_flagged_at or dispute.raised_at
    return WhatHappensNext(
        dispute=dispute,
        stage=stage_words(dispute),
        situation=situation(dispute),
        moves=moves,
        yours=any(user in move.people for move in moves),
        deadline=_said(next_row, now, calendar) if next_row else None,
        harm_flagged=time_words.happened(flagged) if dispute.immediate_harm else "",
        harm_deadline=_said(harm_row, now, calendar) if harm_row else None,
    )


def next_deadline_words(
    due: datetime.datetime, kind: str, now: datetime.datetime, calendar: WorkingCalendar
) -> tuple[str, str]:
    """('3 working days left', '5pm on Wednesday 9 December 2026'): a register row's next deadline."""
    left = time_words.time_left(due, now, kind, calendar)
    return left[:1].upper() + left[1:], time_words.moment(due)


def what_happens_next(
    dispute: Dispute, user, now: datetime.datetime, calendars: Calendars | None = None
) -> WhatHappensNext:
    """What happens next on one dispute (its page), as `user` reads it."""
    return what_happens_next_for([dispute], user, now, calendars)[dispute.pk]
