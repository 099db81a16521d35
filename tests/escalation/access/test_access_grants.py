"""People outside the two agencies whom a policy rule names: told, let in from that moment, shown and audited.

Nobody else outside the two agencies gains anything: not a holder never told, not the same office in another
partnership, not an inactive account, not someone inside the two agencies holding a role of the same name.
"""

import pytest
from django.urls import reverse

from agencies.models import Membership, Office, Role
from escalation.access.models import DisputeAccess
from escalation.access.services import add_office_holder, grant_access
from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.permissions import allowed_actions
from escalation.disputes.selectors import can_see, disputes_for
from escalation.notifications.models import Notification
from escalation.notifications.outbox import queue
from policies.models import NotificationRule
from tests.conftest import build_world, london
from tests.factories import UserFactory

RAISED = london(2026, 3, 2, 10)
PROPOSED = london(2026, 3, 3, 9)
APPROVED = london(2026, 3, 3, 11)


def hold(world, office: str, username: str, **user_fields):
    """A person with no agency role who holds `office` in the world's partnership."""
    user = UserFactory(username=username, **user_fields)
    add_office_holder(
        partnership=world.partnership, office=office, user=user, since=RAISED.date(), added_by=world.admin, now=RAISED
    )
    return user


def name_in_a_rule(world, *offices: str, stage: int = 2) -> NotificationRule:
    """A rule of the world's policy telling `offices` when the dispute enters `stage`."""
    recipients = [{"kind": "office", "office": office, "basis": None} for office in offices]
    if len(recipients) > 1:
        recipients = [{"kind": "any_of", "of": recipients, "basis": None}]
    return NotificationRule.objects.create(
        version=world.partnership.policy.current_version,
        event="stage_entered",
        stages=[stage],
        roles=list(offices),
        recipients=recipients,
        message="Read the dispute; you are named by the policy.",
    )


def to_stage_2(world, dispute):
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No reply.", now=PROPOSED)
    services.approve_escalation(dispute=dispute, approver=world.head, now=APPROVED)
    return dispute


@pytest.fixture
def home(db):
    return build_world("bcssp", "HOME")


@pytest.fixture
def nurse(home):
    name_in_a_rule(home, Office.DESIGNATED_NURSE)
    return hold(home, Office.DESIGNATED_NURSE, "home-nurse", first_name="Nia", last_name="Nurse")


def test_an_office_holder_named_by_a_rule_is_told_then_can_open_the_dispute_and_is_shown(home, nurse, client_for):
    dispute = home.raise_dispute(now=RAISED)
    client = client_for(nurse)
    page = reverse("dispute", kwargs={"reference": dispute.reference})
    assert client.get(page).status_code == 404, "before being told, the holder gets nothing"
    assert not can_see(nurse, dispute)

    to_stage_2(home, dispute)

    told = Notification.objects.get(dispute=dispute, recipient=nurse)
    assert (told.event, told.role) == ("stage_entered", Office.DESIGNATED_NURSE)
    access = DisputeAccess.objects.get(dispute=dispute, user=nurse)
    assert (access.office, access.granted_at) == (Office.DESIGNATED_NURSE, APPROVED)
    assert access.reason == told.headline
    response = client.get(page)
    assert response.status_code == 200
    text = response.content.decode()
    brought_in = text[text.index('id="brought-in"') :]
    assert "Nia Nurse" in brought_in and "Designated nurse" in brought_in and "3 March 2026" in brought_in
    assert list(disputes_for(nurse)) == [dispute]
    event = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="dispute.access_granted")
    assert event.after == {
        "user_id": nurse.pk,
        "username": "home-nurse",
        "office": "designated_nurse",
        "reason": told.headline,
    }
    assert event.at == APPROVED


def test_a_holder_brought_in_may_read_but_not_act(home, nurse, client_for):
    dispute = to_stage_2(home, home.raise_dispute(now=RAISED))
    assert allowed_actions(nurse, dispute) == set()
    client = client_for(nurse)
    told = Notification.objects.get(dispute=dispute, recipient=nurse)
    opened = client.get(reverse("notification-open", kwargs={"notification_id": told.pk}))
    assert opened.status_code == 302 and opened["Location"].endswith(dispute.reference + "/")
    record = client.get(reverse("dispute-record-pdf", kwargs={"reference": dispute.reference}))
    assert record.status_code == 200, "they can open the record they were sent"
    for name in ("dispute-escalate", "dispute-withdraw"):
        assert client.get(reverse(name, kwargs={"reference": dispute.reference})).status_code == 302, name
    dispute.refresh_from_db()
    entries, state = dispute.record_entries.count(), dispute.state
    client.post(
        reverse("dispute-add-entry", kwargs={"reference": dispute.reference}),
        {
            "kind": "discussion",
            "text": "Nurse note.",
            "occurred_on_0": "3",
            "occurred_on_1": "3",
            "occurred_on_2": "2026",
        },
    )
    client.post(reverse("dispute-escalate", kwargs={"reference": dispute.reference}), {"reason": "Nurse: escalate."})
    dispute.refresh_from_db()
    assert (dispute.record_entries.count(), dispute.state) == (entries, state)


