"""Categories, the record form, notices and the raise journey's urgent wording become policy data.

Versions already loaded keep what they had: their category keys get the labels the app gave them, and
their record form is the one their first form requirement named (else the general record), with the title
its template used to print.
"""

from django.db import migrations, models

LABELS = {
    "levels_of_need": "Levels of need or referral decisions",
    "roles_and_responsibilities": "Roles and responsibilities",
    "need_for_action": "The need for action",
    "communication": "Communication",
    "progressing_plans": "Progressing plans or care planning",
}
TITLES = {
    "appendix_2": "Appendix 2: Registration of use of Escalation Procedure Pro-forma",
    "record_of_escalation": "Professional Differences Record of Escalation",
    "general": "Record of a professional disagreement",
}


def forwards(apps, schema_editor):
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    FormRequirement = apps.get_model("policies", "FormRequirement")
    for version in PolicyVersion.objects.all():
        version.categories = [
            {"key": key, "label": LABELS.get(key, key)} if isinstance(key, str) else key for key in version.categories
        ]
        first = FormRequirement.objects.filter(version=version).order_by("stage", "id").first()
        form = first.form if first is not None and first.form in TITLES else "general"
        version.record_form = form
        version.record_form_title = TITLES[form]
        version.save(update_fields=["categories", "record_form", "record_form_title"])


def backwards(apps, schema_editor):
    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    for version in PolicyVersion.objects.all():
        version.categories = [item["key"] if isinstance(item, dict) else item for item in version.categories]
        version.save(update_fields=["categories"])


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="policyversion",
            name="due_soon_working_days",
            field=models.PositiveSmallIntegerField(default=2, help_text="A deadline this close is shown as due soon."),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="notices",
            field=models.JSONField(
                default=dict, help_text='Headline and message by event ("raised", "resolved", "withdrawn").'
            ),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="record_form",
            field=models.CharField(
                default="general", help_text="The record's template: templates/records/<key>.html.", max_length=30
            ),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="record_form_title",
            field=models.CharField(default="Record of a professional disagreement", max_length=200),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="urgent_question_hint",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="urgent_route_heading",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="policyversion",
            name="urgent_route_text",
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name="policyversion",
            name="categories",
            field=models.JSONField(default=list, help_text='What disputes can be about: [{"key": ..., "label": ...}].'),
        ),
        migrations.AlterField(
            model_name="formrequirement",
            name="form",
            field=models.CharField(
                help_text="The version's record form: templates/records/<form>.html.", max_length=30
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
