"""Each audit event carries the moment the database wrote it, which no INSERT can choose (issue 12, F5)."""

import django.db.models.functions.datetime
from django.db import migrations, models

STAMP = """
CREATE OR REPLACE FUNCTION escalation_audit_recorded_now() RETURNS trigger AS $$
BEGIN
    NEW.recorded_at := clock_timestamp();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER escalation_auditevent_recorded_now
    BEFORE INSERT ON escalation_auditevent
    FOR EACH ROW EXECUTE FUNCTION escalation_audit_recorded_now();
"""
UNSTAMP = """
DROP TRIGGER IF EXISTS escalation_auditevent_recorded_now ON escalation_auditevent;
DROP FUNCTION IF EXISTS escalation_audit_recorded_now();
"""


def stamp(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(STAMP, params=None)


def unstamp(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNSTAMP, params=None)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0011_text_limits")]
    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="recorded_at",
            field=models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), editable=False),
        ),
        migrations.RunPython(stamp, unstamp),
    ]
