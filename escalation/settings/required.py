"""What production needs from the environment, checked all at once so one message names everything missing.

`production.py` calls `production_problems(os.environ)` before anything else and refuses to start while it
returns anything. The rules are here, as a plain function of the environment, so tests can try many.
"""

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

#: Keys published in this repository or its history: whoever has read the code has these.
KNOWN_SECRET_KEYS = frozenset(
    {
        "dev-only-insecure-key-change-me-in-production-please-0123456789",
        "compose-only-not-secret-change-me-0123456789abcdefghijklmnopqrstuvwxyz",
        "test-settings-only-not-a-secret-" + "x" * 32,
    }
)
MIN_SECRET_KEY_LENGTH = 50
NOTIFY_BACKEND = "escalation.notifications.notify.NotifyEmailBackend"
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
#: Backends that never deliver an e-mail: fine on a laptop, silent loss in production.
NON_SENDING_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
TRUE = {"1", "true", "yes", "on"}


def _secret_key(value: str) -> str | None:
    if not value:
        return "not set (make one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    if value in KNOWN_SECRET_KEYS or value.startswith("django-insecure-"):
        return "is a published example key; make a new one"
    if len(value) < MIN_SECRET_KEY_LENGTH or len(set(value)) < 5:
        return f"too short or too plain: use at least {MIN_SECRET_KEY_LENGTH} random characters"
    return None


def _url(value: str, schemes: set[str], example: str) -> str | None:
    if not value:
        return f"not set (for example {example})"
    if urlsplit(value).scheme not in schemes:
        return f"must start with {' or '.join(sorted(f'{scheme}://' for scheme in schemes))} (for example {example})"
    return None


def _site_url(value: str) -> str | None:
    if not value:
        return "not set: the address people open, used in e-mail links (for example https://escalations.example.org)"
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return None  # a trial on this machine only: nobody else can follow such a link
    return "must be an https:// address (http:// only for localhost)"


def _allowed_hosts(value: str) -> str | None:
    hosts = [host.strip() for host in value.split(",") if host.strip()]
    if not hosts:
        return "not set: the host names the site answers to, comma-separated (for example escalations.example.org)"
    if "*" in hosts:
        return "must name the hosts, not '*'"
    return None


def _email(env: Mapping[str, str]) -> list[str]:
    backend = env.get("EMAIL_BACKEND") or SMTP_BACKEND
    problems = []
    if backend in NON_SENDING_BACKENDS:
        problems.append(f"EMAIL_BACKEND: {backend} sends no e-mail; leave it unset for SMTP, or use GOV.UK Notify")
    sender = env.get("DEFAULT_FROM_EMAIL", "")
    if not sender or "@" not in sender or sender.endswith("@localhost"):
        problems.append(
            "DEFAULT_FROM_EMAIL: not set: the address e-mails come from (for example escalations@example.org)"
        )
    if backend == SMTP_BACKEND:
        if not env.get("EMAIL_HOST"):
            problems.append("EMAIL_HOST: not set: the mail relay's host name")
        if env.get("EMAIL_USE_TLS", "").lower() in TRUE and env.get("EMAIL_USE_SSL", "").lower() in TRUE:
            problems.append("EMAIL_USE_TLS, EMAIL_USE_SSL: set one, not both (STARTTLS, usually port 587, or TLS, 465)")
        if bool(env.get("EMAIL_HOST_USER")) != bool(env.get("EMAIL_HOST_PASSWORD")):
            problems.append("EMAIL_HOST_USER, EMAIL_HOST_PASSWORD: set both or neither")
    if backend == NOTIFY_BACKEND:
        if len(env.get("NOTIFY_API_KEY", "")) < 74:
            problems.append("NOTIFY_API_KEY: not set or not a whole GOV.UK Notify API key")
        if not env.get("NOTIFY_TEMPLATE_ID"):
            problems.append("NOTIFY_TEMPLATE_ID: not set: the id of the Notify e-mail template ((subject)), ((body))")
    return problems


def _trusted_proxies(value: str) -> str | None:
    for entry in (part.strip() for part in value.split(",")):
        if not entry:
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return f"{entry!r} is not an address or network (for example 10.0.0.0/8)"
    return None


def production_problems(env: Mapping[str, str]) -> list[str]:
    """Every setting production is missing or has wrong, one line each: "NAME: what is wrong"."""
    checks = {
        "SECRET_KEY": _secret_key(env.get("SECRET_KEY", "")),
        "DATABASE_URL": _url(
            env.get("DATABASE_URL", ""), {"postgres", "postgresql"}, "postgres://USER:PASSWORD@HOST:5432/NAME"
        ),
        "REDIS_URL": _url(env.get("REDIS_URL", ""), {"redis", "rediss"}, "redis://HOST:6379/0"),
        "ALLOWED_HOSTS": _allowed_hosts(env.get("ALLOWED_HOSTS", "")),
        "SITE_URL": _site_url(env.get("SITE_URL", "")),
        "TRUSTED_PROXIES": _trusted_proxies(env.get("TRUSTED_PROXIES", "")),
        "DEBUG": "must be off in production" if env.get("DEBUG", "").lower() in TRUE else None,
    }
    problems = [f"{name}: {problem}" for name, problem in checks.items() if problem]
    return problems + _email(env)


def refusal_message(problems: list[str]) -> str:
    lines = "\n".join(f"  - {problem}" for problem in problems)
    return (
        f"Production cannot start: {len(problems)} setting(s) missing or wrong. Set these environment variables "
        f"(README.md, Production, Configuration lists every one):\n{lines}"
    )
