"""The e-mails the mail server refused, found through an index of just them (a business manager's home page)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("escalation", "0023_hot_tables_write_fewer_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("email_status", "undeliverable")),
                fields=["dispute"],
                name="notification_undeliverable",
            ),
        ),
    ]
