"""A policy's form requirements: which record a stage needs, who receives it, and drawing it after commit.

Meeting a requirement happens inside the change that met it (the service's transaction, holding the dispute's
row lock), so there it only writes down that a record is owed: a pending snapshot and its audit event. Drawing
the PDF can take seconds, so it waits until that change has committed: a Celery task when Redis is there,
otherwise straight after the commit in the same process. The record shows the dispute as it was when the
requirement was met; once it is stored its recipients are told where to read it in the app. The PDF never
travels by e-mail. A snapshot left pending (Redis down, a worker lost) is drawn by the every-minute catch-up.

A requirement is met on any trigger the policy names (its `event` at its `stage`): a stage entered, a stage
reached or passed (so a dispute started above a stage still registers it), an escalation proposed, a resolution,
immediate harm flagged. Its recipients are kept as the policy names them (the raiser, a stage's actors, a role, an
office, alternatives) and found when the record is ready (`escalation.notifications.outbox.people_for`).
"""

from __future__ import annotations

import datetime
import logging
from functools import partial
from typing import TYPE_CHECKING

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, transaction

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.notifications.outbox import as_recipients, queue_recipients
from escalation.records import render
from escalation.records.content import AsAt
from escalation.records.models import RecordSnapshot
from policies.models import FormRequirement
from policies.runtime.conditions import condition_holds
from policies.schema import role_recipients

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute

logger = logging.getLogger(__name__)

EVENT = "record_required"

#: The Celery task that draws one pending snapshot (escalation.tasks), named so this layer need not import it.
RENDER_TASK = "escalation.render_record_snapshot"
#: The catch-up leaves a pending snapshot this long to the task queued at commit before drawing it itself.
CATCH_UP_AFTER = datetime.timedelta(minutes=2)
#: Snapshots drawn per catch-up run; each may take seconds, and the next run takes the rest.
CATCH_UP_BATCH = 20

READY = RecordSnapshot.Status.READY
FAILED = RecordSnapshot.Status.FAILED
#: What `render_snapshot` says when there was nothing for it to do: drawn already, or removed with its dispute.
GONE = "gone"


def requirement_key(requirement: FormRequirement) -> str:
    """One record per form, event and stage: the business manager and a designated nurse share one snapshot."""
    return f"{requirement.form}:{requirement.event}:stage-{requirement.stage}"


def recipients_of(requirement: FormRequirement) -> list[dict]:
    """Whom the requirement's record goes to; a row written before recipients were stored names one role."""
    return list(requirement.recipients) or role_recipients([requirement.recipient_role])


def _owe(dispute: Dispute, requirement: FormRequirement, key: str, recipients: list, now) -> RecordSnapshot | None:
    """The new pending snapshot, or None when one already exists for this requirement (a concurrent first writer)."""
    try:
        with transaction.atomic():
            return RecordSnapshot.objects.create(
                dispute=dispute,
                form=requirement.form,
                requirement_key=key,
                stage_number=requirement.stage,
                produced_at=now,
                status=RecordSnapshot.Status.PENDING,
                dispute_state=dispute.state,
                recipient_roles=recipients,
            )
    except IntegrityError:
        return None


def fulfil_form_requirements(
    dispute: Dispute, event: str, stage_number: int, now: datetime.datetime
) -> list[RecordSnapshot]:
    """Write down each record the policy requires at this moment, once; each is drawn after this transaction commits.

    A requirement met a second time (the stage entered again) finds its snapshot and does nothing: the
    record of the first moment stands and nobody is told twice.
    """
    met: dict[str, list[FormRequirement]] = {}
    for requirement in dispute.policy_version.form_requirements.filter(event=event, stage=stage_number):
        if condition_holds(requirement.condition, dispute):
            met.setdefault(requirement_key(requirement), []).append(requirement)
    owed = []
    for key, requirements in met.items():
        if RecordSnapshot.objects.filter(dispute=dispute, requirement_key=key).exists():
            continue
        first = requirements[0]
        recipients = _unique([recipient for r in requirements for recipient in recipients_of(r)])
        snapshot = _owe(dispute, first, key, recipients, now)
        if snapshot is None:
            continue
        audit.record(
            None,
            AuditEventType.RECORD_REQUIRED,
            dispute=dispute,
            obj=snapshot,
            after={"form": first.form, "requirement": key, "recipients": recipients},
            now=now,
        )
        owed.append(snapshot)
    if owed:
        transaction.on_commit(partial(_draw_after_commit, [snapshot.pk for snapshot in owed], now))
    return owed


def _unique(recipients: list[dict]) -> list[dict]:
    """Each recipient once, in order (two requirements sharing a record may name the same person)."""
    found: list[dict] = []
    for recipient in recipients:
        if recipient not in found:
            found.append(recipient)
    return found


