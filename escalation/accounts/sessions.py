"""Ending every session a person has, wherever they signed in."""

import datetime

from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from escalation.accounts.models import SessionToken, new_token
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType

SESSION_KEY = "account_session_token"


def current_token(user) -> str:
    row, _ = SessionToken.objects.get_or_create(user=user)
    return row.token


def remember_token(request: HttpRequest, user) -> None:
    """Called at sign-in: ties the new session to the person's current token."""
    request.session[SESSION_KEY] = current_token(user)


def session_is_current(request: HttpRequest, user) -> bool:
    token = request.session.get(SESSION_KEY)
    return bool(token) and SessionToken.objects.filter(user=user, token=token).exists()


def end_sessions_of(user, *, now: datetime.datetime | None = None) -> None:
    """Every session the person has ends at its next request."""
    rotated = {"token": new_token(), "rotated_at": now or timezone.now()}
    SessionToken.objects.update_or_create(user=user, defaults=rotated)


@transaction.atomic
def sign_out_everywhere(request: HttpRequest, *, now: datetime.datetime | None = None) -> None:
    """Ends this session and every other session of the signed-in person."""
    now = now or timezone.now()
    user = request.user
    end_sessions_of(user, now=now)
    audit.record(user, AuditEventType.ACCOUNT_SIGNED_OUT_EVERYWHERE, now=now)
    logout(request)
