"""The register's "overdue" list moves from a column of the dispute to a table of its own, OverdueDispute.

A dispute is listed exactly while one of its open deadlines has been breached (closed_at empty, breached_at set).
Triggers on the deadline table keep the list whichever path writes a deadline (the sweep's set-based update, the
services' saves, bulk updates, deletes, the data generator's COPY): on PostgreSQL one trigger a statement reads the
statement's rows (transition tables) and rechecks only the disputes whose answer may have changed; on SQLite (the
embedded default) one trigger a row does the same. A trigger on the dispute table keeps a listed dispute's
partnership, state and date raised as the dispute's.

The old triggers (0018) are dropped first: on SQLite removing the column rebuilds the dispute table, which fails
while a trigger still names the column.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

#: Whether the dispute `{dispute}` (an SQL expression) has an open, missed deadline: the rule of
#: `escalation.deadlines.overdue.overdue_deadlines`, read through the partial index deadline_overdue.
OVERDUE = (
    "EXISTS (SELECT 1 FROM escalation_deadline AS deadline WHERE deadline.dispute_id = {dispute} "
    "AND deadline.closed_at IS NULL AND deadline.breached_at IS NOT NULL)"
)
LISTED = OVERDUE.format(dispute="listed.dispute_id")
MISSED = OVERDUE.format(dispute="dispute.id")
COLUMNS = "dispute_id, partnership_id, state, raised_at"
FROM_DISPUTE = "SELECT dispute.id, dispute.partnership_id, dispute.state, dispute.raised_at FROM escalation_dispute AS dispute"
MISSED_ROW = "closed_at IS NULL AND breached_at IS NOT NULL"

POSTGRESQL = [
    f"""
    CREATE FUNCTION escalation_deadline_keeps_overdue_list() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        changed bigint[];
    BEGIN
        IF TG_OP = 'INSERT' THEN
            changed := ARRAY(SELECT dispute_id FROM new_rows WHERE {MISSED_ROW});
        ELSIF TG_OP = 'DELETE' THEN
            changed := ARRAY(SELECT dispute_id FROM old_rows WHERE {MISSED_ROW});
        ELSE
            -- Only the rows whose own answer changed (or that moved to another dispute) can change a dispute's.
            changed := ARRAY(
                SELECT unnest(ARRAY[old_row.dispute_id, new_row.dispute_id])
                FROM new_rows AS new_row JOIN old_rows AS old_row ON old_row.id = new_row.id
                WHERE (new_row.closed_at IS NULL AND new_row.breached_at IS NOT NULL)
                          <> (old_row.closed_at IS NULL AND old_row.breached_at IS NOT NULL)
                   OR new_row.dispute_id <> old_row.dispute_id
            );
        END IF;
        IF cardinality(changed) = 0 THEN
            RETURN NULL;
        END IF;
        DELETE FROM escalation_overduedispute AS listed WHERE listed.dispute_id = ANY(changed) AND NOT {LISTED};
        INSERT INTO escalation_overduedispute ({COLUMNS})
            {FROM_DISPUTE} WHERE dispute.id = ANY(changed) AND {MISSED}
            ON CONFLICT (dispute_id) DO NOTHING;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER escalation_deadline_inserted_keeps_overdue_list AFTER INSERT ON escalation_deadline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION escalation_deadline_keeps_overdue_list()
    """,
    """
    CREATE TRIGGER escalation_deadline_updated_keeps_overdue_list AFTER UPDATE ON escalation_deadline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION escalation_deadline_keeps_overdue_list()
    """,
    """
    CREATE TRIGGER escalation_deadline_deleted_keeps_overdue_list AFTER DELETE ON escalation_deadline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION escalation_deadline_keeps_overdue_list()
    """,
    """
    CREATE FUNCTION escalation_dispute_keeps_overdue_list() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE escalation_overduedispute
        SET partnership_id = NEW.partnership_id, state = NEW.state, raised_at = NEW.raised_at
        WHERE dispute_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER escalation_dispute_keeps_overdue_list
    AFTER UPDATE OF partnership_id, state, raised_at ON escalation_dispute FOR EACH ROW
    WHEN (OLD.partnership_id <> NEW.partnership_id OR OLD.state <> NEW.state OR OLD.raised_at <> NEW.raised_at)
    EXECUTE FUNCTION escalation_dispute_keeps_overdue_list()
    """,
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER escalation_deadline_inserted_keeps_overdue_list ON escalation_deadline",
    "DROP TRIGGER escalation_deadline_updated_keeps_overdue_list ON escalation_deadline",
    "DROP TRIGGER escalation_deadline_deleted_keeps_overdue_list ON escalation_deadline",
    "DROP FUNCTION escalation_deadline_keeps_overdue_list()",
    "DROP TRIGGER escalation_dispute_keeps_overdue_list ON escalation_dispute",
    "DROP FUNCTION escalation_dispute_keeps_overdue_list()",
]

SQLITE = [
    f"""
    CREATE TRIGGER escalation_deadline_inserted_keeps_overdue_list AFTER INSERT ON escalation_deadline
    WHEN NEW.closed_at IS NULL AND NEW.breached_at IS NOT NULL
    BEGIN INSERT OR IGNORE INTO escalation_overduedispute ({COLUMNS}) {FROM_DISPUTE} WHERE dispute.id = NEW.dispute_id;
    END
    """,
    f"""
    CREATE TRIGGER escalation_deadline_updated_keeps_overdue_list AFTER UPDATE OF closed_at, breached_at, dispute_id
    ON escalation_deadline
    BEGIN
        DELETE FROM escalation_overduedispute
        WHERE dispute_id IN (OLD.dispute_id, NEW.dispute_id) AND NOT {OVERDUE.format(dispute="escalation_overduedispute.dispute_id")};
        INSERT OR IGNORE INTO escalation_overduedispute ({COLUMNS})
        {FROM_DISPUTE} WHERE dispute.id IN (OLD.dispute_id, NEW.dispute_id) AND {MISSED};
    END
    """,
    f"""
    CREATE TRIGGER escalation_deadline_deleted_keeps_overdue_list AFTER DELETE ON escalation_deadline
    WHEN OLD.closed_at IS NULL AND OLD.breached_at IS NOT NULL
    BEGIN
        DELETE FROM escalation_overduedispute
        WHERE dispute_id = OLD.dispute_id AND NOT {OVERDUE.format(dispute="escalation_overduedispute.dispute_id")};
    END
    """,
    """
    CREATE TRIGGER escalation_dispute_keeps_overdue_list AFTER UPDATE OF partnership_id, state, raised_at
    ON escalation_dispute
    BEGIN
        UPDATE escalation_overduedispute
        SET partnership_id = NEW.partnership_id, state = NEW.state, raised_at = NEW.raised_at
        WHERE dispute_id = NEW.id;
    END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER escalation_deadline_inserted_keeps_overdue_list",
    "DROP TRIGGER escalation_deadline_updated_keeps_overdue_list",
    "DROP TRIGGER escalation_deadline_deleted_keeps_overdue_list",
    "DROP TRIGGER escalation_dispute_keeps_overdue_list",
]

