"""E-mail delivery from the outbox through a real SMTP conversation (an in-process aiosmtpd catcher)."""

import datetime
from unittest import mock

import pytest
from kombu.exceptions import OperationalError

from escalation import tasks
from escalation.notifications import outbox
from escalation.notifications.delivery import (
    claim,
    deliver,
    deliver_due,
    undeliverable_for_partnership,
)
from escalation.notifications.models import Notification
from tests.conftest import london
from tests.fixtures_services import free_port

T = london(2026, 3, 4, 9)
Status = Notification.EmailStatus


@pytest.fixture
def smtp(smtp_catcher, settings):
    for name, value in smtp_catcher.settings(timeout=1).items():
        setattr(settings, name, value)
    settings.SITE_URL = "https://escalations.example.org"
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    settings.EMAIL_RETRY_MAX_SECONDS = 3600
    settings.EMAIL_DELIVERY_LEASE_SECONDS = 300
    settings.EMAIL_MAX_ATTEMPTS = 20
    return smtp_catcher


@pytest.fixture
def dispute(bcssp):
    raised = bcssp.raise_dispute(now=T - datetime.timedelta(days=1))
    Notification.objects.all().delete()  # each test makes the outbox rows it needs
    return raised


def outbox_row(dispute, user, event="deadline_breached", at=T) -> Notification:
    return Notification.objects.create(
        dispute=dispute,
        recipient=user,
        event=event,
        headline=f"{dispute.reference}: deadline missed (Stage 1: within 2 working days)",
        created_at=at,
        email_next_attempt_at=at,
        email_status=Status.PENDING,
    )


class TestSending:
    def test_sent_once_with_the_reference_and_a_link_and_nothing_personal(self, smtp, bcssp, dispute):
        row = outbox_row(dispute, bcssp.team_manager)
        assert deliver(row.pk, now=T).status == "sent"
        assert deliver(row.pk, now=T + datetime.timedelta(hours=1)).status == "done"
        assert smtp.handler.counts() == {str(row.pk): 1}
        (message,) = smtp.handler.for_notification(row.pk)
        assert message["To"] == bcssp.team_manager.email
        assert dispute.reference in message["Subject"]
        body = message.get_payload(decode=True).decode()
        assert f"https://escalations.example.org/disputes/{dispute.reference}/" in body
        whole = message.as_string()
        personal = [
            dispute.subject.name,
            "2015",
            dispute.description[:30],
            bcssp.school.name,
            bcssp.social_care.name,
            bcssp.team_manager.first_name,
            bcssp.team_manager.last_name,
            "Stage 1: within 2 working days",
        ]
        assert [text for text in personal if text in whole] == []
        row.refresh_from_db()
        assert (row.email_status, row.email_attempts, row.email_sent_at) == (Status.SENT, 1, T)
        assert row.email_next_attempt_at is None

    def test_a_row_claimed_by_another_sender_is_left_alone_until_its_lease_ends(self, smtp, bcssp, dispute):
        row = outbox_row(dispute, bcssp.team_manager)
        assert claim(row.pk, T)  # another worker took it, then died
        result = deliver(row.pk, now=T + datetime.timedelta(seconds=10))
        assert result.status == "not_due" and result.retry_at == T + datetime.timedelta(seconds=300)
        assert smtp.handler.counts() == {}
        assert deliver(row.pk, now=T + datetime.timedelta(seconds=300)).status == "sent"
        assert smtp.handler.counts() == {str(row.pk): 1}
        row.refresh_from_db()
        assert row.email_attempts == 2

    def test_nobody_to_send_to(self, smtp, bcssp, dispute):
        row = outbox_row(dispute, bcssp.team_manager)
        bcssp.team_manager.email = ""
        bcssp.team_manager.save()
        assert deliver(row.pk, now=T).status == "no_address"
        row.refresh_from_db()
        assert row.email_status == Status.NOT_SENT
        assert smtp.handler.counts() == {}

    def test_the_delivery_run_sends_what_is_due_oldest_first(self, smtp, bcssp, dispute):
        later = outbox_row(dispute, bcssp.head, at=T + datetime.timedelta(minutes=5))
        due = [outbox_row(dispute, user) for user in (bcssp.team_manager, bcssp.senior)]
        assert deliver_due(now=T) == {"sent": 2}
        assert set(smtp.handler.counts()) == {str(row.pk) for row in due}
        assert tasks.deliver_due.run() == {"sent": 1}  # the task reads the clock: now is long after T
        assert smtp.handler.counts()[str(later.pk)] == 1


