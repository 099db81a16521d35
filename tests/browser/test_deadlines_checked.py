"""The register tells the business manager when deadlines were last checked, and warns when they are not
(issue 13, item 1): screenshots and axe-core (WCAG 2.2 AA) for both states."""

import datetime

import pytest
from django.utils import timezone

from escalation.deadlines.heartbeat import DEADLINE_SWEEP, JobHeartbeat
from tests.browser.conftest import Journey
from tests.conftest import build_world

pytestmark = pytest.mark.browser


def test_the_register_says_when_deadlines_were_last_checked(journey):
    world = build_world("bcssp", "CHECKED")
    world.raise_dispute(now=timezone.now())
    world.business_manager.totpdevice_set.create(name="Phone", confirmed=True)
    walk: Journey = journey("deadlines-checked")
    manager = walk.person("business-manager", world.business_manager)
    manager.sign_in()

    JobHeartbeat.objects.create(name=DEADLINE_SWEEP, last_started_at=timezone.now(), last_finished_at=timezone.now())
    manager.open("/register/", "register-deadlines-checked")
    line = manager.page.locator("#deadlines-checked")
    assert line.inner_text().startswith("Deadlines last checked at ")

    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    JobHeartbeat.objects.filter(name=DEADLINE_SWEEP).update(last_finished_at=an_hour_ago)
    manager.open("/register/", "register-deadlines-not-checked")
    warning = " ".join(manager.page.locator("#deadlines-checked").inner_text().split())
    assert "Warning" in warning and "Tell whoever runs this service." in warning

    walk.assert_clean()
