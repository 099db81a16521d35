"""Production: PostgreSQL, Redis, Celery worker and beat, behind HTTPS."""

import os

from django.core.exceptions import ImproperlyConfigured

from escalation.settings.required import production_problems, refusal_message

# Before anything else: one message naming every setting that is missing or wrong.
if problems := production_problems(os.environ):
    raise ImproperlyConfigured(refusal_message(problems))

from escalation.observability.logs import logging_config  # noqa: E402
from escalation.settings.base import *  # noqa: E402,F401,F403
from escalation.settings.base import LOG_LEVEL, env_bool  # noqa: E402

DEBUG = env_bool("DEBUG", False)
#: Production settings: `load_demo` refuses to run and deadlines must be swept (escalation/checks.py).
PRODUCTION = True
# One JSON object per line, for the log collector; LOG_FORMAT=text for reading by eye.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# "__Host-" cookies are sent over HTTPS only, to this host only, for the whole site: no subdomain can set them.
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Error reports, only when asked for, with personal data scrubbed (escalation/observability/sentry.py).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from escalation.observability.sentry import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE"),
    )
