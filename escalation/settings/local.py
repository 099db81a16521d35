"""The embedded default: SQLite, deadlines swept in-process, e-mails written to files under var/mail."""

import os
import secrets
from pathlib import Path

from escalation.settings.base import *  # noqa: F401,F403
from escalation.settings.base import BASE_DIR


def machine_secret_key(path: Path) -> str:
    """This machine's own key, made on first use and kept in var/ (never in the repository)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # several processes starting at once: the first key written wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or machine_secret_key(BASE_DIR / "var" / "secret_key")

# Files rather than the console, so the demo sign-ins printed by `make run` stay readable.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
