"""A dispute's category and a stored record's form are checked against the dispute's policy version, not a
fixed list in code."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0004_waiting_on"),
        ("policies", "0002_policy_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dispute",
            name="category",
            field=models.CharField(help_text="One of its policy version's categories, by key.", max_length=40),
        ),
        migrations.AlterField(
            model_name="recordsnapshot",
            name="form",
            field=models.CharField(help_text="The policy's record form: templates/records/<form>.html.", max_length=30),
        ),
    ]
