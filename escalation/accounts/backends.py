"""The django-axes lockout check, for sign-ins that come through a web request."""

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied

from escalation.accounts.lockout import address_is_locked


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username, or any sign-in from a locked-out address (escalation.accounts.lockout);
    authentication outside a request is left alone.

    Every sign-in page (ours and the admin's) passes the request, so the lockout applies to all of
    them; code that authenticates without one (the test client's `login`, a shell) is not a web
    sign-in and has nothing to count attempts against.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        if address_is_locked(request):
            # As axes does for a locked username: its middleware answers with the lockout page.
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("too many failed sign-ins from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)


#: django-axes keeps usernames in a 255-character column; nobody's username is longer than Django's 150.
USERNAME_LIMIT = 150


def lockout_username(request, credentials: dict | None = None) -> str | None:
    """The username a sign-in attempt is counted against, made safe to store.

    Whatever was typed is cut to the longest possible username and loses NUL characters, which
    PostgreSQL cannot store: a hostile value is still counted, and never turns a failed sign-in into
    a server error.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username") if source else None
    if username is None:
        return None
    return str(username).replace("\x00", "")[:USERNAME_LIMIT]