class TestFailures:
    def test_a_permanent_refusal_is_marked_and_shown_to_the_business_manager(self, smtp, bcssp, dispute):
        row = outbox_row(dispute, bcssp.team_manager)
        smtp.handler.refuse.add(bcssp.team_manager.email)
        assert deliver(row.pk, now=T).status == "undeliverable"
        row.refresh_from_db()
        assert row.email_status == Status.UNDELIVERABLE and "550" in row.email_error
        assert list(undeliverable_for_partnership(bcssp.partnership)) == [row]
        notice = Notification.objects.get(event="email_undeliverable")
        assert notice.recipient == bcssp.business_manager and notice.dispute == dispute
        assert bcssp.team_manager.email not in notice.headline + notice.message
        assert deliver_due(now=T + datetime.timedelta(days=1)).get("sent") == 1  # the notice; not the refused one
        assert str(row.pk) not in smtp.handler.counts()

    def test_a_temporary_refusal_backs_off_and_is_retried(self, smtp, bcssp, dispute):
        row = outbox_row(dispute, bcssp.team_manager)
        smtp.handler.temporary[bcssp.team_manager.email] = 2
        first = deliver(row.pk, now=T)
        assert first.status == "failed" and first.retry_at == T + datetime.timedelta(seconds=60)
        row.refresh_from_db()
        assert row.email_status == Status.FAILED and "451" in row.email_error
        assert deliver(row.pk, now=T + datetime.timedelta(seconds=59)).status == "not_due"
        second = deliver(row.pk, now=T + datetime.timedelta(seconds=60))
        assert second.status == "failed" and second.retry_at == T + datetime.timedelta(seconds=60 + 120)
        assert deliver(row.pk, now=second.retry_at).status == "sent"
        row.refresh_from_db()
        assert (row.email_status, row.email_attempts, row.email_error) == (Status.SENT, 3, "")
        assert smtp.handler.counts() == {str(row.pk): 1}

    def test_an_unreachable_server_keeps_rows_queued_and_ends_the_run_early(self, smtp, settings, bcssp, dispute):
        rows = [outbox_row(dispute, user) for user in (bcssp.team_manager, bcssp.senior, bcssp.head)]
        settings.EMAIL_PORT = free_port()  # nothing listens there
        assert deliver_due(now=T) == {"failed": 1}
        states = dict(Notification.objects.values_list("id", "email_attempts"))
        assert sorted(states.values()) == [0, 0, 1]
        failed = Notification.objects.get(email_attempts=1)
        assert failed.email_status == Status.FAILED and "unavailable" in failed.email_error
        settings.EMAIL_PORT = smtp.port
        assert deliver_due(now=T + datetime.timedelta(minutes=1)) == {"sent": 3}
        assert smtp.handler.counts() == {str(row.pk): 1 for row in rows}

    def test_a_server_that_stops_answering_times_out_and_is_retried(self, smtp, bcssp, dispute):
        row = outbox_row(dispute, bcssp.team_manager)
        smtp.handler.stall_once[bcssp.team_manager.email] = 3  # longer than EMAIL_TIMEOUT (1s)
        result = deliver(row.pk, now=T)
        assert result.status == "failed" and result.server_unavailable
        row.refresh_from_db()
        assert "did not answer in time" in row.email_error
        assert deliver(row.pk, now=result.retry_at).status == "sent"
        assert smtp.handler.counts() == {str(row.pk): 1}

    def test_gives_up_after_the_last_attempt(self, smtp, settings, bcssp, dispute):
        settings.EMAIL_MAX_ATTEMPTS = 2
        row = outbox_row(dispute, bcssp.team_manager)
        smtp.handler.temporary[bcssp.team_manager.email] = 10
        retry_at = deliver(row.pk, now=T).retry_at
        assert deliver(row.pk, now=retry_at).status == "undeliverable"
        row.refresh_from_db()
        assert row.email_status == Status.UNDELIVERABLE and row.email_error.startswith("gave up after 2 attempts")
        assert list(undeliverable_for_partnership(bcssp.partnership)) == [row]


class TestAfterCommit:
    def test_each_pending_email_is_queued_once_the_transaction_commits(
        self, settings, bcssp, dispute, django_capture_on_commit_callbacks
    ):
        settings.REDIS_URL = "redis://127.0.0.1:6379/0"
        pending = outbox_row(dispute, bcssp.team_manager)
        unsendable = outbox_row(dispute, bcssp.senior)
        unsendable.email_status = Status.NOT_SENT
        with mock.patch.object(outbox, "queue_delivery") as delay:
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                outbox.send_after_commit([pending, unsendable])
            delay.assert_not_called()  # not before the commit
            for callback in callbacks:
                callback()
        delay.assert_called_once_with(pending.pk)

    def test_without_redis_nothing_is_queued_the_loop_sends_it(
        self, settings, bcssp, dispute, django_capture_on_commit_callbacks
    ):
        settings.REDIS_URL = ""
        with django_capture_on_commit_callbacks() as callbacks:
            outbox.send_after_commit([outbox_row(dispute, bcssp.team_manager)])
        assert callbacks == []

    def test_a_broker_that_is_down_loses_nothing(self, settings, bcssp, dispute, django_capture_on_commit_callbacks):
        settings.REDIS_URL = "redis://127.0.0.1:6379/0"
        row = outbox_row(dispute, bcssp.team_manager)
        refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        with (
            mock.patch.object(outbox, "queue_delivery", side_effect=refused),
            django_capture_on_commit_callbacks(execute=True),
        ):
            outbox.send_after_commit([row])
        row.refresh_from_db()
        assert row.email_status == Status.PENDING  # still in the outbox for the delivery run
