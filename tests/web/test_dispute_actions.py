"""The actions on a dispute's page: each done by whoever may, refused for everyone else with nothing changed."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.deadlines.models import Deadline
from escalation.disputes import services
from escalation.disputes.models import Dispute, Outcome, RecordEntry
from tests.conftest import build_world
from tests.factories import UserFactory
from tests.web.conftest import messages_of, page_text

ACTIONS = [
    "dispute-add-entry",
    "dispute-escalate",
    "dispute-decide",
    "dispute-resolve",
    "dispute-close",
    "dispute-withdraw",
]


def is_checked(html: str, name: str, value: str) -> bool:
    return re.search(rf'name="{name}"[^>]*value="{value}"[^>]*checked', html) is not None


def today_fields(prefix: str) -> dict[str, str]:
    today = timezone.localdate()
    return {f"{prefix}_0": str(today.day), f"{prefix}_1": str(today.month), f"{prefix}_2": str(today.year)}


def action_url(name: str, dispute) -> str:
    return reverse(name, args=[dispute.reference])


def snapshot(dispute) -> tuple:
    dispute.refresh_from_db()
    return (
        dispute.state,
        dispute.current_stage,
        dispute.record_entries.count(),
        dispute.stage_visits.count(),
        Outcome.objects.filter(dispute=dispute).exists(),
        list(dispute.deadlines.values_list("pk", "due_at", "extended_days", "paused_at", "manual_due_at")),
    )


def awaiting_approval(world):
    dispute = world.raise_dispute()
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No reply.")
    dispute.refresh_from_db()
    return dispute


VALID = {
    "dispute-add-entry": lambda: {"kind": "discussion", "text": "Spoke to them.", **today_fields("occurred_on")},
    "dispute-escalate": lambda: {"reason": "Still no agreement."},
    "dispute-decide": lambda: {"decision": "approve"},
    "dispute-resolve": lambda: {
        "agreed_outcome": "An assessment starts.",
        "convened": "neither",
        **today_fields("decided_on"),
    },
    "dispute-close": lambda: {},
    "dispute-withdraw": lambda: {"reason": "No longer needed."},
}


# Outsiders: a 404 on every action, GET and POST, and nothing changes.


@pytest.mark.parametrize("name", ACTIONS)
def test_outsiders_get_not_found_on_every_action_and_nothing_changes(bcssp, client_for, name):
    dispute = awaiting_approval(bcssp)
    before = snapshot(dispute)
    away = build_world("tscp", "AWAY")
    for user in (bcssp.outsider, bcssp.admin, away.business_manager, UserFactory()):
        client = client_for(user)
        assert client.get(action_url(name, dispute)).status_code == 404
        assert client.post(action_url(name, dispute), VALID[name]()).status_code == 404
    assert snapshot(dispute) == before


def test_outsiders_get_not_found_on_a_deadline_too(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    row = dispute.deadlines.first()
    before = snapshot(dispute)
    deadline_url = reverse("dispute-deadline", args=[dispute.reference, row.pk])
    client = client_for(bcssp.outsider)
    assert client.get(deadline_url).status_code == 404
    assert client.post(deadline_url, {"change": "pause", "pause-reason": "x"}).status_code == 404
    assert snapshot(dispute) == before


def test_signed_out_posts_change_nothing(bcssp):
    dispute = bcssp.raise_dispute()
    before = snapshot(dispute)
    for name in ACTIONS:
        response = Client().post(action_url(name, dispute), VALID[name]())
        assert response["Location"].startswith(reverse("login"))
    assert snapshot(dispute) == before


# Adding a record.


def test_either_side_adds_a_record_and_the_dispute_moves_into_discussion(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    client = client_for(bcssp.social_worker)
    assert client.get(action_url("dispute-add-entry", dispute)).status_code == 200
    response = client.post(action_url("dispute-add-entry", dispute), VALID["dispute-add-entry"]())
    assert response["Location"] == reverse("dispute", args=[dispute.reference])
    assert "Your record has been added to the dispute." in messages_of(response)
    entry = RecordEntry.objects.get(dispute=dispute)
    assert (entry.author, entry.agency, entry.text) == (bcssp.social_worker, bcssp.social_care, "Spoke to them.")
    dispute.refresh_from_db()
    assert dispute.state == "in_discussion"


def test_a_record_with_errors_is_shown_again_with_what_was_typed(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    response = client_for(bcssp.teacher).post(
        action_url("dispute-add-entry", dispute),
        {"kind": "action", "text": "", "occurred_on_0": "30", "occurred_on_1": "2", "occurred_on_2": "2026"},
    )
    html = page_text(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in html and "Enter what happened" in html
    assert "When did it happen? must be a real date" not in html
    assert "Date it happened must be a real date" in html
    assert is_checked(html, "kind", "action") and not is_checked(html, "kind", "discussion")
    assert 'value="30"' in html
    assert not RecordEntry.objects.exists()


def test_a_record_cannot_be_dated_in_the_future(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(bcssp.teacher).post(
        action_url("dispute-add-entry", dispute),
        {
            "kind": "action",
            "text": "Later",
            "occurred_on_0": tomorrow.day,
            "occurred_on_1": tomorrow.month,
            "occurred_on_2": tomorrow.year,
        },
    )
    assert "Date it happened must be today or in the past" in page_text(response)
    assert not RecordEntry.objects.exists()


# Escalation: propose, approve, decline, and two managers at once.


def test_a_practitioner_proposes_escalation_and_it_waits_for_a_manager(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    client = client_for(bcssp.teacher)
    page = page_text(client.get(action_url("dispute-escalate", dispute)))
    assert "The next stage is stage 2: Manager to manager." in page
    response = client.post(action_url("dispute-escalate", dispute), {"reason": "No reply in two days."})
    assert "Escalation proposed. A manager has been asked to approve it." in messages_of(response)
    dispute.refresh_from_db()
    assert (dispute.state, dispute.escalation_reason) == ("awaiting_approval", "No reply in two days.")


def test_proposing_without_a_reason_is_an_error_and_changes_nothing(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    before = snapshot(dispute)
    response = client_for(bcssp.teacher).post(action_url("dispute-escalate", dispute), {"reason": "  "})
    assert "Enter why the dispute needs to go to the next stage" in page_text(response)
    assert snapshot(dispute) == before


def test_a_manager_of_the_escalating_agency_approves(bcssp, client_for):
    dispute = awaiting_approval(bcssp)
    client = client_for(bcssp.head)
    page = page_text(client.get(action_url("dispute-decide", dispute)))
    assert "No reply." in page and "Stage 2: Manager to manager" in page
    response = client.post(action_url("dispute-decide", dispute), {"decision": "approve"})
    assert response["Location"] == reverse("dispute", args=[dispute.reference])
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == ("in_discussion", 2)


def test_declining_needs_a_reason_and_keeps_the_choice(bcssp, client_for):
    dispute = awaiting_approval(bcssp)
    before = snapshot(dispute)
    client = client_for(bcssp.head)
    response = client.post(action_url("dispute-decide", dispute), {"decision": "decline", "reason": ""})
    html = page_text(response)
    assert "Enter why you are declining the escalation" in html
    assert is_checked(html, "decision", "decline") and not is_checked(html, "decision", "approve")
    assert snapshot(dispute) == before
    response = client.post(action_url("dispute-decide", dispute), {"decision": "decline", "reason": "Talk again."})
    assert "declined" in messages_of(response)[0]
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == ("in_discussion", 1)


@pytest.mark.parametrize("persona", ["teacher", "social_worker", "team_manager", "business_manager", "chair"])
def test_people_who_may_not_decide_are_refused_and_nothing_changes(bcssp, client_for, persona):
    dispute = awaiting_approval(bcssp)
    before = snapshot(dispute)
    client = client_for(getattr(bcssp, persona))
    response = client.get(action_url("dispute-decide", dispute))
    assert response["Location"] == reverse("dispute", args=[dispute.reference])
    assert "Only a manager of the escalating agency" in messages_of(response)[0]
    response = client.post(action_url("dispute-decide", dispute), {"decision": "approve"})
    assert response.status_code == 200
    assert "Only a manager of the escalating agency" in page_text(response)
    assert snapshot(dispute) == before


def test_when_two_managers_decide_at_once_the_second_is_told_it_is_already_decided(bcssp, client_for):
    dispute = awaiting_approval(bcssp)
    head, senior = client_for(bcssp.head), client_for(bcssp.senior)
    assert head.get(action_url("dispute-decide", dispute)).status_code == 200
    assert senior.get(action_url("dispute-decide", dispute)).status_code == 200
    head.post(action_url("dispute-decide", dispute), {"decision": "approve"})
    after_first = snapshot(dispute)
    response = senior.post(action_url("dispute-decide", dispute), {"decision": "decline", "reason": "No."})
    html = page_text(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "already been decided" in html
    assert snapshot(dispute) == after_first
    assert after_first[:2] == ("in_discussion", 2)


def test_deciding_from_the_approvals_queue_goes_back_to_it(bcssp, client_for):
    dispute = awaiting_approval(bcssp)
    response = client_for(bcssp.head).post(
        action_url("dispute-decide", dispute), {"decision": "approve", "return_to": "approvals"}
    )
    assert response["Location"] == reverse("approvals")


def test_a_return_address_other_than_the_queue_is_ignored(bcssp, client_for):
    dispute = awaiting_approval(bcssp)
    response = client_for(bcssp.head).post(
        action_url("dispute-decide", dispute), {"decision": "approve", "return_to": "https://evil.example"}
    )
    assert response["Location"] == reverse("dispute", args=[dispute.reference])


def test_a_binding_final_stage_cannot_be_escalated(bcssp, client_for):
    dispute = bcssp.raise_dispute(immediate_harm=True, start_stage=3)
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="Up")
    services.approve_escalation(dispute=dispute, approver=bcssp.director)
    dispute.refresh_from_db()
    assert dispute.current_stage == 4
    before = snapshot(dispute)
    client = client_for(bcssp.teacher)
    response = client.get(action_url("dispute-escalate", dispute))
    assert "final and binding" in messages_of(response)[0]
    response = client.post(action_url("dispute-escalate", dispute), {"reason": "Again"})
    assert "final and binding" in page_text(response)
    assert snapshot(dispute) == before


# Resolution, closing and withdrawal.


def test_resolution_is_recorded_then_the_dispute_is_closed(bcssp, client_for):
    """BCSSP stage 1 ends in a resolution both agencies confirm: recorded by one, it waits for the other, then it
    can be closed."""
    dispute = bcssp.raise_dispute()
    client = client_for(bcssp.social_worker)
    response = client.post(
        action_url("dispute-resolve", dispute),
        {
            "agreed_outcome": "Joint visit on Friday.",
            "outstanding_actions": "Send minutes.",
            "convened": "mediation",
            **today_fields("decided_on"),
        },
    )
    assert "Resolution recorded. It counts once the other agency confirms it: they have been told." in messages_of(
        response
    )
    outcome = Outcome.objects.get(dispute=dispute)
    assert (outcome.agreed_outcome, outcome.convened, outcome.recorded_by) == (
        "Joint visit on Friday.",
        "mediation",
        bcssp.social_worker,
    )
    dispute.refresh_from_db()
    assert dispute.state == "awaiting_confirmation"
    confirm_url = action_url("dispute-confirm-resolution", dispute)
    close_url = action_url("dispute-close", dispute)
    html = page_text(client.get(reverse("dispute", args=[dispute.reference])))
    assert "Joint visit on Friday." in html and "It counts once BCSSP Primary School confirms it." in html
    assert confirm_url not in html and close_url not in html
    teacher = client_for(bcssp.teacher)
    html = page_text(teacher.get(reverse("dispute", args=[dispute.reference])))
    assert confirm_url in html and close_url not in html
    html = page_text(teacher.get(confirm_url))
    assert "Joint visit on Friday." in html and "It counts once BCSSP Primary School confirms it." in html
    response = teacher.post(confirm_url, {})
    assert "Resolution confirmed. The dispute is resolved and both agencies have been told." in messages_of(response)
    dispute.refresh_from_db()
    assert dispute.state == "resolved"
    html = page_text(client.get(reverse("dispute", args=[dispute.reference])))
    assert "Joint visit on Friday." in html and "It counts once" not in html and close_url in html
    response = client.post(action_url("dispute-close", dispute), {})
    assert f"Dispute {dispute.reference} closed." in messages_of(response)
    dispute.refresh_from_db()
    assert dispute.state == "closed" and dispute.closed_at is not None


def test_a_resolution_the_business_manager_records_waits_for_both_agencies(bcssp, client_for):
    """Someone of neither side confirms for neither: each page says whose confirmation is still needed."""
    dispute = bcssp.raise_dispute()
    response = client_for(bcssp.business_manager).post(
        action_url("dispute-resolve", dispute),
        {"agreed_outcome": "Joint visit on Friday.", "convened": "neither", **today_fields("decided_on")},
    )
    assert "Resolution recorded. It counts once both agencies confirm it: they have been told." in messages_of(response)
    confirm_url = action_url("dispute-confirm-resolution", dispute)
    teacher = client_for(bcssp.teacher)
    assert "It counts once both agencies confirm it." in page_text(teacher.get(confirm_url))
    response = teacher.post(confirm_url, {})
    assert "Resolution confirmed. It is now waiting for the other agency to confirm it." in messages_of(response)
    social_worker = client_for(bcssp.social_worker)
    html = page_text(social_worker.get(confirm_url))
    assert "It counts once BCSSP Children&#x27;s Services confirms it." in html
    assert "both agencies confirm" not in html
    social_worker.post(confirm_url, {})
    dispute.refresh_from_db()
    assert dispute.state == "resolved"


def test_a_dispute_cannot_be_closed_before_its_resolution(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    before = snapshot(dispute)
    client = client_for(bcssp.teacher)
    response = client.get(action_url("dispute-close", dispute))
    assert "A dispute can be closed only after its resolution is recorded." in messages_of(response)
    response = client.post(action_url("dispute-close", dispute), {})
    assert "A dispute can be closed only after its resolution is recorded." in page_text(response)
    assert snapshot(dispute) == before


def test_resolution_needs_what_was_agreed_and_keeps_the_rest(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    before = snapshot(dispute)
    response = client_for(bcssp.teacher).post(
        action_url("dispute-resolve", dispute),
        {
            "agreed_outcome": "",
            "outstanding_actions": "Typed actions",
            "convened": "panel",
            **today_fields("decided_on"),
        },
    )
    html = page_text(response)
    assert "Enter what was agreed" in html and "Typed actions" in html
    assert snapshot(dispute) == before


def test_the_raising_agency_withdraws_and_the_other_agency_may_not(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    before = snapshot(dispute)
    other = client_for(bcssp.social_worker)
    refused = messages_of(other.get(action_url("dispute-withdraw", dispute)))
    assert "Only the agency that raised this dispute" in refused[0]
    response = other.post(action_url("dispute-withdraw", dispute), {"reason": "Not ours"})
    assert "Only the agency that raised this dispute can withdraw it" in page_text(response)
    assert snapshot(dispute) == before
    response = client_for(bcssp.teacher).post(action_url("dispute-withdraw", dispute), {"reason": "Agreed by phone."})
    assert "withdrawn" in messages_of(response)[0]
    dispute.refresh_from_db()
    assert dispute.state == "withdrawn"


@pytest.mark.parametrize("name", ["dispute-add-entry", "dispute-escalate", "dispute-resolve", "dispute-withdraw"])
def test_nothing_more_can_be_done_to_a_withdrawn_dispute(bcssp, client_for, name):
    dispute = bcssp.raise_dispute()
    services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.teacher, reason="Done")
    before = snapshot(dispute)
    client = client_for(bcssp.teacher)
    assert client.get(action_url(name, dispute))["Location"] == reverse("dispute", args=[dispute.reference])
    response = client.post(action_url(name, dispute), VALID[name]())
    assert response.status_code == 200 and "govuk-error-summary" in page_text(response)
    assert snapshot(dispute) == before


def test_actions_need_the_csrf_token(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    before = snapshot(dispute)
    client = client_for(bcssp.teacher, enforce_csrf_checks=True)
    for name in ACTIONS:
        assert client.post(action_url(name, dispute), VALID[name]()).status_code == 403
    assert snapshot(dispute) == before


# Deadlines: the chair sets one the policy leaves to them; the business manager extends, pauses, restarts.


def at_stage_five(world):
    dispute = world.raise_dispute(immediate_harm=True, start_stage=4)
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Directors disagree.")
    services.approve_escalation(dispute=dispute, approver=world.business_manager)
    dispute.refresh_from_db()
    return dispute, dispute.deadlines.get(closed_at__isnull=True, rule__kind="manual")


def deadline_url(dispute, row) -> str:
    return reverse("dispute-deadline", args=[dispute.reference, row.pk])


def test_the_chair_sets_a_deadline_the_policy_leaves_to_them(tscp, client_for):
    dispute, row = at_stage_five(tscp)
    client = client_for(tscp.chair)
    assert "Set a deadline" in page_text(client.get(deadline_url(dispute, row)))
    due = timezone.localdate() + datetime.timedelta(days=14)
    response = client.post(
        deadline_url(dispute, row),
        {
            "change": "set",
            "set-due_on_0": due.day,
            "set-due_on_1": due.month,
            "set-due_on_2": due.year,
            "set-due_time": "4:30pm",
        },
    )
    assert response["Location"] == reverse("dispute", args=[dispute.reference])
    row.refresh_from_db()
    local = timezone.localtime(row.due_at)
    assert (local.date(), local.hour, local.minute) == (due, 16, 30)
    assert "Deadline set: it is now due 4:30pm" in messages_of(response)[0]


def test_a_deadline_in_the_past_or_a_bad_time_is_refused_with_the_typed_values_kept(tscp, client_for):
    dispute, row = at_stage_five(tscp)
    before = snapshot(dispute)
    client = client_for(tscp.chair)
    response = client.post(
        deadline_url(dispute, row),
        {"change": "set", "set-due_on_0": "1", "set-due_on_1": "1", "set-due_on_2": "2020", "set-due_time": "25pm"},
    )
    html = page_text(response)
    assert "Enter a time like 5pm or 17:00" in html and 'value="25pm"' in html and 'value="2020"' in html
    response = client.post(
        deadline_url(dispute, row),
        {"change": "set", "set-due_on_0": "1", "set-due_on_1": "1", "set-due_on_2": "2020", "set-due_time": "5pm"},
    )
    assert "The deadline must be in the future." in page_text(response)
    assert snapshot(dispute) == before


@pytest.mark.parametrize("persona", ["business_manager", "teacher", "head"])
def test_only_the_chair_sets_the_deadline(tscp, client_for, persona):
    dispute, row = at_stage_five(tscp)
    before = snapshot(dispute)
    client = client_for(getattr(tscp, persona))
    assert client.get(deadline_url(dispute, row))["Location"] == reverse("dispute", args=[dispute.reference])
    due = timezone.localdate() + datetime.timedelta(days=14)
    response = client.post(
        deadline_url(dispute, row),
        {
            "change": "set",
            "set-due_on_0": due.day,
            "set-due_on_1": due.month,
            "set-due_on_2": due.year,
            "set-due_time": "5pm",
        },
    )
    assert "Only the partnership chair can set this deadline." in page_text(response)
    assert snapshot(dispute) == before


def test_the_business_manager_extends_pauses_and_restarts_a_deadline(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    row = dispute.deadlines.get(rule__name="stage-1")
    due = row.due_at
    client = client_for(bcssp.business_manager)
    page = page_text(client.get(deadline_url(dispute, row)))
    assert "Extend the deadline" in page and "Pause the deadline" in page
    response = client.post(
        deadline_url(dispute, row), {"change": "extend", "extend-working_days": "2", "extend-reason": "Half term."}
    )
    assert "Deadline extended" in messages_of(response)[0]
    row.refresh_from_db()
    assert row.extended_days == 2 and row.due_at > due
    client.post(deadline_url(dispute, row), {"change": "pause", "pause-reason": "Strategy meeting."})
    row.refresh_from_db()
    assert row.paused_at is not None
    assert "Restart the deadline" in page_text(client.get(deadline_url(dispute, row)))
    client.post(deadline_url(dispute, row), {"change": "resume", "resume-reason": "Meeting held."})
    row.refresh_from_db()
    assert row.paused_at is None


def test_an_extension_with_errors_keeps_what_was_typed(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    row = dispute.deadlines.get(rule__name="stage-1")
    before = snapshot(dispute)
    response = client_for(bcssp.business_manager).post(
        deadline_url(dispute, row), {"change": "extend", "extend-working_days": "lots", "extend-reason": "Typed reason"}
    )
    html = page_text(response)
    assert "Number of working days must be a whole number" in html and "Typed reason" in html
    assert snapshot(dispute) == before


@pytest.mark.parametrize("persona", ["teacher", "head", "social_worker", "chair"])
def test_only_the_business_manager_extends_or_pauses(bcssp, client_for, persona):
    dispute = bcssp.raise_dispute()
    row = dispute.deadlines.get(rule__name="stage-1")
    before = snapshot(dispute)
    client = client_for(getattr(bcssp, persona))
    response = client.get(deadline_url(dispute, row))
    if persona == "head":  # a manager may bring it forward, nothing more
        assert "Bring the deadline forward" in page_text(response) and "Extend the deadline" not in page_text(response)
    else:
        assert response["Location"] == reverse("dispute", args=[dispute.reference])
    for data in (
        {"change": "extend", "extend-working_days": "2", "extend-reason": "x"},
        {"change": "pause", "pause-reason": "x"},
    ):
        response = client.post(deadline_url(dispute, row), data)
        assert "Only the partnership business manager can extend or pause a deadline." in page_text(response)
    assert snapshot(dispute) == before


def test_a_deadline_of_another_dispute_is_not_found(bcssp, client_for):
    first, second = bcssp.raise_dispute(), bcssp.raise_dispute()
    row = second.deadlines.first()
    assert client_for(bcssp.business_manager).get(deadline_url(first, row)).status_code == 404
    assert Deadline.objects.filter(pk=row.pk, extended_days=0).exists()


def test_every_dispute_stays_untouched_by_a_refused_action(bcssp, client_for):
    """A sweep over every persona and action: whatever is refused leaves the dispute as it was."""
    dispute = awaiting_approval(bcssp)
    for persona in ("social_worker", "team_manager", "outsider"):
        client = client_for(getattr(bcssp, persona))
        for name in ("dispute-decide", "dispute-withdraw", "dispute-close"):
            before = snapshot(dispute)
            response = client.post(action_url(name, dispute), VALID[name]())
            assert response.status_code in (200, 404)
            assert snapshot(dispute) == before
    assert Dispute.objects.get(pk=dispute.pk).state == "awaiting_approval"
