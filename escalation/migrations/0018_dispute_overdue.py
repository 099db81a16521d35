"""A dispute's `overdue` flag, kept by the database from its deadlines.

The flag is true exactly while one of the dispute's open deadlines has been breached (closed_at empty, breached_at
set). Triggers on the deadline table keep it so whichever path writes a deadline: the sweep's set-based update,
the services' saves, bulk updates, deletes. On PostgreSQL one trigger a statement reads the statement's rows
(transition tables) and updates only the disputes whose answer may have changed; on SQLite (the embedded
default) one trigger a row does the same.
"""

from django.db import migrations, models

OVERDUE = (
    "EXISTS (SELECT 1 FROM escalation_deadline AS deadline WHERE deadline.dispute_id = escalation_dispute.id "
    "AND deadline.closed_at IS NULL AND deadline.breached_at IS NOT NULL)"
)

POSTGRESQL = [
    f"""
    CREATE FUNCTION escalation_deadline_keeps_overdue() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE escalation_dispute SET overdue = {OVERDUE}
            WHERE id IN (SELECT dispute_id FROM new_rows WHERE closed_at IS NULL AND breached_at IS NOT NULL)
              AND NOT overdue;
        ELSIF TG_OP = 'DELETE' THEN
            UPDATE escalation_dispute SET overdue = {OVERDUE}
            WHERE id IN (SELECT dispute_id FROM old_rows WHERE closed_at IS NULL AND breached_at IS NOT NULL)
              AND overdue;
        ELSE
            -- Only the rows whose own answer changed (or that moved to another dispute) can change a dispute's.
            UPDATE escalation_dispute SET overdue = {OVERDUE}
            WHERE id IN (
                SELECT unnest(ARRAY[old_row.dispute_id, new_row.dispute_id])
                FROM new_rows AS new_row JOIN old_rows AS old_row ON old_row.id = new_row.id
                WHERE (new_row.closed_at IS NULL AND new_row.breached_at IS NOT NULL)
                          <> (old_row.closed_at IS NULL AND old_row.breached_at IS NOT NULL)
                   OR new_row.dispute_id <> old_row.dispute_id
            )
              AND overdue <> {OVERDUE};
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER escalation_deadline_inserted_keeps_overdue AFTER INSERT ON escalation_deadline
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION escalation_deadline_keeps_overdue()
    """,
    """
    CREATE TRIGGER escalation_deadline_updated_keeps_overdue AFTER UPDATE ON escalation_deadline
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION escalation_deadline_keeps_overdue()
    """,
    """
    CREATE TRIGGER escalation_deadline_deleted_keeps_overdue AFTER DELETE ON escalation_deadline
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION escalation_deadline_keeps_overdue()
    """,
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER escalation_deadline_inserted_keeps_overdue ON escalation_deadline",
    "DROP TRIGGER escalation_deadline_updated_keeps_overdue ON escalation_deadline",
    "DROP TRIGGER escalation_deadline_deleted_keeps_overdue ON escalation_deadline",
    "DROP FUNCTION escalation_deadline_keeps_overdue()",
]

SQLITE = [
    f"""
    CREATE TRIGGER escalation_deadline_inserted_keeps_overdue AFTER INSERT ON escalation_deadline
    WHEN NEW.closed_at IS NULL AND NEW.breached_at IS NOT NULL
    BEGIN UPDATE escalation_dispute SET overdue = {OVERDUE} WHERE id = NEW.dispute_id; END
    """,
    f"""
    CREATE TRIGGER escalation_deadline_updated_keeps_overdue AFTER UPDATE OF closed_at, breached_at, dispute_id
    ON escalation_deadline
    BEGIN UPDATE escalation_dispute SET overdue = {OVERDUE} WHERE id IN (OLD.dispute_id, NEW.dispute_id); END
    """,
    f"""
    CREATE TRIGGER escalation_deadline_deleted_keeps_overdue AFTER DELETE ON escalation_deadline
    WHEN OLD.closed_at IS NULL AND OLD.breached_at IS NOT NULL
    BEGIN UPDATE escalation_dispute SET overdue = {OVERDUE} WHERE id = OLD.dispute_id; END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER escalation_deadline_inserted_keeps_overdue",
    "DROP TRIGGER escalation_deadline_updated_keeps_overdue",
    "DROP TRIGGER escalation_deadline_deleted_keeps_overdue",
]

BACKFILL = f"UPDATE escalation_dispute SET overdue = TRUE WHERE {OVERDUE}"


def _run(schema_editor, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, [*(POSTGRESQL if postgresql else SQLITE), BACKFILL])


def drop_triggers(apps, schema_editor) -> None:
    _run(schema_editor, POSTGRESQL_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0017_deadline_notice_owed"),
    ]

    operations = [
        migrations.AddField(
            model_name="dispute",
            name="overdue",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.AddIndex(
            model_name="dispute",
            index=models.Index(
                condition=models.Q(("overdue", True)),
                fields=["partnership", "state", "raised_at", "id"],
                name="dispute_register_overdue",
            ),
        ),
    ]
