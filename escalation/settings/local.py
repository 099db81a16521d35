"""The embedded default: SQLite, deadlines swept in-process, e-mails written to files under var/mail."""

import os

from escalation.settings.base import *  # noqa: F401,F403
from escalation.settings.base import BASE_DIR

# Files rather than the console, so the demo sign-ins printed by `make run` stay readable.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
