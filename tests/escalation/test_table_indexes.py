"""The indexes of the busiest tables each earn their place.

Every new dispute, and every update of a dispute that changes an indexed column (a breach sets its overdue flag),
writes an entry in every index of the table; the sweep writes an outbox row for every person told. So no index of
these tables repeats the first columns of another (PostgreSQL answers a lookup by those columns from the longer
one), a column empty for most rows is indexed only where it is set, and no column has an index for a search the app
never makes (a prefix search, LIKE 'x%', of a reference; an audit event looked up by its dispute's reference).
The dispute table writes 15 indexes for a breach, not 16, and the sweep's audit event four, not seven.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.disputes.models import Dispute
from escalation.notifications.models import Notification

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes (make test)"),
]


def indexes(model) -> dict[str, tuple[list[str], bool, str]]:
    """Each index of the model's table: its columns, whether it is unique, and its definition."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        definitions = dict(cursor.fetchall())
    return {
        name: (about["columns"], about["unique"], definitions[name])
        for name, about in found.items()
        if about["index"] and name in definitions
    }


def plain(definition: str) -> bool:
    """A b-tree index of every row (not partial)."""
    return "btree" in definition and " WHERE " not in definition


@pytest.mark.parametrize("model", [Dispute, Notification])
def test_no_index_repeats_the_first_columns_of_another(model):
    every = indexes(model)
    repeated = sorted(
        f"{name} {columns} starts {other} {other_columns}"
        for name, (columns, unique, definition) in every.items()
        if not unique and plain(definition)
        for other, (other_columns, _, other_definition) in every.items()
        if other != name
        and plain(other_definition)
        and len(other_columns) > len(columns)
        and other_columns[: len(columns)] == columns
    )
    assert not repeated


@pytest.mark.parametrize("model", [Dispute, AuditEvent])
def test_a_foreign_key_that_may_be_empty_is_indexed_only_where_it_is_set(model):
    every = indexes(model)
    for field in model._meta.concrete_fields:
        if field.is_relation and field.null:
            own = [definition for columns, _, definition in every.values() if columns == [field.column]]
            assert own, f"{field.column} has an index (its foreign key is checked through it)"
            assert all(f"WHERE ({field.column} IS NOT NULL)" in definition for definition in own), own


@pytest.mark.parametrize("model", [Dispute, AuditEvent, Deadline, Notification])
def test_no_index_is_for_prefix_searches(model):
    """Django gives a unique or indexed text column a second index for LIKE 'x%' on PostgreSQL; nothing here
    searches by prefix (a reference is found exactly; the register's and the admin's searches are for a part)."""
    assert not [name for name, (_, _, definition) in indexes(model).items() if "pattern_ops" in definition]


def test_the_audit_trail_is_not_indexed_by_dispute_reference():
    assert not [name for name, (columns, _, _) in indexes(AuditEvent).items() if columns[0] == "dispute_reference"]


def test_a_dispute_reference_is_still_unique(bcssp):
    dispute, other = bcssp.raise_dispute(), bcssp.raise_dispute()
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispute.objects.filter(pk=other.pk).update(reference=dispute.reference)


def test_an_actor_with_an_audit_trail_is_found_through_the_partial_index(bcssp):
    """Removing a person asks the trail for their events (PROTECT): the partial index answers it."""
    person = bcssp.teacher
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + str(AuditEvent.objects.filter(actor__in=[person]).values("pk").query))
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "audit_actor" in plan, plan
