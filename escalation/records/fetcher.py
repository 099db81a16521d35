"""The only way WeasyPrint may load anything: the app's own static files and `data:` URIs.

WeasyPrint's default fetcher reads `file://` and any URL and follows redirects, which turns a record with
hostile text in it into local file disclosure or server-side request forgery. This fetcher never opens a
network connection or a path outside the static directories, whatever the document asks for.

Records are rendered with `BASE_URL` as their base, so a template's `href="records/print.css"` becomes
`https://app-static.invalid/static/records/print.css`. The `.invalid` name can never resolve (RFC 2606): it
is only a key that this fetcher maps to a static file through Django's staticfiles finders.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_HOST = "app-static.invalid"
STATIC_PREFIX = "/static/"
BASE_URL = f"https://{STATIC_HOST}{STATIC_PREFIX}"

#: The kinds of file a record may use: its stylesheet, fonts and images. Nothing else is served.
CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class RefusedURL(ValueError):
    """A URL the record renderer will not load."""


def _static_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)] if settings.STATIC_ROOT else []
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, tuple | list) else entry))
    roots += [Path(config.path) / "static" for config in apps.get_app_configs()]
    return [root.resolve() for root in roots]


def static_file_for(url: str) -> Path:
    """The static file a record URL names; RefusedURL for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.netloc != STATIC_HOST or parts.query or parts.fragment:
        raise RefusedURL(f"not one of the app's static files: {url[:200]}")
    if not parts.path.startswith(STATIC_PREFIX):
        raise RefusedURL(f"not one of the app's static files: {url[:200]}")
    relative = unquote(parts.path[len(STATIC_PREFIX) :])
    segments = relative.split("/")
    if not relative or "\\" in relative or "\x00" in relative or any(s in {"", ".", ".."} for s in segments):
        raise RefusedURL(f"not a plain static path: {url[:200]}")
    suffix = Path(relative).suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise RefusedURL(f"records do not load {suffix or 'extension-less'} files")
    try:
        found = finders.find(relative)
    except SuspiciousFileOperation as error:
        raise RefusedURL(str(error)) from error
    candidates = [Path(found)] if found else []
    if settings.STATIC_ROOT:
        candidates.append(Path(settings.STATIC_ROOT) / relative)
    roots = _static_roots()
    for candidate in candidates:
        resolved = candidate.resolve()
        inside = any(resolved.is_relative_to(root) for root in roots)
        if inside and resolved.is_file() and resolved.suffix.lower() in CONTENT_TYPES:
            return resolved
    raise RefusedURL(f"no such static file: {relative[:200]}")


class StaticFilesOnlyFetcher(URLFetcher):
    """Serves the app's static files and `data:` URIs; refuses `file:`, `http(s):` and everything else."""

    def __init__(self) -> None:
        # The parent only ever handles data: URIs here; the protocol list is a second lock on that door.
        super().__init__(timeout=1, allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if urlsplit(url).scheme.lower() == "data":
            return super().fetch(url, headers)
        path = static_file_for(url)
        content_type = CONTENT_TYPES[path.suffix.lower()]
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": content_type})
