"""A deadline row says whether its rule is a guide, so the sweep's breach index leaves out guides past their due
moment (never breached): with nothing due, the sweep is one probe of each index (issue 14)."""

from django.db import migrations, models


def mark_guides(apps, schema_editor):
    Deadline = apps.get_model("escalation", "Deadline")
    Deadline.objects.filter(rule__strength="guide").update(guide=True)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0014_register_indexes_and_rendered_records"),
        ("policies", "0003_policy_language"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="deadline", name="deadline_breach_due"),
        migrations.AddField(
            model_name="deadline",
            name="guide",
            field=models.BooleanField(
                default=False,
                help_text="Its rule is a guide (reminded, never breached); kept on the row so the sweep's index "
                "leaves it out.",
            ),
        ),
        migrations.RunPython(mark_guides, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="deadline",
            index=models.Index(
                condition=models.Q(
                    ("breached_at__isnull", True),
                    ("closed_at__isnull", True),
                    ("guide", False),
                    ("paused_at__isnull", True),
                ),
                fields=["due_at"],
                name="deadline_breach_due",
            ),
        ),
    ]
