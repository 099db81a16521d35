"""Who looked at a dispute: the audit trail of reads, for the partnership's business manager and chair."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from escalation.audit.events import WHO_LOOKED_EVENTS
from escalation.audit.models import AuditEvent

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


def viewers_of(dispute: Dispute) -> QuerySet[AuditEvent]:
    """Every time someone viewed the dispute or downloaded its record, newest first, with who and when."""
    return (
        AuditEvent.objects.filter(dispute_id_value=dispute.pk, action__in=WHO_LOOKED_EVENTS)
        .select_related("actor")
        .order_by("-at", "-id")
    )
