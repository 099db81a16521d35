"""Alternatives in a recipient (issue 15, finding 10): City & Hackney's "CP chair and/or IRO" is one post to fill, so
the business manager hears of one gap, and only when neither office is held. Already right on main since the
runtime's recipients work: kept as a regression test of the seed policy end to end."""

from agencies.models import Office
from escalation.notifications.models import Notification
from tests.conftest import build_world, london

RAISED = london(2026, 3, 2, 10, 0)


def escalated_with_a_child_on_a_plan(world):
    subject = {"kind": "child", "name": "Child A", "child_protection_plan": True}
    dispute = world.raise_dispute(now=RAISED, subject=subject)
    return world.escalate(dispute, london(2026, 3, 3, 10, 0))


def gaps(dispute) -> list[str]:
    return list(Notification.objects.filter(dispute=dispute, event="unfilled_role").values_list("message", flat=True))


def test_neither_office_held_is_one_gap_naming_both(db):
    world = build_world("chscp", "CHA")
    dispute = escalated_with_a_child_on_a_plan(world)
    assert dispute.current_stage == 2
    about_offices = [gap for gap in gaps(dispute) if "Child protection chair" in gap or "reviewing officer" in gap]
    assert len(about_offices) == 1, about_offices
    assert "Child protection chair" in about_offices[0] and "Independent reviewing officer" in about_offices[0]


def test_one_office_held_is_no_gap_and_its_holder_is_told(db):
    world = build_world("chscp", "CHB")
    iro = world.holder(Office.IRO)
    dispute = escalated_with_a_child_on_a_plan(world)
    assert not [gap for gap in gaps(dispute) if "Child protection chair" in gap or "reviewing officer" in gap]
    assert Notification.objects.filter(dispute=dispute, recipient=iro, event="stage_reached").count() == 1
