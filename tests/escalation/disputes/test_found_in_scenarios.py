"""Defects the shipped scenarios found in who is told, pinned on stored disputes."""

import datetime

from escalation.disputes import services
from escalation.notifications.models import Notification
from tests.conftest import build_world, london


def _told(dispute, *users) -> set[str]:
    rows = Notification.objects.filter(dispute=dispute, recipient__in=users)
    return set(rows.values_list("recipient__username", flat=True))


def test_a_dispute_started_at_the_settings_internal_stage_does_not_ask_the_other_agency_yet(db):
    world = build_world("banwell-buddies", "BAN")
    dispute = world.raise_dispute()
    assert dispute.policy_version.stages.get(number=dispute.current_stage).sides != "both"
    assert _told(dispute, world.social_worker, world.team_manager, world.service_manager) == set()


def test_a_resolution_is_told_to_the_people_who_took_part_not_every_practitioner(db):
    world = build_world("chscp", "HAC")
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10))
    services.add_record_entry(
        dispute=dispute,
        author=world.social_worker,
        kind="discussion",
        text="We spoke on the phone.",
        occurred_on=datetime.date(2026, 3, 2),
        now=london(2026, 3, 2, 11),
    )
    dispute.refresh_from_db()
    services.record_resolution(
        dispute=dispute,
        recorded_by=world.teacher,
        agreed_outcome="An assessment will be done.",
        decided_on=datetime.date(2026, 3, 3),
        now=london(2026, 3, 3, 9),
    )
    told = set(
        Notification.objects.filter(dispute=dispute, event="resolved_at_stage").values_list(
            "recipient__username", flat=True
        )
    )
    assert world.social_worker.username in told
    assert world.teacher.username not in told, "not the person who recorded it"
    assert world.outsider.username not in told


def test_the_raiser_is_not_told_that_their_own_dispute_entered_its_first_stage(db):
    world = build_world("bs3-early-education", "BS3")
    dispute = world.raise_dispute()
    assert not Notification.objects.filter(
        dispute=dispute, recipient=world.teacher, event__in=["stage_entered", "stage_reached"]
    ).exists()
