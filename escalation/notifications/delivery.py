"""E-mail delivery from the notifications outbox.

Each outbox row is sent at most once by whoever claims it: the claim is a guarded update that pushes
the row's next attempt a lease into the future, so a second worker (or a message Redis hands out again)
finds nothing to do until the lease runs out. A worker killed after claiming leaves the row to be
claimed again when the lease ends: nothing is lost. The one window left is a crash between the mail
server accepting a message and the row being marked sent, which would send that one message twice.

A failure the server calls temporary, a timeout or an unreachable server leaves the row queued with a
back-off; a refusal the server calls permanent (5xx), or too many attempts, marks the row undeliverable
and tells the partnership's business manager. E-mails carry no personal data: the dispute's reference,
what kind of update it is, and a link; everything else is behind sign-in.
"""

import datetime
import logging
import smtplib
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse

from agencies.models import Role
from escalation.notifications.models import Notification
from escalation.notifications.outbox import queue

logger = logging.getLogger(__name__)

Status = Notification.EmailStatus
SENDABLE = (Status.PENDING, Status.FAILED)
UNDELIVERABLE_EVENT = "email_undeliverable"

#: What the e-mail says happened; never more than this.
SUBJECTS = {
    "deadline_near": "a deadline is near",
    "deadline_breached": "a deadline has been missed",
    "no_response": "no response was received in time",
    "deadline_changed": "a deadline has changed",
    "raised": "a professional disagreement has been raised",
    "stage_entered": "the dispute has moved to another stage",
    "resolved_at_stage": "the dispute has been resolved",
    "escalation_proposed": "an escalation is waiting for approval",
    "escalation_declined": "an escalation request was declined",
    "withdrawn": "the dispute has been withdrawn",
    "unfilled_role": "a notification could not reach a role the policy names",
    "record_required": "a written record is ready to read in the app",
    UNDELIVERABLE_EVENT: "an e-mail could not be delivered",
}


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # sent, done (nothing to do), not_due, failed, undeliverable, no_address
    retry_at: datetime.datetime | None = None
    server_unavailable: bool = False


def backoff(attempts: int) -> datetime.timedelta:
    """How long to wait after the given number of failed attempts: doubling, capped."""
    seconds = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, settings.EMAIL_RETRY_MAX_SECONDS))


def _due(now: datetime.datetime) -> Q:
    return Q(email_status__in=SENDABLE) & (Q(email_next_attempt_at__isnull=True) | Q(email_next_attempt_at__lte=now))


def claim(notification_id: int, now: datetime.datetime) -> bool:
    """Take the row for one attempt; False if it is sent, given up, or someone else holds it."""
    lease = datetime.timedelta(seconds=settings.EMAIL_DELIVERY_LEASE_SECONDS)
    return (
        Notification.objects.filter(_due(now), pk=notification_id).update(
            email_next_attempt_at=now + lease, email_attempts=F("email_attempts") + 1
        )
        == 1
    )


