"""Ending a leaver's access, and giving it back: every session ends at once, sign-in is refused, records stay.

A suspended person is an inactive account (`is_active` false): Django refuses their sign-in and drops a session
they still hold on its next request, the access rule gives an inactive account nothing, and the session token is
rotated too (`sessions.end_sessions_of`), so no session of theirs outlives the suspension whatever its store. Their
disputes, records and audit trail are untouched. An account spans partnerships, so a partnership admin suspends
only someone whose every role and office is in partnerships they administer; for anyone else they remove the
roles held in their own partnership.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from escalation.accounts.models import Invitation
from escalation.accounts.roles import administered_partnerships, partnerships_of
from escalation.accounts.sessions import end_sessions_of
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from policies.runtime import ActionRefused


def _person(user) -> dict:
    return {"user_id": user.pk, "username": user.get_username()}


def refusal_to_suspend(*, user, by) -> str | None:
    """Why `by` may not suspend or reinstate `user`, or None when they may."""
    if by is None or not by.is_authenticated or not by.is_active:
        return "Only an admin of their partnership can do this."
    if by.pk == user.pk:
        return "You cannot suspend or reinstate yourself."
    if user.is_superuser and not by.is_superuser:
        return "Only a superuser can suspend a superuser."
    if by.is_superuser:
        return None
    theirs = partnerships_of(user) | set(Invitation.objects.filter(user=user).values_list("partnership_id", flat=True))
    mine = set(administered_partnerships(by).values_list("pk", flat=True))
    if not theirs or not theirs <= mine:
        if theirs & mine:
            return (
                "This person also works with another partnership, so their account stays open: "
                "remove the roles they hold in yours instead."
            )
        return "Only an admin of their partnership can do this."
    return None


def _partnership_for_audit(user, by):
    """The partnership the event is filed under: the first of the person's the admin administers."""
    theirs = partnerships_of(user)
    return administered_partnerships(by).filter(pk__in=theirs).order_by("pk").first()


@transaction.atomic
def suspend_person(*, user, suspended_by, now: datetime.datetime) -> None:
    """A leaver: every session ends now, they cannot sign in, and pending invitation links stop working."""
    problem = refusal_to_suspend(user=user, by=suspended_by)
    if problem:
        raise ActionRefused(problem)
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    end_sessions_of(user, now=now)
    Invitation.objects.filter(user=user, accepted_at__isnull=True, withdrawn_at__isnull=True).update(withdrawn_at=now)
    audit.record(
        suspended_by,
        AuditEventType.PERSON_SUSPENDED,
        obj=user,
        partnership=_partnership_for_audit(user, suspended_by),
        before={"is_active": True},
        after={**_person(user), "is_active": False},
        now=now,
    )


@transaction.atomic
def reinstate_person(*, user, reinstated_by, now: datetime.datetime) -> None:
    """Let a suspended person sign in again, with the roles they still hold."""
    problem = refusal_to_suspend(user=user, by=reinstated_by)
    if problem:
        raise ActionRefused(problem)
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record(
        reinstated_by,
        AuditEventType.PERSON_REINSTATED,
        obj=user,
        partnership=_partnership_for_audit(user, reinstated_by),
        before={"is_active": False},
        after={**_person(user), "is_active": True},
        now=now,
    )