def _draw_after_commit(snapshot_ids: list[int], now: datetime.datetime) -> None:
    """Hand the snapshots to a worker, or without Redis draw them here; whatever is missed the catch-up draws.

    Drawn here, `now` (the moment of the change, a moment ago) is the time of the audit event and the notification.
    """
    for snapshot_id in snapshot_ids:
        try:
            if settings.REDIS_URL:
                current_app.send_task(RENDER_TASK, args=[snapshot_id])
            else:
                render_snapshot(snapshot_id=snapshot_id, now=now)
        except Exception:  # noqa: BLE001 - broker errors come from kombu, redis and socket alike; the change committed
            logger.warning("record %s is left pending for the catch-up to draw", snapshot_id, exc_info=True)


def render_snapshot(*, snapshot_id: int, now: datetime.datetime) -> str:
    """Draw a pending snapshot of the dispute as it was at its `produced_at`, store it, then tell its recipients.

    Runs outside any transaction while drawing, so nothing is locked for the seconds WeasyPrint takes. Two
    runs drawing the same snapshot at once (the task and the catch-up) store it once: the second finds it no
    longer pending. Returns READY, FAILED, or GONE when there was nothing to do.
    """
    snapshot = (
        RecordSnapshot.objects.defer("pdf")
        .select_related(
            "dispute__partnership",
            "dispute__policy_version__policy",
            "dispute__subject",
            "dispute__raising_agency",
            "dispute__other_agency",
            "dispute__raised_by",
        )
        .filter(pk=snapshot_id, status=RecordSnapshot.Status.PENDING)
        .first()
    )
    if snapshot is None:
        return GONE
    dispute = snapshot.dispute
    as_at = AsAt(snapshot.produced_at, snapshot.dispute_state or dispute.state, snapshot.stage_number)
    try:
        html = render.render_html(dispute, form=snapshot.form, now=snapshot.produced_at, as_at=as_at)
        pdf = render.pdf_within_time_limit(html)
    except Exception:  # noqa: BLE001 - WeasyPrint fails in many ways, and none may stop the escalation
        # A record that cannot be drawn must not stop an escalation about a child's safety: the people
        # who should have had it are told to download the current record instead, and it is logged.
        logger.exception("record %s for %s could not be produced", snapshot.requirement_key, dispute.reference)
        return _fail(snapshot, now)
    return _keep(snapshot, pdf, now)


@transaction.atomic
def _keep(snapshot: RecordSnapshot, pdf: bytes, now: datetime.datetime) -> str:
    pending = RecordSnapshot.objects.filter(pk=snapshot.pk, status=RecordSnapshot.Status.PENDING)
    if not pending.update(status=READY, pdf=pdf):
        return GONE
    dispute = snapshot.dispute
    recipients = as_recipients(snapshot.recipient_roles)
    audit.record(
        None,
        AuditEventType.RECORD_PRODUCED,
        dispute=dispute,
        obj=snapshot,
        after={"form": snapshot.form, "requirement": snapshot.requirement_key, "recipients": recipients},
        now=now,
    )
    queue_recipients(
        dispute,
        EVENT,
        recipients,
        f"{dispute.reference}: {snapshot.title} for stage {snapshot.stage_number} is ready to read",
        now,
        message="It is not attached to this message: open the dispute and find it under Written records.",
        stage=snapshot.stage_number,
    )
    return READY


@transaction.atomic
def _fail(snapshot: RecordSnapshot, now: datetime.datetime) -> str:
    pending = RecordSnapshot.objects.filter(pk=snapshot.pk, status=RecordSnapshot.Status.PENDING)
    if not pending.update(status=FAILED):
        return GONE
    dispute = snapshot.dispute
    audit.record(
        None,
        AuditEventType.RECORD_FAILED,
        dispute=dispute,
        obj=snapshot,
        after={"form": snapshot.form, "requirement": snapshot.requirement_key},
        now=now,
    )
    queue_recipients(
        dispute,
        EVENT,
        as_recipients(snapshot.recipient_roles),
        f"{dispute.reference}: {snapshot.title} for stage {snapshot.stage_number} could not be saved",
        now,
        message="Open the dispute and download the record as it stands now instead, under Written records.",
        stage=snapshot.stage_number,
    )
    return FAILED


def render_pending_records(*, now: datetime.datetime) -> dict[str, int]:
    """Draw the snapshots still pending a while after they were asked for (the task was lost or never queued)."""
    waiting = RecordSnapshot.objects.filter(status=RecordSnapshot.Status.PENDING, produced_at__lte=now - CATCH_UP_AFTER)
    ids = list(waiting.order_by("produced_at", "id").values_list("pk", flat=True)[:CATCH_UP_BATCH])
    done = {READY: 0, FAILED: 0}
    for snapshot_id in ids:
        outcome = render_snapshot(snapshot_id=snapshot_id, now=now)
        if outcome in done:
            done[outcome] += 1
    return {"ready": done[READY], "failed": done[FAILED]}
