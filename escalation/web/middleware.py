"""Request-wide helpers for the pages."""

from django.http import HttpRequest, HttpResponse

from policies.loading import request_scope


class PolicyRuntimeMiddleware:
    """Reads each person's roles once per request, however many questions the page asks the policy runtime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            return self.get_response(request)
