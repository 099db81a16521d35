"""The overdue trigger (0018) looks up a dispute's other deadlines only when one stops being missed.

A deadline that becomes missed (open and breached) makes its dispute overdue whatever its other deadlines say, so
that dispute is set overdue directly. Only a deadline that stops being missed (closed, extended, deleted or moved to
another dispute) needs the question asked again of the dispute's remaining deadlines. Before, every changed row
asked it; for a batch of breaches PostgreSQL answered by reading every missed deadline in the table (a hashed
subplan), so the sweep's marking slowed as missed deadlines accumulated.

PostgreSQL only: SQLite's triggers (one a row) are unchanged.
"""

from importlib import import_module

from django.db import migrations

overdue_0018 = import_module("escalation.migrations.0018_dispute_overdue")
OVERDUE = overdue_0018.OVERDUE
MISSED = "{row}.closed_at IS NULL AND {row}.breached_at IS NOT NULL"
STILL_MISSED_HERE = (
    "{row}.closed_at IS NULL AND {row}.breached_at IS NOT NULL AND old_row.dispute_id = new_row.dispute_id"
)

FUNCTION = f"""
CREATE OR REPLACE FUNCTION escalation_deadline_keeps_overdue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE escalation_dispute SET overdue = TRUE
        WHERE id IN (SELECT dispute_id FROM new_rows WHERE {MISSED.format(row="new_rows")})
          AND NOT overdue;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE escalation_dispute SET overdue = {OVERDUE}
        WHERE id IN (SELECT dispute_id FROM old_rows WHERE {MISSED.format(row="old_rows")})
          AND overdue;
    ELSE
        -- Missed now, and not already missed for the same dispute: that dispute is overdue.
        UPDATE escalation_dispute SET overdue = TRUE
        WHERE id IN (
            SELECT new_row.dispute_id
            FROM new_rows AS new_row JOIN old_rows AS old_row ON old_row.id = new_row.id
            WHERE {MISSED.format(row="new_row")} AND NOT ({STILL_MISSED_HERE.format(row="old_row")})
        )
          AND NOT overdue;
        -- Missed before, and no longer missed for that dispute: ask its remaining deadlines.
        UPDATE escalation_dispute SET overdue = {OVERDUE}
        WHERE id IN (
            SELECT old_row.dispute_id
            FROM new_rows AS new_row JOIN old_rows AS old_row ON old_row.id = new_row.id
            WHERE {MISSED.format(row="old_row")} AND NOT ({STILL_MISSED_HERE.format(row="new_row")})
        )
          AND overdue;
    END IF;
    RETURN NULL;
END
$$
"""


def replace_function(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)


def restore_function(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        before = overdue_0018.POSTGRESQL[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        schema_editor.execute(before, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0021_notification_recipient_index"),
    ]

    operations = [migrations.RunPython(replace_function, restore_function)]
