"""Granting and removing people's roles: the one way a role changes, each change audited.

The rules, in one place:

- Only an admin of the agency's partnership (or a superuser) grants or removes a role there.
- Nobody changes their own roles, and a partnership admin never changes a superuser's.
- Business manager and chair open every dispute of the partnership and its register, so a partnership admin
  only asks for them: the grant waits for the partnership chair (or a superuser) to approve it, and whoever
  approves is neither the person who asked nor the person it is for. Two people always agree to it.
- A suspended person is given no new roles until they are reinstated.
- The admin role lets its holder into the Django admin (`is_staff`); losing the last one takes that away.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from agencies.models import Agency, Membership, OfficeHolder, Partnership, Role
from escalation.accounts.models import RoleRequest
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from policies.runtime import ActionRefused

#: Roles that open every dispute of a partnership: granted only with a second person's approval.
NEEDS_APPROVAL = frozenset({Role.BUSINESS_MANAGER, Role.CHAIR})

NOT_YOUR_OWN = "You cannot change your own roles: ask another admin of your partnership."
NOT_YOUR_PARTNERSHIP = "Only an admin of this partnership can change who holds its roles."


def administers(user, partnership: Partnership) -> bool:
    """Whether `user` may manage the people of `partnership`: an active admin there, or a superuser."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, role=Role.ADMIN, agency__partnership=partnership).exists()


def administered_partnerships(user) -> QuerySet[Partnership]:
    """The partnerships whose people `user` manages (every one, for a superuser)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Partnership.objects.none()
    if user.is_superuser:
        return Partnership.objects.all()
    administered = Membership.objects.filter(user=user, role=Role.ADMIN).values("agency__partnership_id")
    return Partnership.objects.filter(pk__in=administered)


def people_of(partnerships: Iterable[Partnership] | QuerySet[Partnership]) -> QuerySet:
    """Everyone holding a role or an office in these partnerships, or with a pending invitation or request there."""
    return (
        get_user_model()
        .objects.filter(
            Q(memberships__agency__partnership__in=partnerships)
            | Q(offices_held__partnership__in=partnerships)
            | Q(invitations__partnership__in=partnerships)
            | Q(role_requests__agency__partnership__in=partnerships, role_requests__status=RoleRequest.Status.PENDING)
        )
        .distinct()
    )


def partnerships_of(user) -> set[int]:
    """The ids of every partnership the person holds a role or an office in."""
    return set(Membership.objects.filter(user=user).values_list("agency__partnership_id", flat=True)) | set(
        OfficeHolder.objects.filter(user=user).values_list("partnership_id", flat=True)
    )


def refusal_to_change(*, changed_by, user, partnership: Partnership) -> str | None:
    """Why `changed_by` may not change `user`'s roles in `partnership`, or None when they may."""
    if not administers(changed_by, partnership):
        return NOT_YOUR_PARTNERSHIP
    if user.pk == changed_by.pk and not changed_by.is_superuser:
        return NOT_YOUR_OWN
    if user.is_superuser and not changed_by.is_superuser:
        return "Only a superuser can change a superuser's roles."
    return None


def _require(problem: str | None) -> None:
    if problem:
        raise ActionRefused(problem)


def _role_held(user, agency: Agency, role: str) -> dict:
    return {
        "user_id": user.pk,
        "username": user.get_username(),
        "agency_id": agency.pk,
        "agency": agency.name,
        "role": role,
    }


def _refuse_unknown_role(role: str) -> None:
    if role not in Role.values:
        raise ActionRefused(f"{role!r} is not a role.")


def _sync_staff(user) -> None:
    """Admins use the Django admin, which lets in staff only; nobody else needs it."""
    if user.is_superuser:
        return
    is_admin = Membership.objects.filter(user=user, role=Role.ADMIN).exists()
    if user.is_staff != is_admin:
        user.is_staff = is_admin
        user.save(update_fields=["is_staff"])


def _add_membership(*, user, agency: Agency, role: str, designation: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        user=user, agency=agency, role=role, defaults={"designation": designation}
    )
    if role == Role.ADMIN:
        _sync_staff(user)
    return membership


@transaction.atomic
def grant_role(
    *, user, agency: Agency, role: str, granted_by, now: datetime.datetime, designation: str = ""
) -> Membership | RoleRequest:
    """Give `user` `role` in `agency`, or, for business manager and chair asked for by a partnership admin, ask
    the partnership chair to approve it (a pending `RoleRequest`). A role already held is returned unchanged,
    and so is a request already waiting: the same grant twice changes nothing."""
    _refuse_unknown_role(role)
    _require(refusal_to_change(changed_by=granted_by, user=user, partnership=agency.partnership))
    if not user.is_active:
        raise ActionRefused(f"{user.get_full_name() or user.get_username()} is suspended: reinstate them first.")
    held = Membership.objects.filter(user=user, agency=agency, role=role).first()
    if held is not None:
        return held
    if role in NEEDS_APPROVAL and not granted_by.is_superuser:
        return _request_role(user=user, agency=agency, role=role, designation=designation, by=granted_by, now=now)
    membership = _add_membership(user=user, agency=agency, role=role, designation=designation)
    audit.record(
        granted_by,
        AuditEventType.ROLE_GRANTED,
        obj=membership,
        partnership=agency.partnership,
        after={**_role_held(user, agency, role), "requested_by": None},
        now=now,
    )
    return membership


