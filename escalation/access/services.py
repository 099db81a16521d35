"""Who holds each partnership office, and the access a rule gives the people it brings in. Every change audited.

An office (the CP chair, the designated nurse, ...) is held for the whole partnership by people outside the two
agencies of any one dispute. A partnership admin says who holds it; a policy rule that names the office reaches
its holders (`escalation.notifications.outbox`), and each holder it tells may open that dispute from then on.
Nobody else outside the two agencies gains anything.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from agencies.models import OFFICES, Membership, Office, OfficeHolder, Partnership, Role
from escalation.access.models import DisputeAccess
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from policies.runtime import ActionRefused

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


def is_office(name: str) -> bool:
    return name in OFFICES


def office_holders(*, partnership: Partnership, office: str) -> list:
    """The active people who hold `office` in `partnership`, in the order they took it up."""
    holders = OfficeHolder.objects.filter(partnership=partnership, office=office, user__is_active=True)
    return [holder.user for holder in holders.select_related("user").order_by("since", "id")]


def _require_partnership_admin(user, partnership: Partnership) -> None:
    allowed = user is not None and (
        user.is_superuser
        or Membership.objects.filter(user=user, role=Role.ADMIN, agency__partnership=partnership).exists()
    )
    if not allowed:
        raise ActionRefused("Only an admin of this partnership can say who holds its offices.")


def _refuse_own_holding(changed_by, *users) -> None:
    """Nobody (but a superuser) says which offices they hold themselves: an office can open disputes."""
    if not changed_by.is_superuser and any(user is not None and user.pk == changed_by.pk for user in users):
        raise ActionRefused("You cannot change your own offices: ask another admin of your partnership.")


def _holding(holder: OfficeHolder) -> dict:
    return {
        "office": holder.office,
        "user_id": holder.user_id,
        "username": holder.user.get_username(),
        "since": holder.since.isoformat(),
        "note": holder.note,
    }


def _refuse_unknown_office(office: str) -> None:
    if office not in OFFICES:
        raise ActionRefused(f"{office!r} is not a partnership office.")


def _refuse_second_holding(holder: OfficeHolder) -> None:
    twin = OfficeHolder.objects.filter(partnership=holder.partnership, office=holder.office, user=holder.user)
    if twin.exclude(pk=holder.pk).exists():
        raise ActionRefused(f"{holder.user} already holds the office of {Office(holder.office).label}.")


@transaction.atomic
def add_office_holder(
    *,
    partnership: Partnership,
    office: str,
    user,
    since: datetime.date,
    note: str = "",
    added_by,
    now: datetime.datetime,
) -> OfficeHolder:
    """Say that `user` holds `office` in `partnership` from `since`."""
    _require_partnership_admin(added_by, partnership)
    _refuse_own_holding(added_by, user)
    _refuse_unknown_office(office)
    holder = OfficeHolder(partnership=partnership, office=office, user=user, since=since, note=note)
    _refuse_second_holding(holder)
    try:
        with transaction.atomic():
            holder.save()
    except IntegrityError:
        raise ActionRefused(f"{user} already holds the office of {Office(office).label}.") from None
    audit.record(
        added_by,
        AuditEventType.OFFICE_HOLDER_ADDED,
        obj=holder,
        partnership=partnership,
        after=_holding(holder),
        now=now,
    )
    return holder


@transaction.atomic
def change_office_holder(
    *, holder: OfficeHolder, office: str, user, since: datetime.date, note: str, changed_by, now: datetime.datetime
) -> OfficeHolder:
    """Change who holds an office, which office, since when or the note; the holding stays in its partnership."""
    stored = OfficeHolder.objects.select_related("partnership", "user").get(pk=holder.pk)
    _require_partnership_admin(changed_by, stored.partnership)
    _refuse_own_holding(changed_by, stored.user, user)
    _refuse_unknown_office(office)
    before = _holding(stored)
    stored.office, stored.user, stored.since, stored.note = office, user, since, note
    after = _holding(stored)
    if before == after:
        return stored
    _refuse_second_holding(stored)
    stored.save()
    audit.record(
        changed_by,
        AuditEventType.OFFICE_HOLDER_CHANGED,
        obj=stored,
        partnership=stored.partnership,
        before=before,
        after=after,
        now=now,
    )
    return stored


@transaction.atomic
def remove_office_holder(*, holder: OfficeHolder, removed_by, now: datetime.datetime) -> None:
    """End a holding. Access already given to a dispute stays: it was given for what they were sent."""
    stored = OfficeHolder.objects.select_related("partnership", "user").get(pk=holder.pk)
    _require_partnership_admin(removed_by, stored.partnership)
    _refuse_own_holding(removed_by, stored.user)
    before = _holding(stored)
    audit.record(
        removed_by,
        AuditEventType.OFFICE_HOLDER_REMOVED,
        obj=stored,
        partnership=stored.partnership,
        before=before,
        now=now,
    )
    stored.delete()


def grant_access(*, dispute: Dispute, user, reason: str, office: str, now: datetime.datetime) -> DisputeAccess:
    """Let someone a rule brought in open `dispute` from `now`; audited once. A second grant changes nothing."""
    access, created = DisputeAccess.objects.get_or_create(
        dispute=dispute, user=user, defaults={"office": office, "reason": reason[:300], "granted_at": now}
    )
    if created:
        audit.record(
            None,
            AuditEventType.DISPUTE_ACCESS_GRANTED,
            dispute=dispute,
            obj=access,
            after={"user_id": user.pk, "username": user.get_username(), "office": office, "reason": access.reason},
            now=now,
        )
    return access


def accesses_of(dispute: Dispute) -> list[DisputeAccess]:
    """The people a rule brought in to `dispute`, in the order they were brought in."""
    return list(DisputeAccess.objects.filter(dispute=dispute).select_related("user"))
