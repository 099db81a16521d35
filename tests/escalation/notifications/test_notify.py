"""E-mail through GOV.UK Notify, against a fake of its HTTP API running in the test.

The fake checks what Notify checks: a POST to /v2/notifications/email with a JSON Web Token signed (HS256)
with the key's secret and naming the service, issued just now; then records the body it was sent.
"""

import datetime
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from escalation.notifications.delivery import deliver
from escalation.notifications.models import Notification
from tests.conftest import london

T = london(2026, 3, 4, 9)
Status = Notification.EmailStatus
SERVICE_ID, SECRET = str(uuid.uuid4()), str(uuid.uuid4())
API_KEY = f"escalations_test-{SERVICE_ID}-{SECRET}"
TEMPLATE_ID = str(uuid.uuid4())


@dataclass
class FakeNotify:
    """What the fake was sent, and the answer it gives (status, body) to the next POSTs."""

    received: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    answer: tuple[int, dict] | None = None
    base_url: str = ""


def serve_fake_notify(fake: FakeNotify) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            try:
                claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["iss", "iat"]})
                if scheme != "Bearer" or claims["iss"] != SERVICE_ID or abs(time.time() - claims["iat"]) > 30:
                    raise jwt.InvalidTokenError("wrong issuer, scheme or time")
            except jwt.InvalidTokenError as error:
                fake.refused.append(str(error))
                return self.reply(403, {"errors": [{"error": "AuthError", "message": "Invalid token"}]})
            if self.path != "/v2/notifications/email":
                return self.reply(404, {"errors": [{"error": "NotFound", "message": "not found"}]})
            fake.received.append(body)
            if fake.answer:
                return self.reply(*fake.answer)
            return self.reply(
                201,
                {
                    "id": str(uuid.uuid4()),
                    "reference": body.get("reference"),
                    "content": {"subject": body["personalisation"]["subject"], "body": "...", "from_email": "x@y"},
                    "uri": "",
                    "template": {"id": body["template_id"], "version": 1, "uri": ""},
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server


@pytest.fixture
def notify(settings):
    fake = FakeNotify()
    server = serve_fake_notify(fake)
    settings.EMAIL_BACKEND = "escalation.notifications.notify.NotifyEmailBackend"
    settings.NOTIFY_API_KEY = API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = fake.base_url
    settings.SITE_URL = "https://escalations.example.org"
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def dispute(bcssp):
    raised = bcssp.raise_dispute(now=T - datetime.timedelta(days=1))
    Notification.objects.all().delete()
    return raised


def outbox_row(dispute, user) -> Notification:
    return Notification.objects.create(
        dispute=dispute,
        recipient=user,
        event="deadline_breached",
        headline=f"{dispute.reference}: deadline missed (Stage 1: within 2 working days)",
        created_at=T,
        email_next_attempt_at=T,
        email_status=Status.PENDING,
    )


def test_sent_through_the_template_with_the_reference_and_a_link_and_nothing_personal(notify, bcssp, dispute):
    row = outbox_row(dispute, bcssp.team_manager)
    assert deliver(row.pk, now=T).status == "sent"
    assert notify.refused == []
    (sent,) = notify.received
    assert sent["email_address"] == bcssp.team_manager.email
    assert sent["template_id"] == TEMPLATE_ID
    assert sent["reference"] == str(row.pk)
    assert set(sent["personalisation"]) == {"subject", "body"}
    assert dispute.reference in sent["personalisation"]["subject"]
    assert f"https://escalations.example.org/disputes/{dispute.reference}/" in sent["personalisation"]["body"]
    everything_but_the_address = json.dumps({key: value for key, value in sent.items() if key != "email_address"})
    personal = [
        dispute.subject.name,
        dispute.description[:30],
        bcssp.school.name,
        bcssp.social_care.name,
        bcssp.team_manager.first_name,
        bcssp.team_manager.last_name,
        bcssp.team_manager.email,
        "Stage 1: within 2 working days",
    ]
    assert [text for text in personal if text in everything_but_the_address] == []
    row.refresh_from_db()
    assert (row.email_status, row.email_sent_at) == (Status.SENT, T)
    assert deliver(row.pk, now=T + datetime.timedelta(hours=1)).status == "done"
    assert len(notify.received) == 1


def test_an_address_notify_calls_invalid_is_given_up_and_the_business_manager_told(notify, bcssp, dispute):
    notify.answer = (
        400,
        {"errors": [{"error": "ValidationError", "message": "email_address Not a valid email address"}]},
    )
    row = outbox_row(dispute, bcssp.team_manager)
    assert deliver(row.pk, now=T).status == "undeliverable"
    row.refresh_from_db()
    assert row.email_status == Status.UNDELIVERABLE and "Not a valid email address" in row.email_error
    assert Notification.objects.filter(event="email_undeliverable", recipient=bcssp.business_manager).exists()


@pytest.mark.parametrize(
    "status, error",
    [
        (
            429,
            {
                "error": "RateLimitError",
                "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            },
        ),
        (500, {"error": "Exception", "message": "Internal server error"}),
        (400, {"error": "BadRequestError", "message": "Template not found"}),
    ],
    ids=["rate-limited", "notify-down", "wrong-template"],
)
def test_anything_else_waits_for_the_next_run(notify, bcssp, dispute, status, error):
    notify.answer = (status, {"errors": [error]})
    row = outbox_row(dispute, bcssp.team_manager)
    result = deliver(row.pk, now=T)
    assert result.status == "failed" and result.server_unavailable
    row.refresh_from_db()
    assert row.email_status == Status.FAILED and str(status) in row.email_error


def test_a_wrong_key_is_refused_by_notify_and_nothing_is_sent(notify, settings, bcssp, dispute):
    settings.NOTIFY_API_KEY = f"escalations_test-{SERVICE_ID}-{uuid.uuid4()}"
    row = outbox_row(dispute, bcssp.team_manager)
    assert deliver(row.pk, now=T).status == "failed"
    assert notify.received == [] and notify.refused
    row.refresh_from_db()
    assert "403" in row.email_error
