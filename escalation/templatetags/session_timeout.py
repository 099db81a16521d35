"""What the timeout warning (templates/includes/timeout_warning.html) needs to know about the session."""

from django import template
from django.conf import settings

register = template.Library()

#: GOV.UK's timeout warning appears a few minutes before the session ends; never before half of it has passed.
WARN_BEFORE_SECONDS = 5 * 60


@register.simple_tag
def session_timeout() -> dict[str, int]:
    """{"session": idle seconds before the session ends, "warn": seconds before the end the warning shows}."""
    session = int(settings.SESSION_COOKIE_AGE)
    return {"session": session, "warn": min(WARN_BEFORE_SECONDS, session // 2)}
