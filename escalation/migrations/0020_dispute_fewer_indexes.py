"""Five fewer indexes to write on every change of a dispute.

The partnership and agency columns lose their own indexes: the register's and the home page's composite indexes
start with them, and PostgreSQL answers a lookup by one of them from those. The escalation columns, empty for
most disputes, are indexed only where set. The old indexes are dropped by name, not by altering the fields: on
SQLite altering a field rebuilds the table, which the deadline table's triggers (0018) would stop.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

#: Each field's own index, as Django named it when the field was made.
DROPPED = {
    "partnership": ("partnership_id", "escalation_dispute_partnership_id_c530f0d7"),
    "raising_agency": ("raising_agency_id", "escalation_dispute_raising_agency_id_2848e379"),
    "other_agency": ("other_agency_id", "escalation_dispute_other_agency_id_20fd796c"),
    "escalation_proposed_by": ("escalation_proposed_by_id", "escalation_dispute_escalation_proposed_by_id_bdb35958"),
    "escalation_side": ("escalation_side_id", "escalation_dispute_escalation_side_id_948b5695"),
}


def dropped(field: str) -> migrations.RunSQL:
    column, name = DROPPED[field]
    return migrations.RunSQL(f"DROP INDEX {name}", reverse_sql=f"CREATE INDEX {name} ON escalation_dispute ({column})")


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_text_limits"),
        ("escalation", "0019_dispute_agency_state_indexes"),
        ("policies", "0003_policy_language"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[dropped(field) for field in DROPPED],
            state_operations=[
                migrations.AlterField(
                    model_name="dispute",
                    name="escalation_proposed_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="dispute",
                    name="escalation_side",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="agencies.agency",
                    ),
                ),
                migrations.AlterField(
                    model_name="dispute",
                    name="other_agency",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="disputes_received",
                        to="agencies.agency",
                    ),
                ),
                migrations.AlterField(
                    model_name="dispute",
                    name="partnership",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="disputes",
                        to="agencies.partnership",
                    ),
                ),
                migrations.AlterField(
                    model_name="dispute",
                    name="raising_agency",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="disputes_raised",
                        to="agencies.agency",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="dispute",
            index=models.Index(
                condition=models.Q(("escalation_proposed_by__isnull", False)),
                fields=["escalation_proposed_by"],
                name="dispute_proposed_by",
            ),
        ),
        migrations.AddIndex(
            model_name="dispute",
            index=models.Index(
                condition=models.Q(("escalation_side__isnull", False)),
                fields=["escalation_side"],
                name="dispute_escalation_side",
            ),
        ),
    ]
