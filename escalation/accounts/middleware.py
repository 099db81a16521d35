"""Two checks on every signed-in request: the session is still current, and 2FA is passed where required."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from escalation.accounts.sessions import session_is_current
from escalation.accounts.two_factor import needs_two_factor
from escalation.audit.security_log import TWO_FACTOR_REQUIRED, mark_refused

#: Pages a person who still has to pass 2FA may open.
OPEN_URL_NAMES = (
    "login",
    "logout",
    "logout-everywhere",
    "two-factor-setup",
    "two-factor-verify",
    "two-factor-send-link",
    "two-factor-backup-code",
)


class SessionTokenMiddleware:
    """Signs out a session started before its owner chose to sign out everywhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        user = request.user
        if user.is_authenticated and not session_is_current(request, user):
            logout(request)
            messages.info(request, "You have been signed out. Sign in again to continue.")
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


def _is_open_link(path: str) -> bool:
    """The e-mailed two-factor link, whose address carries its token, so it is not among the fixed open paths."""
    try:
        return resolve(path).url_name == "two-factor-link"
    except Resolver404:
        return False


class TwoFactorRequiredMiddleware:
    """Sends a person who must use 2FA to set it up, or to enter a code, before any other page.

    Must come after django_otp's OTPMiddleware, which tells whether this session has passed 2FA.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def open_paths(self) -> frozenset[str]:
        if self._open_paths is None:
            paths = set()
            for name in OPEN_URL_NAMES:
                try:
                    paths.add(reverse(name))
                except NoReverseMatch:
                    continue
            self._open_paths = frozenset(paths)
        return self._open_paths

    def __call__(self, request: HttpRequest):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and request.path_info not in self.open_paths()
            and not _is_open_link(request.path_info)
            and not request.path_info.startswith(settings.STATIC_URL)
        ):
            required = needs_two_factor(user)
            if required:
                target = "two-factor-verify" if required == "verify" else "two-factor-setup"
                url = reverse(target)
                if request.method == "GET":
                    url = f"{url}?{urlencode({'next': request.get_full_path()})}"
                mark_refused(request, TWO_FACTOR_REQUIRED)
                return redirect(url)
        return self.get_response(request)
