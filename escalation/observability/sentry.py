"""Error reports to Sentry, when SENTRY_DSN is set, with the personal data taken out before they leave.

Sentry is told not to collect personal data (no cookies, no user's e-mail, name or address, no request
bodies, no local variables in stack frames); `scrub_event` removes whatever would still get through: request
bodies, cookies, query strings and headers other than a few harmless ones, everything about the user but the
id, the variables of each frame, the data of each breadcrumb, and e-mail addresses in any message.
"""

from typing import Any

from escalation.observability.logs import mask_email_addresses

#: Request headers kept in a report: nothing that identifies a person or a session.
HEADERS_KEPT = {"host", "user-agent", "accept", "accept-language", "content-type", "content-length", "x-request-id"}


def _mask(value: Any) -> Any:
    return mask_email_addresses(value) if isinstance(value, str) else value


def _scrub_request(request: dict) -> None:
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        request["headers"] = {name: value for name, value in headers.items() if name.lower() in HEADERS_KEPT}
    if isinstance(request.get("url"), str):
        request["url"] = request["url"].split("?", 1)[0]


def _scrub_exception(exception: dict) -> None:
    for value in exception.get("values") or []:
        value["value"] = _mask(value.get("value"))
        for frame in (value.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)


def _scrub_breadcrumbs(breadcrumbs: Any) -> None:
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in values or []:
        crumb.pop("data", None)
        crumb["message"] = _mask(crumb.get("message"))


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send: the event without personal data."""
    if isinstance(event.get("request"), dict):
        _scrub_request(event["request"])
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    if isinstance(event.get("exception"), dict):
        _scrub_exception(event["exception"])
    for thread in (event.get("threads") or {}).get("values") or []:
        for frame in (thread.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    if "breadcrumbs" in event:
        _scrub_breadcrumbs(event["breadcrumbs"])
    if isinstance(event.get("logentry"), dict):
        entry = event["logentry"]
        entry["message"] = _mask(entry.get("message"))
        entry["formatted"] = _mask(entry.get("formatted"))
        entry.pop("params", None)
    if isinstance(event.get("message"), str):
        event["message"] = mask_email_addresses(event["message"])
    event.pop("extra", None)
    return event


def init_sentry(dsn: str, *, environment: str, release: str | None = None) -> None:
    """Starts reporting errors from Django and Celery to Sentry; call only when a DSN is set."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        traces_sample_rate=0,
    )
