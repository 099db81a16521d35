"""Where the account pages send someone next: only ever a path on this site."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def is_local_path(target: str) -> bool:
    """A path on this site: it starts with one slash (a relative or scheme-relative address never passes)."""
    return target.startswith("/") and not target.startswith("//")


def safe_next(request: HttpRequest, default: str = "home") -> str:
    """The `next` the request carries when it is a path on this site, otherwise the `default` page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target
        and is_local_path(target)
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return reverse(default)
