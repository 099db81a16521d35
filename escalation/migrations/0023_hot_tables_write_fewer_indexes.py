"""Fewer indexes to write on the busiest tables: each dispute change and each audit event writes one entry an index.

- A dispute's reference is unique by a constraint: `unique=True` also made a second index for prefix searches
  (LIKE 'x%'), which nothing makes of a reference.
- An audit event's dispute reference is not indexed (the trail is read by dispute id; the admin's search is for a
  part of a reference, which a b-tree cannot answer), and its actor and partnership are indexed only where set (the
  sweep's events have no actor).

The database changes are made by hand, not by the operations that describe them (`state_operations`): those would
drop and re-add the audit trail's foreign keys (checking every row of the largest table again) and, on SQLite,
rebuild the dispute table, which the deadline table's triggers refuse. On SQLite the reference column keeps its own
UNIQUE beside the new unique index (the same rule) until the table is next rebuilt.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DISPUTES = "escalation_dispute"
AUDIT = "escalation_auditevent"
UNINDEXED = ("actor_id", "partnership_id", "dispute_reference")
PARTIAL = {"audit_actor": "actor_id", "audit_partnership": "partnership_id"}


def _indexes_on(schema_editor, table: str, column: str) -> dict:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: about for name, about in found.items() if about["columns"] == [column] and not about["primary_key"]}


def forwards(apps, schema_editor) -> None:
    quote = schema_editor.quote_name
    for column in UNINDEXED:
        for name, about in _indexes_on(schema_editor, AUDIT, column).items():
            if about["index"] and not about["unique"] and name not in PARTIAL:
                schema_editor.execute(f"DROP INDEX {quote(name)}")
    for name, column in PARTIAL.items():
        schema_editor.execute(
            f"CREATE INDEX {quote(name)} ON {quote(AUDIT)} ({quote(column)}) WHERE {quote(column)} IS NOT NULL"
        )
    if schema_editor.connection.vendor == "postgresql":
        for name, about in _indexes_on(schema_editor, DISPUTES, "reference").items():
            if about["unique"]:
                schema_editor.execute(
                    f"ALTER TABLE {quote(DISPUTES)} RENAME CONSTRAINT {quote(name)} TO dispute_reference_unique"
                )
            elif about["index"]:
                schema_editor.execute(f"DROP INDEX {quote(name)}")
    else:
        schema_editor.execute(f"CREATE UNIQUE INDEX dispute_reference_unique ON {quote(DISPUTES)} (reference)")


def backwards(apps, schema_editor) -> None:
    quote = schema_editor.quote_name
    for name in PARTIAL:
        schema_editor.execute(f"DROP INDEX {quote(name)}")
    for column in UNINDEXED:
        name = schema_editor._create_index_name(AUDIT, [column], suffix="")
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(AUDIT)} ({quote(column)})")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {quote(DISPUTES)} RENAME CONSTRAINT dispute_reference_unique TO {DISPUTES}_reference_key"
        )
        for table, column in ((DISPUTES, "reference"), (AUDIT, "dispute_reference")):
            name = schema_editor._create_index_name(table, [column], suffix="_like")
            schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(table)} ({quote(column)} varchar_pattern_ops)")
    else:
        schema_editor.execute("DROP INDEX dispute_reference_unique")


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_text_limits"),
        ("escalation", "0022_overdue_trigger_without_lookups"),
        ("policies", "0003_policy_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="actor",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="dispute_reference",
                    field=models.CharField(blank=True, max_length=30),
                ),
                migrations.AlterField(
                    model_name="auditevent",
                    name="partnership",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="agencies.partnership",
                    ),
                ),
                migrations.AlterField(
                    model_name="dispute",
                    name="reference",
                    field=models.CharField(max_length=30),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(
                        condition=models.Q(("actor__isnull", False)), fields=["actor"], name="audit_actor"
                    ),
                ),
                migrations.AddIndex(
                    model_name="auditevent",
                    index=models.Index(
                        condition=models.Q(("partnership__isnull", False)),
                        fields=["partnership"],
                        name="audit_partnership",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="dispute",
                    constraint=models.UniqueConstraint(fields=("reference",), name="dispute_reference_unique"),
                ),
            ],
        ),
    ]
