"""`escalation.bulk.insert`: the sweep's way of writing many rows at once writes exactly what `bulk_create` writes.

On PostgreSQL the rows travel as COPY text, so every value that text could misread is tried: the escape character,
tabs and line breaks in a value, the text of the NULL marker itself, empty strings, JSON with quotes and non-ASCII
letters, an IP address, true and false, moments, and NULLs.
"""

import datetime

from django.forms.models import model_to_dict

from escalation import bulk
from escalation.audit.models import AuditEvent
from escalation.notifications.models import Notification
from tests.conftest import london

AWKWARD = ["back\\slash", "tab\there", "two\nlines", "carriage\rreturn", "\\N", "", "\\t not a tab", "Zoë’s “notes”"]
MOMENT = london(2026, 3, 30, 17, 1)


def stored(model, pks: list[int]) -> list[dict]:
    rows = model.objects.filter(pk__in=pks).order_by("pk")
    return [{k: v for k, v in model_to_dict(row).items() if k != "id"} for row in rows]


def audit_events(world, text: str) -> list[AuditEvent]:
    return [
        AuditEvent(
            at=MOMENT,
            actor=world.teacher if i % 2 else None,
            actor_label=text,
            action="deadline_breached",
            partnership=world.partnership,
            dispute_reference=text[:30],
            object_type="deadline",
            object_id=str(i),
            before=None,
            after={"said": text, "nested": [1, None, True, {"é": text}], "at": "2026-03-30T16:01:00+00:00"}
            if i
            else text,
            ip_address="2001:db8::1" if i % 2 else "192.0.2.7",
            user_agent=text,
        )
        for i in range(3)
    ]


def test_audit_rows_with_awkward_values_are_stored_as_bulk_create_stores_them(bcssp):
    for text in AWKWARD:
        copied = bulk.insert(AuditEvent, audit_events(bcssp, text))
        created = AuditEvent.objects.bulk_create(audit_events(bcssp, text))
        assert all(row.pk for row in copied)
        assert stored(AuditEvent, [r.pk for r in copied]) == stored(AuditEvent, [r.pk for r in created])
        assert stored(AuditEvent, [copied[1].pk])[0]["actor_label"] == text


def test_outbox_rows_get_ids_in_order_and_keep_their_values(bcssp):
    dispute = bcssp.raise_dispute(now=MOMENT)
    rows = [
        Notification(
            dispute=dispute,
            recipient=bcssp.teacher,
            event="deadline_breached",
            role="raiser",
            headline=text,
            message=f"{text}\n{text}",
            created_at=MOMENT,
            read_at=None if i % 2 else MOMENT + datetime.timedelta(minutes=i),
            email_status=Notification.EmailStatus.PENDING,
            email_attempts=i,
            email_next_attempt_at=MOMENT,
        )
        for i, text in enumerate(AWKWARD)
    ]
    written = bulk.insert(Notification, rows)
    ids = [row.pk for row in written]
    assert ids == sorted(ids) and len(set(ids)) == len(rows)
    assert [row["headline"] for row in stored(Notification, ids)] == AWKWARD
    assert [row["message"] for row in stored(Notification, ids)] == [f"{t}\n{t}" for t in AWKWARD]
    assert [row["email_attempts"] for row in stored(Notification, ids)] == list(range(len(AWKWARD)))
    # The table's own sequence gave the ids: the next row saved the ordinary way follows them.
    later = Notification.objects.create(
        dispute=dispute, recipient=bcssp.teacher, event="raised", headline="Later", created_at=MOMENT
    )
    assert later.pk > max(ids)
    assert not bulk.insert(Notification, [])
