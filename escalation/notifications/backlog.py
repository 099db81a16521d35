"""How far e-mail delivery is behind: the outbox rows still to send and the age of the oldest (for /readyz)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min

from escalation.notifications.models import Notification

#: E-mails not sent yet and not given up on: waiting for their first try, or failing and to be retried.
UNSENT = [Notification.EmailStatus.PENDING, Notification.EmailStatus.FAILED]


@dataclass(frozen=True)
class EmailBacklog:
    unsent: int
    oldest_unsent_seconds: float | None


def email_backlog(*, now: datetime.datetime) -> EmailBacklog:
    """Counts and an age only: nothing about who the e-mails are for or what they say."""
    figures = Notification.objects.filter(email_status__in=UNSENT).aggregate(
        unsent=Count("id"), oldest=Min("created_at")
    )
    oldest = figures["oldest"]
    age = None if oldest is None else max((now - oldest).total_seconds(), 0.0)
    return EmailBacklog(unsent=figures["unsent"], oldest_unsent_seconds=age)
