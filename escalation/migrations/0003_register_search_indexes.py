"""Trigram indexes for the register's text search, on PostgreSQL only.

Django's `icontains` becomes `UPPER(column::text) LIKE UPPER(%s)`, so the indexes are on the same
expression. pg_trgm is a trusted extension: a database owner may create it.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS dispute_description_trgm
    ON escalation_dispute USING gin (UPPER(description::text) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS dispute_reference_trgm
    ON escalation_dispute USING gin (UPPER(reference::text) gin_trgm_ops);
"""
DROP = """
DROP INDEX IF EXISTS dispute_description_trgm;
DROP INDEX IF EXISTS dispute_reference_trgm;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0002_audit_append_only")]
    operations = [migrations.RunPython(create, drop)]
