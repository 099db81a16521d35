"""The app's models, one module per capability; Django finds them all through this index.

Import models from their own capability (`escalation.disputes.models`, ...), not from here.
"""

from escalation.access.models import DisputeAccess
from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
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
from escalation.records.models import RecordSnapshot

__all__ = [
    "AuditEvent",
    "Deadline",
    "Dispute",
    "DisputeAccess",
    "Notification",
    "Outcome",
    "Participant",
    "RecordEntry",
    "RecordSnapshot",
    "ReferenceCounter",
    "StageVisit",
    "Subject",
    "WaitingOn",
]
