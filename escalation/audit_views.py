"""Who looked at a dispute: the audit trail of reads, for the partnership's business manager and chair."""

from django.db.models import QuerySet

from .models import AuditEvent, Dispute

#: Audit actions that mean someone read the dispute or took its record away.
VIEW_ACTIONS = ("dispute.viewed", "record.downloaded")

ACTION_LABELS = {
    "dispute.viewed": "Viewed the dispute",
    "record.downloaded": "Downloaded the written record",
}


def viewers_of(dispute: Dispute) -> QuerySet[AuditEvent]:
    """Every time someone viewed the dispute or downloaded its record, newest first, with who and when."""
    return (
        AuditEvent.objects.filter(dispute_id_value=dispute.pk, action__in=VIEW_ACTIONS)
        .select_related("actor")
        .order_by("-at", "-id")
    )
