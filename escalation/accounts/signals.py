"""Each new session carries the person's session token (see `sessions`)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from escalation.accounts.sessions import remember_token


@receiver(user_logged_in, dispatch_uid="accounts.remember_session_token")
def _remember_session_token(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        remember_token(request, user)
