"""When each scheduled job (the deadline sweep) last started and finished, for /readyz and the register."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0012_audit_recorded_at'),
    ]

    operations = [
        migrations.CreateModel(
            name='JobHeartbeat',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=50, unique=True)),
                ('last_started_at', models.DateTimeField(blank=True, null=True)),
                ('last_finished_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
    ]
