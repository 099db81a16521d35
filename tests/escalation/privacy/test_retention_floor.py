"""A partnership cannot go below the retention floor, and every change to its retention period is audited
(issue 12, F9: a period of 0 days made the next daily run delete every closed dispute)."""

import pytest
from django.urls import reverse

from agencies.models import MIN_RETENTION_DAYS
from escalation.audit.models import AuditEvent
from escalation.privacy.retention import change_retention
from policies.runtime import ActionRefused
from tests.auth_helpers import login
from tests.conftest import build_world, london

NOW = london(2026, 3, 2, 10)


def partnership_form(partnership, **changes) -> dict:
    """The partnership's admin page as posted, with no closure days."""
    return {
        "name": partnership.name,
        "nation": partnership.nation,
        "policy": partnership.policy_id,
        "close_of_business": partnership.close_of_business.strftime("%H:%M:%S"),
        "default_stage_working_days": partnership.default_stage_working_days,
        "urgent_contacts": partnership.urgent_contacts,
        "retention_days": partnership.retention_days,
        "closure_days-TOTAL_FORMS": "0",
        "closure_days-INITIAL_FORMS": "0",
        "closure_days-MIN_NUM_FORMS": "0",
        "closure_days-MAX_NUM_FORMS": "1000",
    } | changes


@pytest.fixture
def world(db):
    world = build_world("banwell-buddies", "BAN")
    world.admin.is_staff = True
    world.admin.save()
    return world


@pytest.mark.parametrize("days", [0, 1, 30, MIN_RETENTION_DAYS - 1])
def test_the_service_refuses_a_period_below_the_floor(world, days):
    with pytest.raises(ActionRefused, match="at least"):
        change_retention(partnership=world.partnership, days=days, changed_by=world.admin, now=NOW)
    world.partnership.refresh_from_db()
    assert world.partnership.retention_days == 6 * 365
    assert not AuditEvent.objects.filter(action="partnership.retention_changed").exists()


def test_lengthening_then_shortening_is_audited_and_the_shortening_marked(world):
    change_retention(partnership=world.partnership, days=10 * 365, changed_by=world.admin, now=NOW)
    change_retention(partnership=world.partnership, days=MIN_RETENTION_DAYS, changed_by=world.admin, now=NOW)
    events = AuditEvent.objects.filter(action="partnership.retention_changed").order_by("id")
    assert [(e.before, e.after) for e in events] == [
        ({"retention_days": 6 * 365}, {"retention_days": 10 * 365, "lowered": False}),
        ({"retention_days": 10 * 365}, {"retention_days": MIN_RETENTION_DAYS, "lowered": True}),
    ]
    assert {e.actor for e in events} == {world.admin}


def test_the_admin_form_refuses_zero_days_and_keeps_the_period(client, world):
    login(client, world.admin)
    data = partnership_form(world.partnership, retention_days=0)
    response = client.post(reverse("admin:agencies_partnership_change", args=[world.partnership.pk]), data)
    assert response.status_code == 200
    assert "at least 6 years" in response.content.decode()
    world.partnership.refresh_from_db()
    assert world.partnership.retention_days == 6 * 365


def test_the_admin_form_saves_a_longer_period_through_the_audited_service(client, world):
    login(client, world.admin)
    data = partnership_form(world.partnership, retention_days=8 * 365)
    response = client.post(reverse("admin:agencies_partnership_change", args=[world.partnership.pk]), data)
    assert response.status_code == 302
    world.partnership.refresh_from_db()
    assert world.partnership.retention_days == 8 * 365
    assert AuditEvent.objects.get(action="partnership.retention_changed").actor == world.admin
