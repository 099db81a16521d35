"""The app's own database role cannot rewrite the audit trail, yet does all its ordinary work (issue 12, F5).

Real PostgreSQL: `manage.py create_app_role` is run as the owner of the test database's tables, then the role
it made connects on its own and tries what an attacker holding the app's password would try.
"""

import os
import subprocess
import sys

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from psycopg2 import sql

from escalation.audit.models import AuditEvent
from tests.fixtures_services import ROOT, database_url_for_subprocesses

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="database roles are PostgreSQL's (make test runs on PostgreSQL)"
)

AUDIT = AuditEvent._meta.db_table


def q(statement: str) -> sql.Composed:
    """A statement naming the audit table as {audit}."""
    return sql.SQL(statement).format(audit=sql.Identifier(AUDIT))


def role_name() -> str:
    """Roles belong to the whole cluster: one per test process, so parallel processes do not share one."""
    return f"escalation_app_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def url_as(role: str, password: str = "app-password") -> str:  # noqa: S107 - a throw-away cluster's
    s = connection.settings_dict
    return f"postgres://{role}:{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def app_role(transactional_db):
    role = role_name()
    call_command("create_app_role", app_url=url_as(role))
    s = connection.settings_dict
    conn = psycopg2.connect(
        dbname=s["NAME"], user=role, password="app-password", host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432
    )
    yield conn
    conn.close()


def refused(conn, statement: str, params=None) -> str:
    """Run the statement in a transaction of its own; return PostgreSQL's refusal (fail if it was allowed)."""
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
    except psycopg2.Error as exc:
        return str(exc)
    pytest.fail(f"the app's role was allowed: {statement}")


def one_event(conn) -> int:
    with conn, conn.cursor() as cursor:
        cursor.execute(
            q(
                "INSERT INTO {audit} (at, actor_label, action, dispute_reference, object_type, object_id, user_agent)"
                " VALUES (now(), 'app', 'dispute.viewed', '', '', '', '') RETURNING id"
            )
        )
        return cursor.fetchone()[0]


def test_the_app_role_may_add_and_read_audit_events_but_never_change_or_remove_them(app_role):
    event_id = one_event(app_role)
    with app_role, app_role.cursor() as cursor:
        cursor.execute(q("SELECT action FROM {audit} WHERE id = %s"), [event_id])
        assert cursor.fetchone() == ("dispute.viewed",)
    attempts = {
        "update": ("UPDATE {audit} SET action = 'rewritten' WHERE id = %s", [event_id]),
        "delete": ("DELETE FROM {audit} WHERE id = %s", [event_id]),
        "truncate": ("TRUNCATE {audit}", None),
        "truncate cascade": ("TRUNCATE {audit} CASCADE", None),
        "disable the trigger": ("ALTER TABLE {audit} DISABLE TRIGGER escalation_auditevent_append_only", None),
        "disable every trigger": ("ALTER TABLE {audit} DISABLE TRIGGER ALL", None),
        "drop the trigger": ("DROP TRIGGER escalation_auditevent_append_only ON {audit}", None),
        "drop the recorded_at trigger": ("DROP TRIGGER escalation_auditevent_recorded_now ON {audit}", None),
        "replace the trigger's function": (
            "CREATE OR REPLACE FUNCTION escalation_audit_append_only() RETURNS trigger AS $$"
            " BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
            None,
        ),
        "drop the table": ("DROP TABLE {audit} CASCADE", None),
        "rename the table": ("ALTER TABLE {audit} RENAME TO old_audit", None),
        "take the table": ("ALTER TABLE {audit} OWNER TO CURRENT_USER", None),
        "skip triggers for the session": ("SET session_replication_role = replica", None),
        "reset the id sequence": ("SELECT setval(pg_get_serial_sequence(%s, 'id'), 1)", [AUDIT]),
    }
    refusals = {what: refused(app_role, q(statement), params) for what, (statement, params) in attempts.items()}
    assert all("permission denied" in text or "must be owner" in text for text in refusals.values()), refusals
    assert AuditEvent.objects.filter(pk=event_id, action="dispute.viewed").exists()


def test_a_back_dated_audit_event_shows_when_the_database_really_wrote_it(app_role):
    with app_role, app_role.cursor() as cursor:
        cursor.execute(
            q(
                "INSERT INTO {audit} (at, recorded_at, actor_label, action, dispute_reference, object_type, object_id,"
                " user_agent) VALUES ('2020-01-01T09:00Z', '2020-01-01T09:00Z', 'app', 'dispute.viewed', 'OLD-1', '',"
                " '', '') RETURNING id, recorded_at >= transaction_timestamp(), recorded_at > at"
            )
        )
        event_id, written_now, after_its_claimed_moment = cursor.fetchone()
    assert written_now and after_its_claimed_moment
    event = AuditEvent.objects.get(pk=event_id)
    assert event.recorded_at.year > 2020 and event.at.year == 2020


def test_the_app_role_is_no_superuser_and_owns_nothing(app_role):
    with app_role, app_role.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
        assert cursor.fetchone() == (0,)


def test_tables_a_later_migration_creates_are_granted_to_the_app_role(app_role):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE escalation_later_table (id bigint GENERATED BY DEFAULT AS IDENTITY, note text)")
    try:
        with app_role, app_role.cursor() as cursor:
            cursor.execute("INSERT INTO escalation_later_table (note) VALUES ('x') RETURNING id")
            cursor.execute("UPDATE escalation_later_table SET note = 'y'")
            cursor.execute("DELETE FROM escalation_later_table")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE escalation_later_table")


def test_rerunning_the_command_takes_back_a_grant_made_by_hand(app_role):
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("GRANT UPDATE, DELETE, TRUNCATE ON {} TO {}").format(
                sql.Identifier(AUDIT), sql.Identifier(role_name())
            )
        )
    call_command("create_app_role", app_url=url_as(role_name()))
    assert "permission denied" in refused(app_role, q("TRUNCATE {audit}"))


def test_the_owner_or_a_superuser_is_refused_as_the_app_role(transactional_db):
    with pytest.raises(CommandError, match="must not be the owner"):
        call_command("create_app_role", app_url=url_as(connection.settings_dict["USER"]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = 'escalation_too_mighty'")
        if cursor.fetchone() is None:
            cursor.execute("CREATE ROLE escalation_too_mighty LOGIN SUPERUSER")
    with pytest.raises(CommandError, match="superuser"):
        call_command("create_app_role", app_url=url_as("escalation_too_mighty"))


SCENARIO = "policies/scenarios/tscp/immediate-harm.yaml"
ORDINARY_WORK = """
from tests.conftest import build_world
from escalation.deadlines.sweep import sweep
import datetime
from django.utils import timezone
world = build_world("bcssp", "ROLE")
dispute = world.raise_dispute()
print(sweep(now=timezone.now() + datetime.timedelta(days=30)))
"""


def test_the_app_does_its_ordinary_work_as_the_app_role(app_role):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escalation.settings.test",
        "DATABASE_URL": url_as(role_name()),
        "REDIS_URL": "",
    }
    assert database_url_for_subprocesses()  # the same database the fixture granted on

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run("shell", "-c", ORDINARY_WORK)
    assert '"result": "done"' in run("simulate", SCENARIO)
    run("sweep_deadlines")
    run("clearsessions")
    assert AuditEvent.objects.filter(dispute_reference__startswith="ROLE-").exists()
