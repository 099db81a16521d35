"""The audit trail is append-only: the application refuses to change it, and PostgreSQL refuses too."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.audit.models import AuditEvent

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the database-level refusal is a PostgreSQL trigger; run under scripts/with_postgres.sh",
)


@pytest.fixture
def event(bcssp):
    dispute = bcssp.raise_dispute()
    return AuditEvent.objects.filter(dispute_id_value=dispute.pk).first()


def test_an_event_cannot_be_changed_through_the_orm(event):
    event.action = "dispute.nothing_happened"
    with pytest.raises(ValidationError):
        event.save()
    event.refresh_from_db()
    assert event.action == "dispute.raised"


def test_an_event_cannot_be_deleted_through_the_orm(event):
    with pytest.raises(ValidationError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_new_events_are_still_written(event):
    added = audit.record(None, AuditEventType.DISPUTE_VIEWED, partnership=event.partnership)
    assert AuditEvent.objects.filter(pk=added.pk, action="dispute.viewed").exists()


@on_postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE escalation_auditevent SET action = 'forged' WHERE id = %s",
        "UPDATE escalation_auditevent SET actor_id = NULL, actor_label = 'someone else' WHERE id = %s",
        "DELETE FROM escalation_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_raw_update_and_delete(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.action == "dispute.raised"


@on_postgresql
def test_postgresql_refuses_bulk_orm_update_and_delete(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "dispute.raised"
