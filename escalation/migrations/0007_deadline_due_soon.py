import datetime

from django.db import migrations, models

from policies.calendar import WorkingCalendar


def fill_soon_at(apps, schema_editor):
    """Open deadlines get the moment they show as due soon, on their partnership's calendar."""
    Deadline = apps.get_model("escalation", "Deadline")
    ClosureDay = apps.get_model("agencies", "ClosureDay")
    calendars = {}
    rows = Deadline.objects.filter(closed_at__isnull=True, due_at__isnull=False).select_related(
        "rule", "dispute__partnership", "dispute__policy_version"
    )
    for row in rows:
        partnership = row.dispute.partnership
        if partnership.pk not in calendars:
            calendars[partnership.pk] = WorkingCalendar(
                nation=partnership.nation,
                closure_days=frozenset(
                    ClosureDay.objects.filter(partnership=partnership).values_list("date", flat=True)
                ),
                close_of_business=partnership.close_of_business,
            )
        days = row.dispute.policy_version.due_soon_working_days
        if row.rule.kind == "calendar_hours":
            row.soon_at = row.due_at - datetime.timedelta(days=days)
        else:
            row.soon_at = calendars[partnership.pk].working_days_before(row.due_at, max(days - 1, 0))
        row.save(update_fields=["soon_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0006_record_snapshot_drawn_after_commit"),
        ("policies", "0002_policy_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadline",
            name="soon_at",
            field=models.DateTimeField(
                blank=True,
                help_text="Shown as due soon from here (the policy's due-soon window before due_at).",
                null=True,
            ),
        ),
        migrations.RunPython(fill_soon_at, migrations.RunPython.noop),
    ]
