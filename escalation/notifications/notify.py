"""GOV.UK Notify as the way e-mails leave the app, in place of an SMTP relay.

Set EMAIL_BACKEND=escalation.notifications.notify.NotifyEmailBackend, NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID.
The template is the one Notify e-mail template every notification goes through, with the subject line
`((subject))` and the body `((body))`: the app fills them with what it would have put in the e-mail, which is
the dispute's reference, the kind of update and a link, never anything about the people involved.

Notify's refusals are handed to the delivery code as the SMTP errors it already understands: an address
Notify calls invalid is refused for good, one it will not send to for now (a trial key's team-only limit) is
tried again later, and anything else (a bad key or template, rate limits, Notify unavailable) is a temporary
failure that waits for the next run.
"""

import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"


def _refusal(recipient: str, error: APIError) -> smtplib.SMTPException:
    text = str(error.message)
    if error.status_code == 400 and "email_address" in text:
        return smtplib.SMTPRecipientsRefused({recipient: (550, f"GOV.UK Notify: {text}")})
    if error.status_code == 400 and "recipient" in text:
        return smtplib.SMTPRecipientsRefused({recipient: (450, f"GOV.UK Notify: {text}")})
    return smtplib.SMTPResponseException(451, f"GOV.UK Notify answered {error.status_code}: {text}")


class NotifyEmailBackend(BaseEmailBackend):
    """A Django e-mail backend that sends each message through one GOV.UK Notify template."""

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.template_id = settings.NOTIFY_TEMPLATE_ID
        self.client = NotificationsAPIClient(
            settings.NOTIFY_API_KEY,
            base_url=getattr(settings, "NOTIFY_BASE_URL", "") or NOTIFY_BASE_URL,
            timeout=settings.EMAIL_TIMEOUT,
        )

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            try:
                self._send(message)
            except smtplib.SMTPException:
                if not self.fail_silently:
                    raise
            else:
                sent += 1
        return sent

    def _send(self, message: EmailMessage) -> None:
        personalisation = {"subject": str(message.subject), "body": str(message.body)}
        reference = message.extra_headers.get("X-Notification-Id")
        for recipient in message.recipients():
            try:
                self.client.send_email_notification(
                    email_address=recipient,
                    template_id=self.template_id,
                    personalisation=personalisation,
                    reference=reference,
                )
            except APIError as error:
                raise _refusal(recipient, error) from error