def _request_role(*, user, agency: Agency, role: str, designation: str, by, now: datetime.datetime) -> RoleRequest:
    waiting = RoleRequest.objects.filter(user=user, agency=agency, role=role, status=RoleRequest.Status.PENDING)
    if waiting.exists():
        return waiting.get()
    try:
        with transaction.atomic():
            request = RoleRequest.objects.create(
                user=user, agency=agency, role=role, designation=designation, requested_by=by, requested_at=now
            )
    except IntegrityError:
        return waiting.get()
    audit.record(
        by,
        AuditEventType.ROLE_REQUESTED,
        obj=request,
        partnership=agency.partnership,
        after={**_role_held(user, agency, role), "request_id": request.pk},
        now=now,
    )
    return request


@transaction.atomic
def remove_role(*, membership: Membership, removed_by, now: datetime.datetime) -> None:
    """End one role. What the person did while holding it stays, and so does access a rule already gave them."""
    stored = Membership.objects.select_related("agency__partnership", "user").get(pk=membership.pk)
    _require(refusal_to_change(changed_by=removed_by, user=stored.user, partnership=stored.agency.partnership))
    audit.record(
        removed_by,
        AuditEventType.ROLE_REMOVED,
        obj=stored,
        partnership=stored.agency.partnership,
        before=_role_held(stored.user, stored.agency, stored.role),
        now=now,
    )
    stored.delete()
    if stored.role == Role.ADMIN:
        _sync_staff(stored.user)


def refusal_to_decide(*, request: RoleRequest, decided_by) -> str | None:
    """Why `decided_by` may not approve or refuse `request`, or None when they may."""
    if decided_by is None or not decided_by.is_authenticated or not decided_by.is_active:
        return "Only the partnership chair or a superuser can approve this."
    if request.status != RoleRequest.Status.PENDING:
        return "This request has already been decided."
    if decided_by.is_superuser:
        return None
    if decided_by.pk in (request.user_id, request.requested_by_id):
        return "Someone else must decide this: you asked for it, or it is for you."
    is_chair = Membership.objects.filter(
        user=decided_by, role=Role.CHAIR, agency__partnership_id=request.agency.partnership_id
    ).exists()
    return None if is_chair else "Only the partnership chair or a superuser can approve this."


def requests_for_decider(user) -> QuerySet[RoleRequest]:
    """The waiting requests `user` may decide: their partnerships' as chair (not their own), or all for a superuser."""
    waiting = RoleRequest.objects.filter(status=RoleRequest.Status.PENDING).select_related(
        "user", "agency__partnership", "requested_by"
    )
    if user is None or not user.is_authenticated or not user.is_active:
        return waiting.none()
    if user.is_superuser:
        return waiting
    chaired = Membership.objects.filter(user=user, role=Role.CHAIR).values("agency__partnership_id")
    return waiting.filter(agency__partnership_id__in=chaired).exclude(user=user).exclude(requested_by=user)


def _locked(request: RoleRequest) -> RoleRequest:
    return RoleRequest.objects.select_for_update().select_related("agency__partnership", "user").get(pk=request.pk)


@transaction.atomic
def approve_role_request(*, request: RoleRequest, approved_by, now: datetime.datetime) -> Membership:
    """The chair (or a superuser) approves a waiting grant: the role is given, audited with who asked for it."""
    stored = _locked(request)
    _require(refusal_to_decide(request=stored, decided_by=approved_by))
    if not stored.user.is_active:
        raise ActionRefused("This person is suspended: they must be reinstated before they are given a role.")
    stored.status, stored.decided_by, stored.decided_at = RoleRequest.Status.APPROVED, approved_by, now
    stored.save(update_fields=["status", "decided_by", "decided_at"])
    membership = _add_membership(
        user=stored.user, agency=stored.agency, role=stored.role, designation=stored.designation
    )
    audit.record(
        approved_by,
        AuditEventType.ROLE_GRANTED,
        obj=membership,
        partnership=stored.agency.partnership,
        after={
            **_role_held(stored.user, stored.agency, stored.role),
            "requested_by": stored.requested_by.get_username(),
        },
        now=now,
    )
    return membership


@transaction.atomic
def refuse_role_request(*, request: RoleRequest, refused_by, now: datetime.datetime) -> RoleRequest:
    """The chair (or a superuser) refuses a waiting grant: nothing is given."""
    stored = _locked(request)
    _require(refusal_to_decide(request=stored, decided_by=refused_by))
    stored.status, stored.decided_by, stored.decided_at = RoleRequest.Status.REFUSED, refused_by, now
    stored.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(
        refused_by,
        AuditEventType.ROLE_REQUEST_REFUSED,
        obj=stored,
        partnership=stored.agency.partnership,
        after={
            **_role_held(stored.user, stored.agency, stored.role),
            "request_id": stored.pk,
            "requested_by": stored.requested_by.get_username(),
        },
        now=now,
    )
    return stored
