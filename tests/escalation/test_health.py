"""/healthz and /readyz, the sweep's heartbeat, and "Deadlines last checked at" on the register (issue 13, item 1)."""

import datetime
import json

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import DatabaseError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from escalation import tasks
from escalation.audit.models import AuditEvent
from escalation.deadlines import heartbeat
from escalation.deadlines.heartbeat import DEADLINE_SWEEP, JobHeartbeat, sweep_with_heartbeat
from escalation.management.commands.serve import EmbeddedEnforcer
from escalation.notifications.models import Notification
from escalation.web import health
from tests.auth_helpers import login
from tests.conftest import london

Status = Notification.EmailStatus
INTERVAL = 60  # DEADLINE_SWEEP_SECONDS in these tests
READINESS_KEYS = {
    "status": None,
    "checks": {
        "database": {"ok"},
        "deadline_sweep": {"ok", "last_finished_at", "seconds_since_last_finished", "limit_seconds"},
        "email_outbox": {"unsent", "oldest_unsent_seconds"},
    },
}


def swept_at(moment: datetime.datetime) -> None:
    JobHeartbeat.objects.update_or_create(
        name=DEADLINE_SWEEP, defaults={"last_started_at": moment, "last_finished_at": moment}
    )


def get(path: str, client: Client | None = None, **extra):
    response = (client or Client()).get(path, **extra)
    return response, json.loads(response.content)


def assert_shape(body: dict) -> None:
    """Exactly these keys, and every value a status word, a flag, a count, an age or a UTC time."""
    assert set(body) == set(READINESS_KEYS)
    assert body["status"] in {"ok", "unavailable"}
    assert {name: set(check) for name, check in body["checks"].items()} == READINESS_KEYS["checks"]
    for check in body["checks"].values():
        for key, value in check.items():
            if key == "last_finished_at":
                assert value is None or value.endswith("Z")
            else:
                assert value is None or isinstance(value, bool | int), (key, value)


# /healthz ---------------------------------------------------------------------------------------------------


def test_healthz_answers_without_the_database(client):
    # No database fixture: any query here would fail the test.
    response, body = get("/healthz", client)
    assert response.status_code == 200
    assert body == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["escalations.example.org"])
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/healthz/"])
def test_a_container_probe_is_neither_redirected_to_https_nor_refused_for_its_host(db, path):
    swept_at(timezone.now())
    response = Client().get(path, HTTP_HOST="10.0.3.7:8000")
    assert response.status_code == 200, response.content


@override_settings(SECURE_SSL_REDIRECT=True, ALLOWED_HOSTS=["escalations.example.org"])
def test_other_pages_are_still_redirected_and_host_checked(db):
    assert Client().get("/sign-in/", HTTP_HOST="escalations.example.org").status_code == 301
    assert Client().get("/sign-in/", HTTP_HOST="10.0.3.7:8000", secure=True).status_code == 400


def test_a_signed_in_person_who_owes_two_factor_is_not_sent_to_it(bcssp):
    client = Client()
    client.force_login(bcssp.business_manager)  # no 2FA yet: every page sends them to set it up
    assert client.get(reverse("home")).status_code == 302
    swept_at(timezone.now())
    assert get("/healthz", client)[0].status_code == 200
    assert get("/readyz", client)[0].status_code == 200


