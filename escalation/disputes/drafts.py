"""The answers of a dispute being raised, kept with the person rather than the session.

A session ends at sign-out or after SESSION_COOKIE_AGE idle; the answers must not end with it. They hold a
child's or adult's details, so they are kept for their owner only (one row a person, read only through
`draft_for(owner)`), for DRAFT_KEPT after the last answer, and deleted when the dispute is sent, when the
person starts again, or by the hourly cleanup (`clear_stale_drafts`, run with the expired sessions).
"""

import datetime

from django.conf import settings
from django.db import models

#: How long answers are kept after the last one was given. The start page says so.
DRAFT_KEPT = datetime.timedelta(hours=24)


class RaiseDraft(models.Model):
    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="raise_draft")
    answers = models.JSONField(default=dict)
    updated_at = models.DateTimeField(db_index=True)

    class Meta:
        app_label = "escalation"

    def __str__(self) -> str:
        return f"Answers of a dispute being raised (person {self.owner_id})"


def draft_for(owner, *, now: datetime.datetime) -> dict:
    """The owner's answers so far, or {} when there are none or they are older than DRAFT_KEPT."""
    draft = RaiseDraft.objects.filter(owner=owner, updated_at__gt=now - DRAFT_KEPT).first()
    return dict(draft.answers) if draft else {}


def save_draft(owner, answers: dict, *, now: datetime.datetime) -> None:
    RaiseDraft.objects.update_or_create(owner=owner, defaults={"answers": answers, "updated_at": now})


def discard_draft(owner) -> None:
    RaiseDraft.objects.filter(owner=owner).delete()


def clear_stale_drafts(*, now: datetime.datetime) -> int:
    """Delete every draft whose last answer is older than DRAFT_KEPT; returns how many went."""
    deleted, _ = RaiseDraft.objects.filter(updated_at__lte=now - DRAFT_KEPT).delete()
    return deleted