def dispute_link(reference: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("dispute", kwargs={"reference": reference})


def build_email(notification: Notification) -> EmailMessage:
    reference = notification.dispute.reference
    what = SUBJECTS.get(notification.event, "there is an update that needs your attention")
    body = (
        f"A professional disagreement you are involved in needs your attention: {what}.\n\n"
        f"Reference: {reference}\n"
        f"Open it here (you will be asked to sign in): {dispute_link(reference)}\n\n"
        "To protect the people involved, this e-mail holds no details about them: everything is in the app.\n\n"
        f"Notification {notification.pk}\n"
    )
    return EmailMessage(
        subject=f"{reference}: {what}",
        body=body,
        to=[notification.recipient.email],
        headers={"X-Notification-Id": str(notification.pk), "Auto-Submitted": "auto-generated"},
    )


def _classify(exc: OSError) -> tuple[bool, bool, str]:
    """(permanent, server unavailable, reason) for a failed send."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        detail = "; ".join(f"{code} {_text(message)}" for code, message in answers)
        permanent = bool(answers) and all(500 <= code < 600 for code, _ in answers)
        return permanent, False, f"address refused by the mail server: {detail}"
    if isinstance(exc, smtplib.SMTPDataError):
        return (
            500 <= exc.smtp_code < 600,
            False,
            f"message refused by the mail server: {exc.smtp_code} {_text(exc.smtp_error)}",
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return False, True, f"mail server error: {exc.smtp_code} {_text(exc.smtp_error)}"
    if _timed_out(exc):
        return False, True, "the mail server did not answer in time"
    return False, True, f"mail server unavailable: {type(exc).__name__}: {exc}"


def _timed_out(exc: BaseException | None) -> bool:
    # smtplib turns a timeout while waiting for a reply into SMTPServerDisconnected, keeping it as the context.
    while exc is not None:
        if isinstance(exc, TimeoutError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def _tell_business_manager(notification: Notification, now: datetime.datetime) -> None:
    if notification.event == UNDELIVERABLE_EVENT:
        return  # never a notice about a notice: it could go on for ever
    queue(
        notification.dispute,
        UNDELIVERABLE_EVENT,
        [Role.BUSINESS_MANAGER],
        f"{notification.dispute.reference}: an e-mail could not be delivered",
        now,
        message="The mail server refused an e-mail notification to one of the people in this dispute. They can "
        "still see it in the app. The list of undeliverable e-mails shows whose address to check.",
    )


def _record_failure(notification: Notification, exc: OSError, now: datetime.datetime) -> DeliveryResult:
    permanent, server_unavailable, reason = _classify(exc)
    logger.warning(
        "e-mail for notification %s failed (attempt %s): %s", notification.pk, notification.email_attempts, reason
    )
    row = Notification.objects.filter(pk=notification.pk)
    if permanent or notification.email_attempts >= settings.EMAIL_MAX_ATTEMPTS:
        if not permanent:
            reason = f"gave up after {notification.email_attempts} attempts; last: {reason}"
        with transaction.atomic():
            row.update(email_status=Status.UNDELIVERABLE, email_next_attempt_at=None, email_error=reason[:500])
            _tell_business_manager(notification, now)
        return DeliveryResult("undeliverable")
    retry_at = now + backoff(notification.email_attempts)
    row.update(email_status=Status.FAILED, email_next_attempt_at=retry_at, email_error=reason[:500])
    return DeliveryResult("failed", retry_at, server_unavailable)


def deliver(notification_id: int, *, now: datetime.datetime) -> DeliveryResult:
    """Send one outbox row's e-mail if it is due and nobody else is sending it."""
    if not claim(notification_id, now):
        current = Notification.objects.filter(pk=notification_id).values("email_status", "email_next_attempt_at")
        current = current.first()
        if current is None or current["email_status"] not in SENDABLE:
            return DeliveryResult("done")
        return DeliveryResult("not_due", current["email_next_attempt_at"])
    notification = Notification.objects.select_related("recipient", "dispute").get(pk=notification_id)
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        Notification.objects.filter(pk=notification_id).update(
            email_status=Status.NOT_SENT,
            email_next_attempt_at=None,
            email_error="no e-mail address or account inactive",
        )
        return DeliveryResult("no_address")
    try:
        build_email(notification).send(fail_silently=False)
    except OSError as exc:  # smtplib's errors, refused connections and timeouts are all OSErrors
        return _record_failure(notification, exc, now)
    Notification.objects.filter(pk=notification_id).update(
        email_status=Status.SENT, email_sent_at=now, email_next_attempt_at=None, email_error=""
    )
    return DeliveryResult("sent")


def due_for_delivery(now: datetime.datetime) -> QuerySet[Notification]:
    # Uses the partial index notification_email_due.
    return Notification.objects.filter(_due(now)).order_by("email_next_attempt_at", "id")


def deliver_due(*, now: datetime.datetime, limit: int = 100) -> dict[str, int]:
    """Send the e-mails that are due; stop early when the mail server is unreachable."""
    counts: Counter[str] = Counter()
    for notification_id in due_for_delivery(now).values_list("id", flat=True)[:limit]:
        result = deliver(notification_id, now=now)
        counts[result.status] += 1
        if result.server_unavailable:
            break  # the rest wait for the next run rather than each waiting for a timeout
    return dict(counts)


def undeliverable_for_partnership(partnership) -> QuerySet[Notification]:
    """E-mails given up on, for the partnership's business manager to follow up."""
    return (
        Notification.objects.filter(dispute__partnership=partnership, email_status=Status.UNDELIVERABLE)
        .select_related("recipient", "dispute")
        .order_by("-created_at", "-id")
    )