def test_probes_take_get_and_head_only(db):
    assert Client().head("/healthz").status_code == 200
    response = Client().post("/readyz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


# /readyz ----------------------------------------------------------------------------------------------------


@override_settings(DEADLINE_SWEEP_SECONDS=INTERVAL)
def test_readyz_is_unavailable_before_any_sweep_has_finished(db):
    response, body = get("/readyz")
    assert response.status_code == 503
    assert_shape(body)
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["deadline_sweep"] == {
        "ok": False,
        "last_finished_at": None,
        "seconds_since_last_finished": None,
        "limit_seconds": 2 * INTERVAL,
    }


@override_settings(DEADLINE_SWEEP_SECONDS=INTERVAL)
@pytest.mark.parametrize(
    ("seconds_ago", "status"),
    [(0, 200), (INTERVAL, 200), (2 * INTERVAL, 200), (2 * INTERVAL + 1, 503), (3600, 503)],
)
def test_readyz_allows_one_late_sweep_but_not_two(db, seconds_ago, status):
    now = london(2026, 12, 2, 17, 5)
    swept_at(now - datetime.timedelta(seconds=seconds_ago))
    with time_machine.travel(now, tick=False):
        response, body = get("/readyz")
    assert response.status_code == status
    assert_shape(body)
    sweep = body["checks"]["deadline_sweep"]
    assert sweep["ok"] is (status == 200)
    assert sweep["seconds_since_last_finished"] == seconds_ago
    assert sweep["last_finished_at"] == (now - datetime.timedelta(seconds=seconds_ago)).isoformat().replace(
        "+00:00", "Z"
    )


def test_readyz_is_unavailable_when_the_database_does_not_answer(db, monkeypatch):
    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    with monkeypatch.context() as patched:  # undone before the test database is torn down
        patched.setattr(health.connection, "cursor", refuse)
        response, body = get("/readyz")
    assert response.status_code == 503
    assert body == {"status": "unavailable", "checks": {"database": {"ok": False}}}


@override_settings(DEADLINE_SWEEP_SECONDS=INTERVAL)
def test_readyz_gives_the_outbox_backlog_as_figures_only(bcssp):
    now = london(2026, 12, 2, 17, 5)
    dispute = bcssp.raise_dispute(now=now - datetime.timedelta(days=1))
    Notification.objects.all().delete()
    for minutes, status in [(90, Status.FAILED), (10, Status.PENDING), (500, Status.SENT), (600, Status.UNDELIVERABLE)]:
        Notification.objects.create(
            dispute=dispute,
            recipient=bcssp.head,
            event="deadline_breached",
            headline=f"{dispute.reference}: deadline missed",
            created_at=now - datetime.timedelta(minutes=minutes),
            email_status=status,
        )
    swept_at(now)
    with time_machine.travel(now, tick=False):
        response, body = get("/readyz")
    assert response.status_code == 200, "a backlog alone does not make the app unready"
    assert_shape(body)
    assert body["checks"]["email_outbox"] == {"unsent": 2, "oldest_unsent_seconds": 90 * 60}
    text = response.content.decode()
    for personal in (dispute.reference, dispute.subject.name, bcssp.head.email, bcssp.head.username):
        assert personal not in text


def test_readyz_reads_no_dispute_and_is_not_audited(bcssp):
    bcssp.raise_dispute(now=timezone.now())
    swept_at(timezone.now())
    before = AuditEvent.objects.count()
    assert get("/readyz")[0].status_code == 200
    assert get("/healthz")[0].status_code == 200
    assert AuditEvent.objects.count() == before


# The heartbeat ----------------------------------------------------------------------------------------------


def test_a_sweep_records_its_start_and_finish(db):
    now = timezone.now()
    result = sweep_with_heartbeat(now=now)
    assert result.as_dict() == {"reminded": 0, "breached": 0, "notifications_queued": 0}
    row = JobHeartbeat.objects.get(name=DEADLINE_SWEEP)
    assert row.last_started_at == now
    assert row.last_finished_at >= now


def test_a_failing_sweep_records_its_start_but_not_a_finish(db, monkeypatch):
    earlier = timezone.now() - datetime.timedelta(minutes=10)
    swept_at(earlier)

    def broken(*, now, tell=True):
        raise DatabaseError("deadlock detected")

    monkeypatch.setattr(heartbeat, "sweep", broken)
    with pytest.raises(DatabaseError):
        sweep_with_heartbeat(now=timezone.now())
    row = JobHeartbeat.objects.get(name=DEADLINE_SWEEP)
    assert row.last_started_at > earlier
    assert row.last_finished_at == earlier


def test_the_celery_sweep_task_writes_the_heartbeat(db):
    assert tasks.sweep_deadlines() == {"reminded": 0, "breached": 0, "notifications_queued": 0}
    assert JobHeartbeat.objects.get(name=DEADLINE_SWEEP).last_finished_at is not None


def test_the_embedded_sweep_thread_writes_the_heartbeat(transactional_db):
    EmbeddedEnforcer(interval=60).run_once()
    assert JobHeartbeat.objects.get(name=DEADLINE_SWEEP).last_finished_at is not None


# Sessions ---------------------------------------------------------------------------------------------------


def test_the_hourly_task_clears_expired_sessions_only(db):
    expired, live = SessionStore(), SessionStore()
    expired["draft"] = {"subject_name": "A child's name"}
    expired.set_expiry(-60)
    expired.create()
    live.create()
    assert tasks.clear_sessions() == "cleared"
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


# The register -----------------------------------------------------------------------------------------------


def register_page(world) -> str:
    client = Client()
    login(client, world.business_manager)  # signed in at the travelled-to moment, so the session is current
    response = client.get(reverse("register"))
    assert response.status_code == 200
    return response.content.decode()


@override_settings(DEADLINE_SWEEP_SECONDS=INTERVAL)
def test_the_register_says_when_deadlines_were_last_checked(bcssp):
    swept_at(datetime.datetime(2026, 12, 2, 17, 3, 20, tzinfo=datetime.UTC))
    with time_machine.travel(datetime.datetime(2026, 12, 2, 17, 4, tzinfo=datetime.UTC), tick=False):
        page = register_page(bcssp)
    assert "Deadlines last checked at 5:03pm on Wednesday 2 December 2026." in page
    assert "govuk-warning-text" not in page


@override_settings(DEADLINE_SWEEP_SECONDS=INTERVAL)
def test_the_register_warns_when_deadlines_are_not_being_checked(bcssp):
    with time_machine.travel(datetime.datetime(2026, 6, 1, 8, 0, tzinfo=datetime.UTC), tick=False):
        never = register_page(bcssp)
    assert "Deadlines have not been checked yet." in never
    swept_at(datetime.datetime(2026, 6, 1, 8, 30, tzinfo=datetime.UTC))
    with time_machine.travel(datetime.datetime(2026, 6, 1, 9, 0, tzinfo=datetime.UTC), tick=False):
        stale = register_page(bcssp)
    assert "Deadlines last checked at 9:30am on Monday 1 June 2026." in stale
    assert "Reminders are not being sent and missed deadlines are not being recorded." in stale
