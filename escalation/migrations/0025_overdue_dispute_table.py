"""Overdue disputes are rows of a table of their own (`OverdueDispute`), no longer a column of the dispute.

Setting `Dispute.overdue` made a new version of the dispute's row, and with it an entry in each of the dispute
table's indexes: about 60 us a breach, most of the sweep's cost of marking one. A breach now inserts one narrow row
(a primary key and one index). The deadline table's triggers keep the new table as they kept the flag (0018, 0022):
a deadline that becomes missed adds its dispute; one that stops being missed (closed, extended, deleted or moved to
another dispute) removes its dispute unless another of its open deadlines is missed.

The old triggers go first: SQLite will not drop a column that a trigger names.
"""

from importlib import import_module

import django.db.models.deletion
from django.db import migrations, models

overdue_0018 = import_module("escalation.migrations.0018_dispute_overdue")
overdue_0022 = import_module("escalation.migrations.0022_overdue_trigger_without_lookups")

MISSED = "{row}.closed_at IS NULL AND {row}.breached_at IS NOT NULL"
#: No open deadline of the overdue dispute (of a DELETE from the table) is missed.
NONE_MISSED = (
    "NOT EXISTS (SELECT 1 FROM escalation_deadline AS deadline "
    "WHERE deadline.dispute_id = escalation_overduedispute.dispute_id "
    "AND deadline.closed_at IS NULL AND deadline.breached_at IS NOT NULL)"
)
ADD = "INSERT INTO escalation_overduedispute (dispute_id, partnership_id) SELECT id, partnership_id FROM escalation_dispute"

POSTGRESQL = [
    f"""
    CREATE FUNCTION escalation_deadline_keeps_overdue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {ADD} WHERE id IN (SELECT dispute_id FROM new_rows WHERE {MISSED.format(row="new_rows")})
            ON CONFLICT DO NOTHING;
        ELSIF TG_OP = 'DELETE' THEN
            DELETE FROM escalation_overduedispute
            WHERE dispute_id IN (SELECT dispute_id FROM old_rows WHERE {MISSED.format(row="old_rows")})
              AND {NONE_MISSED};
        ELSE
            -- Missed now, and not already missed for the same dispute: that dispute is overdue.
            {ADD} WHERE id IN (
                SELECT new_row.dispute_id
                FROM new_rows AS new_row JOIN old_rows AS old_row ON old_row.id = new_row.id
                WHERE {MISSED.format(row="new_row")}
                  AND NOT ({MISSED.format(row="old_row")} AND old_row.dispute_id = new_row.dispute_id)
            )
            ON CONFLICT DO NOTHING;
            -- Missed before, and no longer missed for that dispute: ask its remaining deadlines.
            DELETE FROM escalation_overduedispute
            WHERE dispute_id IN (
                SELECT old_row.dispute_id
                FROM new_rows AS new_row JOIN old_rows AS old_row ON old_row.id = new_row.id
                WHERE {MISSED.format(row="old_row")}
                  AND NOT ({MISSED.format(row="new_row")} AND old_row.dispute_id = new_row.dispute_id)
            )
              AND {NONE_MISSED};
        END IF;
        RETURN NULL;
    END
    $$
    """,
    *overdue_0018.POSTGRESQL[1:],
]

SQLITE = [
    f"""
    CREATE TRIGGER escalation_deadline_inserted_keeps_overdue AFTER INSERT ON escalation_deadline
    WHEN {MISSED.format(row="NEW")}
    BEGIN {ADD.replace("INSERT", "INSERT OR IGNORE", 1)} WHERE id = NEW.dispute_id; END
    """,
    f"""
    CREATE TRIGGER escalation_deadline_updated_keeps_overdue AFTER UPDATE OF closed_at, breached_at, dispute_id
    ON escalation_deadline
    BEGIN
        {ADD.replace("INSERT", "INSERT OR IGNORE", 1)} WHERE id = NEW.dispute_id AND {MISSED.format(row="NEW")};
        DELETE FROM escalation_overduedispute
        WHERE dispute_id IN (OLD.dispute_id, NEW.dispute_id) AND {NONE_MISSED};
    END
    """,
    f"""
    CREATE TRIGGER escalation_deadline_deleted_keeps_overdue AFTER DELETE ON escalation_deadline
    WHEN {MISSED.format(row="OLD")}
    BEGIN DELETE FROM escalation_overduedispute WHERE dispute_id = OLD.dispute_id AND {NONE_MISSED}; END
    """,
]

BACKFILL = f"{ADD} WHERE {overdue_0018.OVERDUE}"


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def _postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def drop_triggers(apps, schema_editor) -> None:
    """The deadline table's overdue triggers (the same names before and after this migration)."""
    postgresql = _postgresql(schema_editor)
    _run(schema_editor, overdue_0018.POSTGRESQL_REVERSE if postgresql else overdue_0018.SQLITE_REVERSE)


def restore_flag_triggers(apps, schema_editor) -> None:
    """The flag's triggers as 0022 left them, and the flag filled in again (it comes back empty)."""
    if _postgresql(schema_editor):
        _run(schema_editor, [overdue_0022.FUNCTION, *overdue_0018.POSTGRESQL[1:]])
    else:
        _run(schema_editor, overdue_0018.SQLITE)
    _run(schema_editor, [overdue_0018.BACKFILL])


def create_table_triggers(apps, schema_editor) -> None:
    _run(schema_editor, [*(POSTGRESQL if _postgresql(schema_editor) else SQLITE), BACKFILL])


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_text_limits"),
        ("escalation", "0024_notification_undeliverable_index"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, restore_flag_triggers),
        migrations.RemoveIndex(model_name="dispute", name="dispute_register_overdue"),
        migrations.RemoveField(model_name="dispute", name="overdue"),
        migrations.CreateModel(
            name="OverdueDispute",
            fields=[
                (
                    "dispute",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="overdue_mark",
                        serialize=False,
                        to="escalation.dispute",
                    ),
                ),
                (
                    "partnership",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="agencies.partnership",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["partnership", "dispute"], name="overdue_dispute_partnership")],
            },
        ),
        migrations.RunPython(create_table_triggers, drop_triggers),
    ]
