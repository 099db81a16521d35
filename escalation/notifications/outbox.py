"""The notifications outbox: rows written in the same transaction as the change that causes them.

Recipients are found by role, never by name. A role that nobody in the agency holds is reported to
the partnership's business manager rather than dropped. A name that is a partnership office (the CP chair,
the designated nurse, ...) means that office's holders in the dispute's partnership, never someone inside the
two agencies; each holder told is given access to the dispute, so they can open what they were sent.
Headlines and messages carry no personal data: they may go by e-mail, and the details are behind sign-in.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from agencies.models import PARTNERSHIP_ROLES, Membership, Office, Role
from escalation.access.services import grant_access, is_office, office_holders
from escalation.notifications.models import Notification
from policies.loading import notice_rules_of
from policies.runtime.conditions import facts_of
from policies.runtime.notices import Trigger, notices_for
from policies.vocabulary import Event, Side

if TYPE_CHECKING:
    from escalation.deadlines.models import Deadline
    from escalation.disputes.models import Dispute

User = get_user_model()
logger = logging.getLogger(__name__)

#: The Celery task that sends one outbox row's e-mail (escalation.tasks), named so this layer need not import it.
DELIVER_TASK = "escalation.deliver_notification"


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
        if is_office(role):
            holders = office_holders(partnership=dispute.partnership, office=role)
            if not holders:
                unfilled.append(f"{Office(role).label} for the partnership")
            found += [(user, role) for user in holders]
            continue
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
    An office holder told is brought in: from now on they may open the dispute (`grant_access`, audited).
    """
    people, unfilled = recipients(dispute, roles, sides)
    if any_of and people:
        unfilled = []
    excluded = {user.pk for user in exclude}
    for user, role in people:
        if is_office(role) and user.pk not in excluded:
            grant_access(dispute=dispute, user=user, reason=headline, office=role, now=now)
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
    """The notifications the dispute's policy asks for on this event at this stage (the runtime chooses)."""
    rows: list[Notification] = []
    trigger = Trigger(event, stage_number)
    for notice in notices_for(notice_rules_of(dispute.policy_version), trigger, facts_of(dispute)):
        headline = f"{dispute.reference}: {Event(event).label.lower()} (stage {stage_number})"
        rows += queue(dispute, event, notice.roles, headline, now, sides=notice.sides, message=notice.message)
    return rows


def send_after_commit(notifications: Iterable[Notification]) -> None:
    """Queue e-mail delivery once the transaction that wrote the rows has committed.

    `queue` calls this for every row it writes, so nothing else needs to: each e-mail is queued once.
    Without Redis (the embedded default) nothing is queued: the in-process loop delivers every minute.
    """
    ids = [n.pk for n in notifications if n.pk is not None and n.email_status == Notification.EmailStatus.PENDING]
    if ids and settings.REDIS_URL:
        transaction.on_commit(partial(_enqueue, ids))


def queue_delivery(notification_id: int) -> None:
    current_app.send_task(DELIVER_TASK, args=[notification_id])


def _enqueue(ids: list[int]) -> None:
    try:
        for notification_id in ids:
            queue_delivery(notification_id)
    except Exception:  # noqa: BLE001 - broker errors come from kombu, redis and socket alike
        # The rows are in the outbox: the every-minute delivery run sends them once Redis is back.
        logger.warning("could not queue %s e-mails for delivery now; the delivery run will send them", len(ids))
