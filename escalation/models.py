"""The app's models, one module per capability; Django finds them all through this index.

Import models from their own capability (`escalation.disputes.models`, ...), not from here.
"""

from escalation.access.models import DisputeAccess
from escalation.audit.models import AuditEvent
from escalation.deadlines.heartbeat import JobHeartbeat
from escalation.deadlines.models import Deadline, OverdueDispute
from escalation.disputes.drafts import RaiseDraft
from escalation.disputes.models import (
    Dispute,
    Outcome,
    Participant,
    RecordEntry,
    ReferenceCounter,
    StageVisit,
    Subject,
    WaitingOn,
)
from escalation.notifications.models import Notification
from escalation.records.models import RecordSnapshot, RenderedRecord

__all__ = [
    "AuditEvent",
    "Deadline",
    "Dispute",
    "DisputeAccess",
    "JobHeartbeat",
    "Notification",
    "OverdueDispute",
    "Outcome",
    "Participant",
    "RaiseDraft",
    "RecordEntry",
    "RecordSnapshot",
    "RenderedRecord",
    "ReferenceCounter",
    "StageVisit",
    "Subject",
    "WaitingOn",
]
