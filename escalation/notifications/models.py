"""The notifications outbox."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """An outbox row: written with the change that causes it, delivered after commit."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failing, will retry"
        UNDELIVERABLE = "undeliverable", "Address refused"
        NOT_SENT = "not_sent", "No e-mail address"

    dispute = models.ForeignKey("escalation.Dispute", on_delete=models.CASCADE, related_name="notifications")
    # Found through the (recipient, read_at) index below, which starts with it: an outbox row is written for every
    # person told, so each index of this table is written thousands of times a busy minute.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    event = models.CharField(max_length=30)
    role = models.CharField(max_length=30, blank=True, help_text="The role it was sent to the recipient as.")
    deadline = models.ForeignKey(
        "escalation.Deadline", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    headline = models.CharField(max_length=300, help_text="No personal data: it may go by e-mail.")
    message = models.TextField(blank=True, help_text="No personal data: it may go by e-mail.")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(max_length=20, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # Used by the delivery task (escalation.notifications) to find e-mails to send.
            models.Index(
                fields=["email_next_attempt_at"],
                name="notification_email_due",
                condition=Q(email_status__in=["pending", "failed"]),
            ),
            # The e-mails the mail server refused, on a business manager's home page: a handful among millions sent.
            models.Index(
                fields=["dispute"], name="notification_undeliverable", condition=Q(email_status="undeliverable")
            ),
        ]
