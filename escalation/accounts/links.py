"""Single-use links e-mailed to a person: an invitation, or a two-factor set-up or recovery link.

One way for all of them: a random secret goes in the link and only its SHA-256 is stored, so the database alone
opens nothing; the e-mail is sent after commit, and a mail server that refuses is logged, not raised (the person
can be sent a new link).
"""

import hashlib
import logging
import secrets

from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A new secret for a link, and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def send_link(*, to: str, subject: str, body: str, what: str) -> None:
    """E-mails `body` (which holds the link) to `to`; `what` names the link in the log if it cannot be sent."""
    message = EmailMessage(subject=subject, body=body, to=[to], headers={"Auto-Submitted": "auto-generated"})
    try:
        message.send()
    except OSError:
        logger.warning("the %s could not be e-mailed now; a new link can be sent", what)
