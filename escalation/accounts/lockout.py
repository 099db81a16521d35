"""The sign-in lockout rule for an address alone: far more failures than for a username, whatever usernames were tried.

django-axes locks a username after AXES_FAILURE_LIMIT failures (from any address, and at one address). It has one
failure limit for all its parameters, so an address counted by axes would be locked after the same 5 failures,
and a school or an NHS trust behind one address would be locked out by five invented usernames (issue 12, F3).
This rule counts axes' own failure records for the address (AccessAttempt rows, one per username, address and
browser, within the cool-off) and refuses every sign-in from it once they reach SIGN_IN_ADDRESS_FAILURE_LIMIT
(100 by default): someone trying one password on many usernames is stopped, colleagues mistyping are not.

The refusal never says whose password was wrong, or that any username exists: the same page for everyone there.
A good sign-in clears only its own username's failures (AXES_RESET_ON_SUCCESS), never the address's others.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

DEFAULT_ADDRESS_FAILURE_LIMIT = 100

ADDRESS_LOCKED = (
    "Sign-in from your network is paused for {minutes} minutes because of too many failed sign-ins from it. "
    "Wait {minutes} minutes, then try again."
)

_MARK = "sign_in_address_locked"


def address_failure_limit() -> int:
    return int(getattr(settings, "SIGN_IN_ADDRESS_FAILURE_LIMIT", DEFAULT_ADDRESS_FAILURE_LIMIT))


def failures_from_address(ip_address: str | None, request: HttpRequest | None = None) -> int:
    """Failed sign-ins counted against `ip_address` within the cool-off, whatever usernames they were for."""
    if not ip_address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    cool_off = get_cool_off(request)
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def address_is_locked(request: HttpRequest) -> bool:
    """Whether sign-in from this request's address is refused; marks the request so the page can say why."""
    AxesProxyHandler.update_request(request)
    locked = failures_from_address(request.axes_ip_address, request) >= address_failure_limit()
    if locked:
        setattr(request, _MARK, True)
    return locked


def was_address_locked(request: HttpRequest) -> bool:
    return bool(getattr(request, _MARK, False))
