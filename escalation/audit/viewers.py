"""Who looked at a dispute: the audit trail of reads, for the partnership's business manager and chair."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from escalation.audit.models import AuditEvent

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute

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
