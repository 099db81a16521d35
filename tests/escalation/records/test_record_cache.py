"""The record as it stands is drawn once per change of what it shows, and served from there (issue 14, item 4).

Drawings are counted by wrapping `render.pdf_within_time_limit`, the one place a current record is drawn.
"""

import datetime

import pytest
from django.urls import reverse

from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.records import cache, render
from escalation.records.models import RenderedRecord
from tests.auth_helpers import login
from tests.conftest import london


@pytest.fixture
def drawings(monkeypatch):
    """The HTML of each record drawn while the test runs."""
    drawn: list[str] = []
    draw = render.pdf_within_time_limit

    def counting(html, **kwargs):
        drawn.append(html)
        return draw(html, **kwargs)

    monkeypatch.setattr(render, "pdf_within_time_limit", counting)
    return drawn


def download(client, dispute):
    response = client.get(reverse("dispute-record-pdf", args=[dispute.reference]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    return response.content


def test_twenty_downloads_of_an_unchanged_dispute_cost_one_drawing(client, tscp, drawings):
    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    login(client, tscp.social_worker)
    pdfs = {download(client, dispute) for _ in range(20)}
    assert len(drawings) == 1
    assert len(pdfs) == 1, "every download is handed the same bytes"
    assert RenderedRecord.objects.filter(dispute=dispute).count() == 1
    assert AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="record.downloaded").count() == 20


def test_a_change_the_record_shows_draws_it_again_once(client, tscp, drawings):
    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    login(client, tscp.social_worker)
    before = download(client, dispute)
    services.add_record_entry(
        dispute=dispute,
        author=tscp.teacher,
        kind="discussion",
        text="Spoke with the social worker; a strategy discussion is booked.",
        occurred_on=datetime.date(2026, 3, 3),
        now=london(2026, 3, 3, 11),
    )
    after = download(client, dispute)
    again = download(client, dispute)
    assert len(drawings) == 2
    assert after != before and after == again
    assert "a strategy discussion is booked" in drawings[-1]
    assert RenderedRecord.objects.filter(dispute=dispute).count() == 1, "the record before the change is replaced"


def test_a_renamed_agency_changes_the_record_so_it_is_drawn_again(client, tscp, drawings):
    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    login(client, tscp.social_worker)
    download(client, dispute)
    tscp.school.name = "Renamed Primary School"
    tscp.school.save()
    download(client, dispute)
    assert len(drawings) == 2 and "Renamed Primary School" in drawings[-1]


def test_the_moment_of_production_alone_does_not_change_the_digest(tscp):
    from escalation.records.content import build_record

    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    form = render.form_for(dispute.policy_version)
    morning = build_record(dispute, form=form, now=london(2026, 3, 3, 9))
    evening = build_record(dispute, form=form, now=london(2026, 3, 3, 18))
    assert morning.produced_at != evening.produced_at
    assert cache.content_key(morning) == cache.content_key(evening)
