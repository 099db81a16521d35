"""Everything held about one subject (a child or adult), for a subject access request.

Found by partnership and name (and date of birth when several people share the name). The export is
the subject rows, every dispute about them with all that was recorded, the notifications sent about
those disputes, the written records' metadata and the audit trail of who saw or changed them. Each
export is itself audited.
"""

import datetime
import hashlib
from typing import Any

from django.db import models
from django.utils import timezone

from agencies.models import Partnership
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.audit.models import AuditEvent
from escalation.disputes.models import Dispute, Outcome, Subject


class SubjectAccessError(Exception):
    """The export cannot be produced as asked; the message says what to change."""


def find_subjects(partnership: Partnership, name: str, date_of_birth: datetime.date | None = None) -> list[Subject]:
    """The subject rows matching the name (ignoring case and extra spaces) and date of birth if given.

    A subject row is made for each dispute, so one person may have several rows. Without a date of
    birth, rows with different dates of birth are different people: that is refused rather than
    exporting someone else's data.
    """
    wanted = " ".join(name.split()).casefold()
    if not wanted:
        raise SubjectAccessError("Give the subject's name.")
    rows = Subject.objects.filter(partnership=partnership).order_by("id")
    if date_of_birth is not None:
        rows = rows.filter(date_of_birth=date_of_birth)
    found = [row for row in rows if " ".join(row.name.split()).casefold() == wanted]
    if not found:
        raise SubjectAccessError(
            f"No subject of that name{' and date of birth' if date_of_birth else ''} in {partnership}."
        )
    births = {row.date_of_birth for row in found}
    if date_of_birth is None and len(births) > 1:
        raise SubjectAccessError(
            f"{len(births)} different people of that name have records in {partnership}: "
            "give their date of birth (--date-of-birth YYYY-MM-DD) to choose one."
        )
    return found


def _value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return value


def _row(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every stored field of a row; related rows by their readable name; binary content by size and hash."""
    data: dict[str, Any] = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in exclude:
            continue
        if model_field.is_relation:
            related = getattr(obj, model_field.name)
            data[model_field.name] = str(related) if related is not None else None
        elif isinstance(model_field, models.FileField):
            stored = getattr(obj, model_field.name)
            data[model_field.name] = stored.name or None
        else:
            data[model_field.name] = _value(getattr(obj, model_field.attname))
    return data


def _person(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _dispute(dispute: Dispute) -> dict[str, Any]:
    data = _row(dispute, exclude=("subject",))
    data["subject_id"] = dispute.subject_id
    data["raised_by"] = _person(dispute.raised_by)
    data["escalation_proposed_by"] = _person(dispute.escalation_proposed_by)
    data["policy"] = str(dispute.policy_version.policy.name)
    data["participants"] = [_row(p, exclude=("dispute",)) for p in dispute.participants.all()]
    data["stage_visits"] = [
        {**_row(v, exclude=("dispute",)), "entered_by": _person(v.entered_by), "approved_by": _person(v.approved_by)}
        for v in dispute.stage_visits.all()
    ]
    data["record_entries"] = [
        {**_row(e, exclude=("dispute",)), "author": _person(e.author)} for e in dispute.record_entries.all()
    ]
    outcome = Outcome.objects.filter(dispute=dispute).select_related("recorded_by").first()
    data["outcome"] = (
        {**_row(outcome, exclude=("dispute",)), "recorded_by": _person(outcome.recorded_by)} if outcome else None
    )
    data["deadlines"] = [{**_row(d, exclude=("dispute",)), "rule": d.rule.label} for d in dispute.deadlines.all()]
    data["notifications"] = [
        {**_row(n, exclude=("dispute", "deadline")), "recipient": _person(n.recipient)}
        for n in dispute.notifications.all()
    ]
    data["record_snapshots"] = [_row(s, exclude=("dispute",)) for s in dispute.record_snapshots.all()]
    data["audit_trail"] = [
        {
            "at": event.at.isoformat(),
            "action": event.action,
            "by": _person(event.actor) or event.actor_label,
            "before": event.before,
            "after": event.after,
        }
        for event in AuditEvent.objects.filter(dispute_id_value=dispute.pk).select_related("actor").order_by("at", "id")
    ]
    return data


def export_subject(
    *,
    partnership: Partnership,
    name: str,
    date_of_birth: datetime.date | None = None,
    actor=None,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Everything held about the subject, as plain data ready for JSON; the export is audited."""
    now = now or timezone.now()
    subjects = find_subjects(partnership, name, date_of_birth)
    disputes = list(
        Dispute.objects.filter(subject__in=subjects)
        .select_related("raised_by", "policy_version__policy", "raising_agency", "other_agency", "partnership")
        .order_by("raised_at", "id")
    )
    export = {
        "export": {
            "kind": "subject access export",
            "partnership": partnership.slug,
            "produced_at": now.isoformat(),
            "produced_by": actor.get_username() if actor is not None else "system",
            "name_searched": name,
            "date_of_birth_searched": date_of_birth.isoformat() if date_of_birth else None,
            "review_before_release": "Holds the names of professionals and agencies (third parties) and what "
            "they wrote: the data protection officer reviews it before it is released.",
        },
        "subjects": [_row(subject) for subject in subjects],
        "disputes": [_dispute(dispute) for dispute in disputes],
    }
    details = {"subject_ids": [subject.pk for subject in subjects]}
    for dispute in disputes:
        audit.record(
            actor, AuditEventType.SUBJECT_ACCESS_EXPORTED, dispute=dispute, obj=dispute.subject, after=details, now=now
        )
    audit.record(
        actor,
        AuditEventType.SUBJECT_ACCESS_EXPORTED,
        partnership=partnership,
        after={**details, "dispute_references": [dispute.reference for dispute in disputes]},
        now=now,
    )
    return export
