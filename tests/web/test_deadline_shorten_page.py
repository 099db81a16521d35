"""The deadline page: a manager of either agency brings a deadline forward; a guide is shown as a guide."""

import datetime

from django.urls import reverse
from django.utils import timezone

from escalation.deadlines.models import Deadline
from policies.calendar import LONDON
from tests.escalation.deadlines.timing_policy import timing_world
from tests.web.conftest import messages_of, page_text

REASON = "The child is due to move placement."


def form(moment: datetime.datetime, reason: str = REASON) -> dict:
    local = moment.astimezone(LONDON)
    return {
        "change": "shorten",
        "shorten-due_on_0": str(local.day),
        "shorten-due_on_1": str(local.month),
        "shorten-due_on_2": str(local.year),
        "shorten-due_time": local.strftime("%H:%M"),
        "shorten-reason": reason,
    }


def test_audit_9_11_the_page_shows_a_guide_and_a_manager_brings_it_forward(db, client_for):
    world = timing_world("PAGE")
    dispute = world.raise_dispute(now=timezone.now())
    row = dispute.deadlines.get(rule__name="guide", closed_at__isnull=True)
    url = reverse("dispute-deadline", args=[dispute.reference, row.pk])
    manager = client_for(world.team_manager)
    page = page_text(manager.get(url))
    assert "Bring the deadline forward" in page and "Extend the deadline" not in page
    assert "A guide: people are reminded of it, but it is never recorded as missed." in page
    detail = page_text(manager.get(reverse("dispute", args=[dispute.reference])))
    assert "A guide, not a deadline: reminded, never recorded as missed" in detail
    assert "To bring a deadline forward to protect the child or adult" in detail

    later = row.due_at + datetime.timedelta(days=1)
    response = manager.post(url, form(later))
    page = page_text(response)
    assert response.status_code == 200 and "must be before" in page, "a later moment is refused on the form"
    assert REASON in page, "and what was typed is kept"

    sooner = (timezone.now() + datetime.timedelta(hours=2)).replace(second=0, microsecond=0)
    response = manager.post(url, form(sooner))
    assert response.status_code == 302, page_text(response)
    assert any(message.startswith("Deadline brought forward") for message in messages_of(response))
    row = Deadline.objects.get(pk=row.pk)
    assert row.due_at == row.shortened_due_at == sooner


def test_a_practitioner_is_not_offered_it(db, client_for):
    world = timing_world("NOPE")
    dispute = world.raise_dispute(now=timezone.now())
    row = dispute.deadlines.get(rule__name="guide", closed_at__isnull=True)
    url = reverse("dispute-deadline", args=[dispute.reference, row.pk])
    response = client_for(world.teacher).get(url)
    assert response.status_code == 302
    assert client_for(world.teacher).post(url, form(row.due_at - datetime.timedelta(hours=1))).status_code == 200
    assert Deadline.objects.get(pk=row.pk).shortened_due_at is None
