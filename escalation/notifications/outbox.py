"""The notifications outbox: rows written in the same transaction as the change that causes them.

Recipients are found by their part in the dispute, never by name: the worker who raised it, the current stage's
actors, a role on either or both sides, a partnership office, or alternatives of these (`people_for`). A role
that nobody holds is reported to the partnership's business manager rather than dropped. A partnership role
(business manager, chair, admin) means its holders in the dispute's partnership. An office (the CP chair, the
designated nurse, ...) means that office's holders in the dispute's partnership, never someone inside the two
agencies; each holder told is given access to the dispute, so they can open what they were sent. Nobody else
outside the two agencies gains anything. Headlines and messages carry no personal data: they may go by e-mail,
and the details are behind sign-in.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q

from agencies.models import PARTNERSHIP_ROLES, Membership, Office, OfficeHolder, Role
from escalation import bulk
from escalation.access.services import grant_access, is_office, office_holders
from escalation.notifications import wording
from escalation.notifications.models import Notification
from policies.loading import notice_rules_of, rules_of
from policies.runtime.conditions import facts_of
from policies.runtime.notices import Trigger, notices_for
from policies.runtime.rules import PolicyRules
from policies.schema import role_recipients
from policies.vocabulary import Side

if TYPE_CHECKING:
    from escalation.deadlines.models import Deadline
    from escalation.disputes.models import Dispute

User = get_user_model()
logger = logging.getLogger(__name__)

#: The Celery task that sends one outbox row's e-mail (escalation.tasks), named so this layer need not import it.
DELIVER_TASK = "escalation.deliver_notification"
#: What a notification row says the worker who raised the dispute was told as.
RAISER = "raiser"

#: (person, the role, office or part in the dispute they are told as)
Person = tuple[Any, str]


def _agencies_for(dispute: Dispute, sides: str) -> list:
    if sides == Side.RAISING:
        return [dispute.raising_agency]
    if sides == Side.OTHER:
        return [dispute.other_agency]
    return [dispute.raising_agency, dispute.other_agency]


class Directory:
    """Who holds a role or an office, asked of the database as each question comes: right for one dispute."""

    def members(self, agency, role: str) -> list:
        """The active people holding `role` in `agency`."""
        rows = Membership.objects.filter(agency=agency, role=role).select_related("user")
        return [m.user for m in rows if m.user.is_active]

    def partnership_members(self, partnership, role: str) -> list:
        """The active people holding the partnership role `role` in any agency of `partnership`."""
        rows = Membership.objects.filter(agency__partnership=partnership, role=role).select_related("user")
        return [m.user for m in rows if m.user.is_active]

    def office_holders(self, partnership, office: str) -> list:
        return office_holders(partnership=partnership, office=office)

    def rules(self, version) -> PolicyRules:
        return rules_of(version)


class PreloadedDirectory(Directory):
    """The same answers for many disputes at once, read in two queries (the deadline sweep's batches).

    It holds everyone with a role in the disputes' agencies, the partnership roles and the office holders of their
    partnerships; each version's rules are read once.
    """

    def __init__(self, disputes: Iterable[Dispute]) -> None:
        disputes = list(disputes)
        agency_ids = {d.raising_agency_id for d in disputes} | {d.other_agency_id for d in disputes}
        partnership_ids = {d.partnership_id for d in disputes}
        self._by_agency: dict[tuple[int, str], list] = {}
        self._by_partnership: dict[tuple[int, str], list] = {}
        self._offices: dict[tuple[int, str], list] = {}
        self._rules: dict[int, PolicyRules] = {}
        memberships = (
            Membership.objects.filter(
                Q(agency_id__in=agency_ids) | Q(agency__partnership_id__in=partnership_ids, role__in=PARTNERSHIP_ROLES),
                user__is_active=True,
            )
            .annotate(partnership_id=F("agency__partnership_id"))
            .select_related("user")
        )
        for membership in memberships:
            if membership.agency_id in agency_ids:
                self._by_agency.setdefault((membership.agency_id, membership.role), []).append(membership.user)
            if membership.role in PARTNERSHIP_ROLES and membership.partnership_id in partnership_ids:
                key = (membership.partnership_id, membership.role)
                self._by_partnership.setdefault(key, []).append(membership.user)
        holders = OfficeHolder.objects.filter(partnership_id__in=partnership_ids, user__is_active=True)
        for holder in holders.select_related("user").order_by("since", "id"):
            self._offices.setdefault((holder.partnership_id, holder.office), []).append(holder.user)

    def members(self, agency, role: str) -> list:
        return list(self._by_agency.get((agency.pk, role), ()))

    def partnership_members(self, partnership, role: str) -> list:
        return list(self._by_partnership.get((partnership.pk, role), ()))

    def office_holders(self, partnership, office: str) -> list:
        return list(self._offices.get((partnership.pk, office), ()))

    def rules(self, version) -> PolicyRules:
        if version.pk not in self._rules:
            self._rules[version.pk] = rules_of(version)
        return self._rules[version.pk]


#: Asks the database as each question comes.
ONE_AT_A_TIME = Directory()


def as_recipients(items: Iterable[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Stored recipients, with a bare word read as the policy file reads it: "raiser", an office or a role."""
    found: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            found.append(dict(item))
        elif item == RAISER:
            found.append({"kind": "raiser"})
        elif is_office(item):
            found.append({"kind": "office", "office": item})
        else:
            found += role_recipients([item])
    return found


def _office(dispute: Dispute, office: str, directory: Directory) -> tuple[list[Person], list[str]]:
    holders = directory.office_holders(dispute.partnership, office)
    if not holders:
        return [], [f"{Office(office).label} for the partnership"]
    return [(user, office) for user in holders], []


def _role(
    dispute: Dispute, role: str, sides: str, directory: Directory = ONE_AT_A_TIME
) -> tuple[list[Person], list[str]]:
    """Everyone holding `role` on `sides`; a partnership role is the partnership's, an office the office's."""
    if is_office(role):
        return _office(dispute, role, directory)
    if role in PARTNERSHIP_ROLES:
        places = [("the partnership", directory.partnership_members(dispute.partnership, role))]
    else:
        places = [(agency.name, directory.members(agency, role)) for agency in _agencies_for(dispute, sides)]
    found: list[Person] = []
    gaps: list[str] = []
    for place, users in places:
        if not users:
            gaps.append(f"{Role(role).label} at {place}")
        found += [(user, role) for user in users]
    return found, gaps


def _stage_actors(
    dispute: Dispute, sides: str, stage_number: int, directory: Directory
) -> tuple[list[Person], list[str]]:
    """The stage's actors on `sides`, as the policy runtime names them (`StageRule.actors_for`) for each side taking
    part. A side's roles are alternatives: a gap is reported only when nobody on that side holds any of them."""
    stage = directory.rules(dispute.policy_version).stage(stage_number)
    if stage is None:
        return [], []
    found: list[Person] = []
    gaps: list[str] = []
    for side in (Side.RAISING, Side.OTHER):
        if sides not in (Side.BOTH, side) or not stage.takes_part(side):
            continue
        roles = stage.actors_for(side)
        people: list[Person] = []
        for role in roles:
            people += _role(dispute, role, side, directory)[0]
        if not people:
            agency = dispute.raising_agency if side == Side.RAISING else dispute.other_agency
            labels = " or ".join(Role(role).label for role in roles)
            gaps.append(f"{labels} at {agency.name} (stage {stage_number})")
        found += people
    return found, gaps


def _one(
    dispute: Dispute, recipient: Mapping[str, Any], stage_number: int, directory: Directory
) -> tuple[list[Person], list[str]]:
    match recipient.get("kind"):
        case "raiser":
            raiser = dispute.raised_by
            if raiser is None or not raiser.is_active:
                return [], ["the worker who raised the dispute (their account is not active)"]
            return [(raiser, RAISER)], []
        case "stage_actors":
            return _stage_actors(dispute, recipient.get("sides", Side.BOTH), stage_number, directory)
        case "role":
            return _role(dispute, recipient["role"], recipient.get("sides", Side.BOTH), directory)
        case "office":
            return _office(dispute, recipient["office"], directory)
        case "any_of":
            found: list[Person] = []
            gaps: list[str] = []
            for alternative in recipient["of"]:
                people, missing = _one(dispute, alternative, stage_number, directory)
                found += people
                gaps += missing
            return found, ([] if found else gaps)
    raise ValueError(f"unknown kind of recipient {recipient!r}")


def people_for(
    dispute: Dispute,
    recipients: Iterable[str | Mapping[str, Any]],
    *,
    stage: int | None = None,
    directory: Directory = ONE_AT_A_TIME,
) -> tuple[list[Person], list[str]]:
    """The people the recipients name for this dispute, each once with what named them first, and descriptions of
    the posts nobody holds. `stage`: whose stage actors are meant (default the dispute's current stage)."""
    stage_number = dispute.current_stage if stage is None else stage
    found: list[Person] = []
    gaps: list[str] = []
    for recipient in as_recipients(recipients):
        people, missing = _one(dispute, recipient, stage_number, directory)
        found += people
        gaps += missing
    unique: dict[int, Person] = {}
    for user, named_as in found:
        unique.setdefault(user.pk, (user, named_as))
    return list(unique.values()), list(dict.fromkeys(gaps))


def recipients(dispute: Dispute, roles: Iterable[str], sides: str = Side.BOTH) -> tuple[list[tuple], list[str]]:
    """(user, role) pairs to tell, and descriptions of roles that nobody holds."""
    return people_for(dispute, role_recipients(list(roles), sides))


def _row(dispute: Dispute, user, event: str, role: str, headline: str, message: str, deadline, now) -> Notification:
    return Notification(
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


@dataclass(frozen=True)
class Tell:
    """One notification to write for one dispute: who (by their part in it), about what, in which words."""

    dispute: Dispute
    event: str
    recipients: tuple[str | Mapping[str, Any], ...]
    headline: str
    message: str = ""
    deadline: Deadline | None = None
    stage: int | None = None


def _rows_for(
    tell: Tell, now: datetime.datetime, *, exclude: Iterable = (), directory: Directory = ONE_AT_A_TIME
) -> list[Notification]:
    """The outbox rows (unsaved) for everyone the recipients name, and the business manager's for posts nobody holds.

    An office holder told is brought in: from now on they may open the dispute (`grant_access`, audited).
    """
    dispute, headline, deadline = tell.dispute, tell.headline, tell.deadline
    people, unfilled = people_for(dispute, tell.recipients, stage=tell.stage, directory=directory)
    excluded = {user.pk for user in exclude}
    people = [(user, named_as) for user, named_as in people if user.pk not in excluded]
    for user, named_as in people:
        if is_office(named_as):
            grant_access(dispute=dispute, user=user, reason=headline, office=named_as, now=now)
    rows = [
        _row(dispute, user, tell.event, named_as, headline, tell.message, deadline, now) for user, named_as in people
    ]
    if unfilled:
        managers, _ = _role(dispute, Role.BUSINESS_MANAGER, Side.BOTH, directory)
        gap = "; ".join(unfilled)
        rows += [
            _row(
                dispute,
                user,
                "unfilled_role",
                Role.BUSINESS_MANAGER,
                f"{dispute.reference}: nobody holds a role the policy names",
                f"'{headline}' should have gone to: {gap}. Please make sure it reaches them.",
                deadline,
                now,
            )
            for user, _role_name in managers
        ]
    return rows


def queue_recipients(
    dispute: Dispute,
    event: str,
    recipients: Iterable[str | Mapping[str, Any]],
    headline: str,
    now: datetime.datetime,
    *,
    message: str = "",
    deadline: Deadline | None = None,
    exclude: Iterable = (),
    stage: int | None = None,
) -> list[Notification]:
    """Write outbox rows for everyone the recipients name; report posts nobody holds to the business manager.

    An office holder told is brought in: from now on they may open the dispute (`grant_access`, audited).
    """
    tell = Tell(dispute, event, tuple(recipients), headline, message, deadline, stage)
    created = Notification.objects.bulk_create(_rows_for(tell, now, exclude=exclude))
    send_after_commit(created)
    return created


def queue_many(tells: Iterable[Tell], now: datetime.datetime, directory: Directory) -> list[Notification]:
    """Write the outbox rows of many notifications in one insert, finding people through `directory` (a
    `PreloadedDirectory` of the disputes concerned answers without further queries). The same rows, for the same
    people, as `queue_recipients` for each."""
    rows: list[Notification] = []
    for tell in tells:
        rows += _rows_for(tell, now, directory=directory)
    created = bulk.insert(Notification, rows)
    send_after_commit(created)
    return created


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
    """Write outbox rows for everyone holding the roles on `sides`; report roles nobody holds.

    With `any_of`, the roles are alternatives: a gap is reported only when nobody holds any of them.
    """
    named = role_recipients(list(roles), sides)
    if any_of and len(named) > 1:
        named = [{"kind": "any_of", "of": named}]
    return queue_recipients(dispute, event, named, headline, now, message=message, deadline=deadline, exclude=exclude)


def queue_policy_notifications(
    dispute: Dispute, event: str, stage_number: int, now: datetime.datetime, *, exclude: Iterable = ()
) -> list:
    """The notifications the dispute's policy asks for on this event at this stage (the runtime chooses); nobody
    in `exclude` (the person whose own action it was) is told of it."""
    rows: list[Notification] = []
    trigger = Trigger(event, stage_number)
    for notice in notices_for(notice_rules_of(dispute.policy_version), trigger, facts_of(dispute)):
        rows += queue_recipients(
            dispute,
            event,
            notice.recipients,
            wording.headline(dispute, event, stage_number),
            now,
            message=wording.body(dispute, event, notice.message),
            stage=stage_number,
            exclude=exclude,
        )
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
