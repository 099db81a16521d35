"""On PostgreSQL the audit table refuses UPDATE and DELETE, whatever the application does."""

from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION escalation_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER escalation_auditevent_append_only
    BEFORE UPDATE OR DELETE ON escalation_auditevent
    FOR EACH ROW EXECUTE FUNCTION escalation_audit_append_only();
"""
ALLOW = """
DROP TRIGGER IF EXISTS escalation_auditevent_append_only ON escalation_auditevent;
DROP FUNCTION IF EXISTS escalation_audit_append_only();
"""


def forbid(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORBID, params=None)


def allow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW, params=None)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0001_initial")]
    operations = [migrations.RunPython(forbid, allow)]
