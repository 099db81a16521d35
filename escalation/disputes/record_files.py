"""Handing out a record: to a signed-in reader (a download) or to an operator (the render_record command).

Both are audited. The caller fetches the dispute through the access rule first (escalation.selectors);
nothing here widens who may see what.
"""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.disputes.models import Dispute
from escalation.disputes.selectors import can_see
from escalation.records.cache import current_pdf
from escalation.records.models import RecordSnapshot
from escalation.records.render import filename_for, form_for


class RecordNotFound(LookupError):
    """No such dispute, or no such snapshot of it."""


class RecordNotReady(RecordNotFound):
    """A stored snapshot that is still being drawn, or could not be drawn: there is no PDF to hand out."""


@dataclass(frozen=True)
class RecordFile:
    filename: str
    pdf: bytes
    form: str
    snapshot_id: int | None = None


def snapshots_of(dispute: Dispute) -> QuerySet[RecordSnapshot]:
    """The records stored for `dispute`, oldest first, without their PDF bytes (for listing on its page)."""
    return dispute.record_snapshots.defer("pdf").order_by("produced_at", "id")


def _snapshot(dispute: Dispute, snapshot_id: int) -> RecordSnapshot:
    snapshot = dispute.record_snapshots.filter(pk=snapshot_id).first()
    if snapshot is None:
        raise RecordNotFound(f"{dispute.reference} has no stored record {snapshot_id}.")
    return snapshot


def record_file(dispute: Dispute, *, snapshot_id: int | None = None, now: datetime.datetime) -> RecordFile:
    """A stored snapshot of `dispute`, or its record as of now (drawn once per change of what it shows).

    RecordNotFound if the snapshot is not one of its own; RecordNotReady if it has no PDF (yet).
    """
    if snapshot_id is not None:
        snapshot = _snapshot(dispute, snapshot_id)
        if snapshot.is_pending:
            raise RecordNotReady(f"{dispute.reference}'s record {snapshot_id} is still being prepared; try again soon.")
        if not snapshot.is_ready:
            raise RecordNotReady(
                f"{dispute.reference}'s record {snapshot_id} could not be produced; use the record as it stands now."
            )
        name = filename_for(dispute.reference, snapshot.form, snapshot.stage_number)
        return RecordFile(name, bytes(snapshot.pdf), snapshot.form, snapshot.pk)
    form = form_for(dispute.policy_version)
    return RecordFile(filename_for(dispute.reference, form), current_pdf(dispute, form=form, now=now), form)


def _audit_details(record: RecordFile, **extra) -> dict:
    return {"form": record.form, "snapshot": record.snapshot_id, "filename": record.filename, **extra}


def download_record(
    *, dispute: Dispute, user, snapshot_id: int | None = None, now: datetime.datetime | None = None
) -> RecordFile:
    """The record for a reader who may see `dispute`; audited as `record.downloaded`."""
    now = now or timezone.now()
    if not can_see(user, dispute):
        raise RecordNotFound(f"No dispute has the reference {dispute.reference}.")
    record = record_file(dispute, snapshot_id=snapshot_id, now=now)
    audit.record(
        user, AuditEventType.RECORD_DOWNLOADED, dispute=dispute, obj=dispute, after=_audit_details(record), now=now
    )
    return record


def export_record(
    *, reference: str, snapshot_id: int | None = None, now: datetime.datetime | None = None
) -> RecordFile:
    """The record for an operator at the command line; audited as a system action, `record.exported`."""
    now = now or timezone.now()
    dispute = (
        Dispute.objects.select_related(
            "partnership", "policy_version", "subject", "raising_agency", "other_agency", "raised_by"
        )
        .filter(reference=reference)
        .first()
    )
    if dispute is None:
        raise RecordNotFound(f"No dispute has the reference {reference}.")
    record = record_file(dispute, snapshot_id=snapshot_id, now=now)
    details = _audit_details(record, via="manage.py render_record")
    audit.record(None, AuditEventType.RECORD_EXPORTED, dispute=dispute, obj=dispute, after=details, now=now)
    return record
