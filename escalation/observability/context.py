"""The request id and the signed-in user's id, for every log line and error report a request causes.

`RequestIdMiddleware` goes first in MIDDLEWARE: it takes the X-Request-ID a trusted proxy sent (so one id
follows the request from the proxy's log to ours) or makes one, and returns it on the response. The user's
id (a number, never a name) is added once authentication has run.
"""

import contextvars
import re
import uuid

from django.http import HttpRequest, HttpResponse

from escalation.observability.proxies import from_trusted_proxy

REQUEST_ID_HEADER = "X-Request-ID"
#: What a proxy's id may look like: short, and nothing that could forge a log line or a header.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)


def incoming_request_id(request: HttpRequest) -> str:
    """The trusted proxy's id for this request, or a new one."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    if given and _ACCEPTABLE_ID.fullmatch(given) and from_trusted_proxy(request):
        return given
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = incoming_request_id(request)
        id_token = request_id.set(request.request_id)
        user_token = user_id.set(None)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(id_token)
            user_id.reset(user_token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # Every middleware has run by now, so the user is known (and was already looked up for the pages).
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.log_user_id = user.pk
            user_id.set(user.pk)
