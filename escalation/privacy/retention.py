"""Removing finished disputes once the partnership's retention period has passed.

A dispute is past retention when it was closed or withdrawn more than `Partnership.retention_days`
ago. Removing it deletes everything recorded about it (entries, outcome, stage visits, deadlines,
notifications, record snapshots) and its subject when no other dispute is about the same subject row.
The audit trail is kept: audit events name the dispute by reference and id, not by a foreign key,
and a `dispute.removed` event records the removal itself.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import MIN_RETENTION_DAYS, Partnership
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.disputes.models import Dispute, Subject
from policies.runtime import ActionRefused
from policies.vocabulary import DisputeState

FINISHED_STATES = (DisputeState.CLOSED, DisputeState.WITHDRAWN)


def retention_cutoff(partnership: Partnership, now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=partnership.retention_days)


def past_retention(partnership: Partnership, now: datetime.datetime) -> QuerySet[Dispute]:
    return Dispute.objects.filter(
        partnership=partnership,
        state__in=FINISHED_STATES,
        closed_at__isnull=False,
        closed_at__lt=retention_cutoff(partnership, now),
    ).order_by("closed_at", "id")


@dataclass
class Removal:
    reference: str
    state: str
    closed_at: datetime.datetime
    removed: bool = False
    error: str = ""


@dataclass
class RetentionRun:
    partnership: Partnership
    dry_run: bool
    cutoff: datetime.datetime
    removals: list[Removal] = field(default_factory=list)

    @property
    def failed(self) -> list[Removal]:
        return [removal for removal in self.removals if removal.error]


def _counts(dispute: Dispute) -> dict[str, int]:
    return {
        "participants": dispute.participants.count(),
        "stage_visits": dispute.stage_visits.count(),
        "record_entries": dispute.record_entries.count(),
        "deadlines": dispute.deadlines.count(),
        "notifications": dispute.notifications.count(),
        "record_snapshots": dispute.record_snapshots.count(),
        "outcome": Dispute.objects.filter(pk=dispute.pk, outcome__isnull=False).count(),
    }


@transaction.atomic
def remove_dispute(dispute: Dispute, *, now: datetime.datetime, actor=None) -> bool:
    """Removes one dispute past retention; False when it no longer qualifies (reopened, already gone)."""
    locked = past_retention(dispute.partnership, now).select_for_update().filter(pk=dispute.pk).first()
    if locked is None:
        return False
    subject = locked.subject
    audit.record(
        actor,
        AuditEventType.DISPUTE_REMOVED,
        dispute=locked,
        obj=locked,
        before={
            "state": locked.state,
            "stage": locked.current_stage,
            "raised_at": locked.raised_at.isoformat(),
            "closed_at": locked.closed_at.isoformat(),
            **_counts(locked),
        },
        after={"reason": "retention period passed", "retention_days": locked.partnership.retention_days},
        now=now,
    )
    locked.delete()
    if not Dispute.objects.filter(subject=subject).exists():
        Subject.objects.filter(pk=subject.pk).delete()
    return True


def apply_retention(
    *,
    now: datetime.datetime | None = None,
    dry_run: bool = False,
    partnerships: QuerySet[Partnership] | None = None,
    actor=None,
) -> list[RetentionRun]:
    """Lists (dry run) or removes every dispute past retention, partnership by partnership.

    Each removal is its own transaction, so one that fails (say, a row something else protects) is
    reported and the rest still go.
    """
    now = now or timezone.now()
    runs = []
    for partnership in partnerships if partnerships is not None else Partnership.objects.all():
        run = RetentionRun(partnership=partnership, dry_run=dry_run, cutoff=retention_cutoff(partnership, now))
        for dispute in past_retention(partnership, now).select_related("partnership"):
            removal = Removal(reference=dispute.reference, state=dispute.state, closed_at=dispute.closed_at)
            if not dry_run:
                try:
                    removal.removed = remove_dispute(dispute, now=now, actor=actor)
                except Exception as exc:  # reported per dispute; the others still go
                    removal.error = f"{type(exc).__name__}: {exc}"
            run.removals.append(removal)
        if run.removals:
            audit.record(
                actor,
                AuditEventType.RETENTION_LISTED if dry_run else AuditEventType.RETENTION_APPLIED,
                partnership=partnership,
                after={
                    "cutoff": run.cutoff.isoformat(),
                    "retention_days": partnership.retention_days,
                    "references": [removal.reference for removal in run.removals],
                    "removed": [removal.reference for removal in run.removals if removal.removed],
                    "failed": [removal.reference for removal in run.failed],
                },
                now=now,
            )
        runs.append(run)
    return runs


@transaction.atomic
def change_retention(*, partnership: Partnership, days: int, changed_by, now: datetime.datetime) -> Partnership:
    """Set how long the partnership keeps closed disputes; never below the floor, and every change audited (a
    shortened period is marked, since the next daily run removes more)."""
    if days < MIN_RETENTION_DAYS:
        raise ActionRefused(
            f"Keep closed disputes for at least {MIN_RETENTION_DAYS} days (6 years): no partnership may go below that."
        )
    locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
    before = locked.retention_days
    if before == days:
        return locked
    locked.retention_days = days
    locked.save(update_fields=["retention_days"])
    audit.record(
        changed_by,
        AuditEventType.RETENTION_CHANGED,
        partnership=locked,
        obj=locked,
        before={"retention_days": before},
        after={"retention_days": days, "lowered": days < before},
        now=now,
    )
    partnership.retention_days = days
    return locked