def test_being_told_about_one_dispute_opens_that_one_only(home, nurse):
    told_about = to_stage_2(home, home.raise_dispute(now=RAISED))
    other = home.raise_dispute(now=RAISED)
    assert can_see(nurse, told_about)
    assert not can_see(nurse, other)


def test_the_same_office_in_another_partnership_gains_nothing(home, nurse, client_for):
    away = build_world("bcssp", "AWAY")
    away_nurse = hold(away, Office.DESIGNATED_NURSE, "away-nurse")
    dispute = to_stage_2(home, home.raise_dispute(now=RAISED))
    assert not Notification.objects.filter(recipient=away_nurse).exists()
    assert not DisputeAccess.objects.filter(user=away_nurse).exists()
    assert not can_see(away_nurse, dispute)
    assert client_for(away_nurse).get(reverse("dispute", kwargs={"reference": dispute.reference})).status_code == 404


def test_an_inactive_holder_is_not_told_and_an_earlier_grant_gives_nothing(home, nurse):
    first = to_stage_2(home, home.raise_dispute(now=RAISED))
    assert can_see(nurse, first)
    nurse.is_active = False
    nurse.save()
    assert not can_see(nurse, first), "a grant row of an inactive user gives nothing"
    second = to_stage_2(home, home.raise_dispute(now=RAISED))
    assert not Notification.objects.filter(dispute=second, recipient=nurse).exists()
    assert not DisputeAccess.objects.filter(dispute=second, user=nurse).exists()
    gap = Notification.objects.get(dispute=second, event="unfilled_role")
    assert gap.recipient == home.business_manager and "Designated nurse for the partnership" in gap.message


def test_a_role_of_the_same_name_inside_the_two_agencies_is_not_the_office(home):
    name_in_a_rule(home, Office.CP_CHAIR)
    Membership.objects.create(user=home.team_manager, agency=home.social_care, role=Role.CP_CHAIR)
    dispute = to_stage_2(home, home.raise_dispute(now=RAISED))
    assert not Notification.objects.filter(dispute=dispute, event="stage_entered", role=Office.CP_CHAIR).exists()
    assert not DisputeAccess.objects.exists()
    gap = Notification.objects.get(dispute=dispute, event="unfilled_role")
    assert "Child protection chair for the partnership" in gap.message


def test_and_or_offices_report_a_gap_only_when_none_is_held(home):
    dispute = home.raise_dispute(now=RAISED)
    offices = [Office.CP_CHAIR, Office.IRO]

    queue(dispute, "stage_entered", offices, "HOME: stage entered", APPROVED, any_of=True)
    gaps = Notification.objects.filter(dispute=dispute, event="unfilled_role")
    assert gaps.count() == 1 and gaps.get().recipient == home.business_manager
    assert "Child protection chair" in gaps.get().message and "Independent reviewing officer" in gaps.get().message

    chair = hold(home, Office.CP_CHAIR, "home-cp-chair")
    queue(dispute, "stage_entered", offices, "HOME: stage entered", APPROVED, any_of=True)
    assert gaps.count() == 1, "one alternative held: no new gap"
    assert Notification.objects.filter(dispute=dispute, recipient=chair, role=Office.CP_CHAIR).count() == 1
    assert can_see(chair, dispute)


def test_a_rule_naming_the_cp_chair_and_or_the_iro_brings_in_whoever_holds_them(home):
    name_in_a_rule(home, Office.CP_CHAIR, Office.IRO)
    chair = hold(home, Office.CP_CHAIR, "home-cp-chair")
    iros = [hold(home, Office.IRO, f"home-iro-{n}") for n in (1, 2)]
    dispute = to_stage_2(home, home.raise_dispute(now=RAISED))
    for person in (chair, *iros):
        assert Notification.objects.filter(dispute=dispute, recipient=person, event="stage_entered").exists()
        assert can_see(person, dispute)
    assert set(DisputeAccess.objects.values_list("user_id", "office")) == {
        (chair.pk, "cp_chair"),
        (iros[0].pk, "iro"),
        (iros[1].pk, "iro"),
    }


def test_granting_twice_keeps_one_row_and_one_audit_event(home, nurse):
    dispute = home.raise_dispute(now=RAISED)
    first = grant_access(dispute=dispute, user=nurse, reason="Told at stage 2", office="designated_nurse", now=RAISED)
    again = grant_access(dispute=dispute, user=nurse, reason="Told again", office="designated_nurse", now=APPROVED)
    assert again.pk == first.pk and again.granted_at == RAISED
    assert AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="dispute.access_granted").count() == 1


def test_a_holder_left_out_of_a_notification_is_not_brought_in(home, nurse):
    dispute = home.raise_dispute(now=RAISED)
    queue(dispute, "stage_entered", [Office.DESIGNATED_NURSE], "HOME: told", APPROVED, exclude=[nurse])
    assert not can_see(nurse, dispute)
