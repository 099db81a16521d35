"""A policy's form requirements: which record a stage needs, and who receives it.

When a requirement is met the record is produced there and then, stored as an unchangeable snapshot of that
moment, and the recipient roles are told where to read it in the app. The PDF never travels by e-mail.
This runs inside the service's transaction, so the snapshot, the notification and the change that caused
them are written together or not at all.
"""

from __future__ import annotations

import datetime
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from escalation.audit import trail as audit
from escalation.notifications.outbox import queue
from escalation.records.models import RecordSnapshot
from escalation.records.render import html_to_pdf, render_html
from policies.models import FormRequirement
from policies.runtime.conditions import condition_holds

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute

logger = logging.getLogger(__name__)

EVENT = "record_required"


def requirement_key(requirement: FormRequirement) -> str:
    """One record per form, event and stage: the business manager and a designated nurse share one snapshot."""
    return f"{requirement.form}:{requirement.event}:stage-{requirement.stage}"


def record_link(reference: str, snapshot: RecordSnapshot | None = None) -> str:
    """The address of a record in the app (sign-in needed), for messages that may go by e-mail."""
    path = reverse("dispute-record-pdf", args=[reference])
    query = f"?snapshot={snapshot.pk}" if snapshot is not None else ""
    return f"{settings.SITE_URL.rstrip('/')}{path}{query}"


def _store(dispute: Dispute, requirement: FormRequirement, key: str, pdf: bytes, now) -> RecordSnapshot | None:
    """The new snapshot, or None when one already exists for this requirement (a concurrent first writer)."""
    try:
        with transaction.atomic():
            return RecordSnapshot.objects.create(
                dispute=dispute,
                form=requirement.form,
                requirement_key=key,
                stage_number=requirement.stage,
                produced_at=now,
                pdf=pdf,
            )
    except IntegrityError:
        return None


def fulfil_form_requirements(
    dispute: Dispute, event: str, stage_number: int, now: datetime.datetime
) -> list[RecordSnapshot]:
    """Produce each record the policy requires at this moment, once, and tell its recipients where it is.

    A requirement met a second time (the stage entered again) finds its snapshot and does nothing: the
    record of the first moment stands and nobody is told twice.
    """
    met: dict[str, list[FormRequirement]] = {}
    for requirement in dispute.policy_version.form_requirements.filter(event=event, stage=stage_number):
        if condition_holds(requirement.condition, dispute):
            met.setdefault(requirement_key(requirement), []).append(requirement)
    produced = []
    for key, requirements in met.items():
        if RecordSnapshot.objects.filter(dispute=dispute, requirement_key=key).exists():
            continue
        first = requirements[0]
        roles = list(dict.fromkeys(r.recipient_role for r in requirements))
        html = render_html(dispute, form=first.form, now=now)
        try:
            pdf = html_to_pdf(html)
        except Exception:
            # A record that cannot be drawn must not stop an escalation about a child's safety: the people
            # who should have had it are told to download the current record instead, and it is logged.
            logger.exception("record %s for %s could not be produced", key, dispute.reference)
            _tell_failed(dispute, first, roles, key, now)
            continue
        snapshot = _store(dispute, first, key, pdf, now)
        if snapshot is None:
            continue
        audit.record(
            None,
            "record.produced",
            dispute=dispute,
            obj=snapshot,
            after={"form": first.form, "requirement": key, "recipients": roles},
            now=now,
        )
        link = record_link(dispute.reference, snapshot)
        queue(
            dispute,
            EVENT,
            roles,
            f"{dispute.reference}: {first.get_form_display()} for stage {stage_number} is ready to read",
            now,
            message=f"Sign in to read it; it is not attached to this message: {link}",
        )
        produced.append(snapshot)
    return produced


def _tell_failed(dispute: Dispute, requirement: FormRequirement, roles: list[str], key: str, now) -> None:
    audit.record(None, "record.failed", dispute=dispute, after={"form": requirement.form, "requirement": key}, now=now)
    queue(
        dispute,
        EVENT,
        roles,
        f"{dispute.reference}: {requirement.get_form_display()} for stage {requirement.stage} could not be saved",
        now,
        message=f"Sign in to download the current record instead: {record_link(dispute.reference)}",
    )
