"""The indexes of the busiest tables each earn their place.

Every new dispute, and every update of a dispute that changes an indexed column (a breach sets its overdue flag),
writes an entry in every index of the table; the sweep writes an outbox row for every person told. So no index of
these tables repeats the first columns of another (PostgreSQL answers a lookup by those columns from the longer
one), and a dispute column empty for most disputes is indexed only where it is set: the dispute table has 20
indexes, not 23 (about 35 MB less at a million disputes), and an outbox row writes five, not six.
"""

import pytest
from django.db import connection

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


def test_a_dispute_foreign_key_empty_for_most_disputes_is_indexed_only_where_it_is_set():
    every = indexes(Dispute)
    for field in Dispute._meta.concrete_fields:
        if field.is_relation and field.null:
            own = [definition for columns, _, definition in every.values() if columns == [field.column]]
            assert own, f"{field.column} has an index (its foreign key is checked through it)"
            assert all(f"WHERE ({field.column} IS NOT NULL)" in definition for definition in own), own
