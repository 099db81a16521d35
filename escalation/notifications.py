"""The notifications outbox: rows written in the same transaction as the change that causes them.

Recipients are found by role, never by name. A role that nobody in the agency holds is reported to
the partnership's business manager rather than dropped. Headlines and messages carry no personal
data: they may go by e-mail, and the details are behind sign-in.
"""

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model

from agencies.models import PARTNERSHIP_ROLES, Membership, Role
from policies.models import Event, Side

from .conditions import condition_holds
from .delivery import send_after_commit
from .models import Deadline, Dispute, Notification

User = get_user_model()


def _agencies_for(dispute: Dispute, sides: str) -> list:
    if sides == Side.RAISING:
        return [dispute.raising_agency]
    if sides == Side.OTHER:
        return [dispute.other_agency]
    return [dispute.raising_agency, dispute.other_agency]


def recipients(dispute: Dispute, roles: Iterable[str], sides: str = Side.BOTH) -> tuple[list[tuple], list[str]]:
    """(user, role) pairs to tell, and descriptions of roles that nobody holds."""
    found: list[tuple] = []
    unfilled: list[str] = []
    for role in roles:
        if role in PARTNERSHIP_ROLES:
            members = Membership.objects.filter(agency__partnership=dispute.partnership, role=role)
            places = [("the partnership", members)]
        else:
            places = [
                (agency.name, Membership.objects.filter(agency=agency, role=role))
                for agency in _agencies_for(dispute, sides)
            ]
        for place, members in places:
            users = [m.user for m in members.select_related("user") if m.user.is_active]
            if not users:
                unfilled.append(f"{Role(role).label} at {place}")
            found += [(user, role) for user in users]
    unique: dict[int, tuple] = {}
    for user, role in found:
        unique.setdefault(user.pk, (user, role))
    return list(unique.values()), unfilled


def queue(
    dispute: Dispute,
    event: str,
    roles: Iterable[str],
    headline: str,
    now: datetime.datetime,
    *,
    sides: str = Side.BOTH,
    message: str = "",
    deadline: Deadline | None = None,
    exclude: Iterable = (),
    any_of: bool = False,
) -> list[Notification]:
    """Write outbox rows for everyone holding the roles; report roles nobody holds.

    With `any_of`, the roles are alternatives: a gap is reported only when nobody holds any of them.
    """
    people, unfilled = recipients(dispute, roles, sides)
    if any_of and people:
        unfilled = []
    excluded = {user.pk for user in exclude}
    rows = [
        Notification(
            dispute=dispute,
            recipient=user,
            event=event,
            role=role,
            deadline=deadline,
            headline=headline,
            message=message,
            created_at=now,
            email_status=Notification.EmailStatus.PENDING if user.email else Notification.EmailStatus.NOT_SENT,
            email_next_attempt_at=now,
        )
        for user, role in people
        if user.pk not in excluded
    ]
    if unfilled:
        managers, _ = recipients(dispute, [Role.BUSINESS_MANAGER])
        gap = "; ".join(unfilled)
        rows += [
            Notification(
                dispute=dispute,
                recipient=user,
                event="unfilled_role",
                role=Role.BUSINESS_MANAGER,
                deadline=deadline,
                headline=f"{dispute.reference}: nobody holds a role the policy names",
                message=f"'{headline}' should have gone to: {gap}. Please make sure it reaches them.",
                created_at=now,
                email_next_attempt_at=now,
                email_status=Notification.EmailStatus.PENDING if user.email else Notification.EmailStatus.NOT_SENT,
            )
            for user, _role in managers
        ]
    created = Notification.objects.bulk_create(rows)
    send_after_commit(created)
    return created


def queue_policy_notifications(dispute: Dispute, event: str, stage_number: int, now: datetime.datetime) -> list:
    """The notifications the dispute's policy asks for on this event at this stage."""
    rows: list[Notification] = []
    rules = dispute.policy_version.notification_rules.filter(event=event)
    for rule in rules:
        if rule.stages and stage_number not in rule.stages:
            continue
        if not condition_holds(rule.condition, dispute):
            continue
        headline = f"{dispute.reference}: {Event(event).label.lower()} (stage {stage_number})"
        rows += queue(dispute, event, rule.roles, headline, now, sides=rule.sides, message=rule.message)
    return rows