BACKFILL = f"INSERT INTO escalation_overduedispute ({COLUMNS}) {FROM_DISPUTE} WHERE {MISSED}"

#: The column's triggers, to drop them on the way in and bring them back on the way out.
COLUMN = importlib.import_module("escalation.migrations.0018_dispute_overdue")


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def _postgresql(schema_editor) -> bool:
    return schema_editor.connection.vendor == "postgresql"


def drop_column_triggers(apps, schema_editor) -> None:
    COLUMN.drop_triggers(apps, schema_editor)


def bring_back_column_triggers(apps, schema_editor) -> None:
    COLUMN.create_triggers(apps, schema_editor)


def create_triggers(apps, schema_editor) -> None:
    _run(schema_editor, [*(POSTGRESQL if _postgresql(schema_editor) else SQLITE), BACKFILL])


def drop_triggers(apps, schema_editor) -> None:
    _run(schema_editor, POSTGRESQL_REVERSE if _postgresql(schema_editor) else SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_text_limits"),
        ("escalation", "0019_dispute_agency_state_indexes"),
    ]

    operations = [
        migrations.RunPython(drop_column_triggers, bring_back_column_triggers),
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
                        related_name="overdue_listing",
                        serialize=False,
                        to="escalation.dispute",
                    ),
                ),
                ("state", models.CharField(max_length=50)),
                ("raised_at", models.DateTimeField()),
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
                "indexes": [
                    models.Index(fields=["partnership", "state", "raised_at", "dispute"], name="overdue_register")
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
