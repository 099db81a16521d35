"""Record snapshots are written as pending inside the change that asks for them and drawn after it commits.

Snapshots stored before this were drawn there and then: they are ready.
"""

from django.db import migrations, models


def mark_stored_snapshots_ready(apps, schema_editor):
    RecordSnapshot = apps.get_model("escalation", "RecordSnapshot")
    RecordSnapshot.objects.filter(pdf__isnull=False).update(status="ready")


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0005_category_and_record_form_are_policy_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="recordsnapshot",
            name="dispute_state",
            field=models.CharField(
                blank=True,
                choices=[
                    ("raised", "Raised"),
                    ("in_discussion", "In discussion"),
                    ("awaiting_approval", "Awaiting escalation approval"),
                    ("resolved", "Resolved"),
                    ("closed", "Closed"),
                    ("withdrawn", "Withdrawn"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="recordsnapshot",
            name="recipient_roles",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="recordsnapshot",
            name="status",
            field=models.CharField(
                choices=[("pending", "Being prepared"), ("ready", "Ready"), ("failed", "Could not be produced")],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="recordsnapshot",
            name="pdf",
            field=models.BinaryField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="recordsnapshot",
            index=models.Index(
                condition=models.Q(("status", "pending")), fields=["produced_at"], name="record_snapshot_pending"
            ),
        ),
        migrations.AddConstraint(
            model_name="recordsnapshot",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "ready"), _negated=True), ("pdf__isnull", False), _connector="OR"
                ),
                name="ready_snapshot_has_pdf",
            ),
        ),
        # Last, so that no ALTER TABLE follows the update in the migration's transaction.
        migrations.RunPython(mark_stored_snapshots_ready, migrations.RunPython.noop),
    ]
