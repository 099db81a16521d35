"""Response headers and production settings: a strict CSP, no framing, HTTPS only, `check --deploy` clean."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.auth_helpers import login

ROOT = Path(settings.BASE_DIR)
EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


#: Set by the test run itself (the browser tests allow sync calls from async code), never in production.
NOT_FROM_PRODUCTION = {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}


def production_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in NOT_FROM_PRODUCTION}
    database_url = env.get("DATABASE_URL", "")
    env.update(
        DJANGO_SETTINGS_MODULE="escalation.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.org",
        # Production runs on PostgreSQL only; these probes never reach the database when the run is on SQLite.
        DATABASE_URL=database_url if database_url.startswith("postgres") else "postgres://nobody@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
        SITE_URL="https://example.org",
        DEFAULT_FROM_EMAIL="escalations@example.org",
        EMAIL_HOST="mail.example.org",
    )
    env.update(extra)
    return env


@pytest.mark.parametrize("url_name", ["login", "account"])
def test_every_page_has_a_strict_content_security_policy(bcssp, url_name):
    client = Client()
    login(client, bcssp.business_manager)
    if url_name == "login":
        client = Client()
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    directives = csp(response)
    for name, value in EXPECTED_CSP.items():
        assert directives[name] == value, name
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert "*" not in header


def test_error_pages_carry_the_policy_too(bcssp):
    client = Client()
    client.force_login(bcssp.teacher)
    response = client.get("/disputes/NOPE-2026-0001/audit/")
    assert response.status_code == 404
    assert csp(response)["script-src"] == "'self'"


def test_no_framing_no_sniffing_no_referrer_leak(db):
    response = Client().get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript:", re.IGNORECASE)


def served_templates() -> list[Path]:
    """Templates rendered into web pages (the PDF record templates are not served, so not under the CSP)."""
    return sorted(path for path in (ROOT / "templates").rglob("*.html") if "records" not in path.parts)


@pytest.mark.parametrize("path", served_templates(), ids=lambda path: str(path.relative_to(ROOT / "templates")))
def test_no_template_needs_inline_script_or_style(path):
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", path.read_text(), flags=re.DOTALL)
    for pattern in (INLINE_SCRIPT, STYLE_ATTRIBUTE, STYLE_ELEMENT, EVENT_HANDLER, JAVASCRIPT_URL):
        match = pattern.search(source)
        assert match is None, f"{path.name}: {match.group(0)!r} is blocked by the Content Security Policy"


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


PRODUCTION_PROBE = """
import json
import django
from django.conf import settings
django.setup()
from django.test import Client, override_settings
# Without collectstatic there is no manifest: serve static URLs unhashed for this probe only.
storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    client = Client()
    plain = client.get("/sign-in/")
    secure = client.get("/sign-in/", secure=True)
cookie = secure.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csp": secure.get("Content-Security-Policy", ""),
    "frame": secure.get("X-Frame-Options", ""),
    "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
    "session_cookie_name": settings.SESSION_COOKIE_NAME,
    "session_cookie_age": settings.SESSION_COOKIE_AGE,
    "save_every_request": settings.SESSION_SAVE_EVERY_REQUEST,
    "debug": settings.DEBUG,
    "hashers": settings.PASSWORD_HASHERS,
}))
"""


def test_production_serves_https_only_with_hsts_and_secure_cookies():
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=production_env(ALLOWED_HOSTS="testserver"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["plain_status"] == 301
    assert seen["plain_location"].startswith("https://")
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in seen["csp"]
    assert seen["frame"] == "DENY"
    assert seen["csrf_cookie_secure"]
    assert seen["csrf_cookie_name"].startswith("__Host-")
    assert seen["session_cookie_secure"] and seen["session_cookie_httponly"]
    assert seen["session_cookie_name"].startswith("__Host-")
    assert seen["session_cookie_age"] <= 60 * 60 and seen["save_every_request"]
    assert seen["debug"] is False
    assert seen["hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY: not set" in result.stderr
