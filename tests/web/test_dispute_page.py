"""A dispute's page: who may see it, what it shows, and that every view is audited."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.deadline_changes import pause_deadline
from policies.schema import read_policy_file
from policies.services import load_policy, seed_files
from tests.conftest import build_world, london
from tests.factories import UserFactory, name_in_html
from tests.web.conftest import page_text


def url(dispute) -> str:
    return reverse("dispute", args=[dispute.reference])


@pytest.mark.parametrize(
    "persona", ["teacher", "head", "director", "social_worker", "team_manager", "business_manager", "chair"]
)
def test_everyone_party_to_the_dispute_sees_it_and_the_view_is_audited(bcssp, client_for, persona):
    dispute = bcssp.raise_dispute()
    user = getattr(bcssp, persona)
    response = client_for(user).get(url(dispute))
    assert response.status_code == 200
    assert dispute.subject.name in page_text(response)
    viewed = AuditEvent.objects.filter(action="dispute.viewed", dispute_reference=dispute.reference, actor=user)
    assert viewed.count() == 1


@pytest.mark.parametrize("persona", ["outsider", "admin"])
def test_people_outside_the_dispute_get_not_found_and_leave_no_view_behind(bcssp, client_for, persona):
    dispute = bcssp.raise_dispute()
    response = client_for(getattr(bcssp, persona)).get(url(dispute))
    assert response.status_code == 404
    assert dispute.subject.name not in page_text(response)
    assert not AuditEvent.objects.filter(action="dispute.viewed").exists()


def test_another_partnerships_people_and_strangers_get_not_found(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    away = build_world("tscp", "AWAY")
    for user in (away.business_manager, away.teacher, UserFactory()):
        assert client_for(user).get(url(dispute)).status_code == 404
    assert client_for(bcssp.teacher).get(reverse("dispute", args=["BCSSP-2099-9999"])).status_code == 404


def test_signed_out_people_are_sent_to_sign_in(bcssp):
    dispute = bcssp.raise_dispute()
    response = Client().get(url(dispute))
    assert response["Location"].startswith(reverse("login"))
    assert not AuditEvent.objects.filter(action="dispute.viewed").exists()


def test_the_ladder_shows_every_stage_with_the_current_one_marked(tscp, client_for):
    dispute = tscp.raise_dispute(immediate_harm=True, start_stage=3)
    html = page_text(client_for(tscp.teacher).get(url(dispute)))
    version = dispute.policy_version
    for stage in version.stages.all():
        assert escape(stage.name) in html
        assert f"Guidance for stage {stage.number}" in html
    current = html.split('aria-current="step"')[1].split("</li>")[0]
    assert "Stage 3: Senior manager to senior manager" in current
    assert "Current stage" in current
    assert html.count('aria-current="step"') == 1
    assert "Not used: the dispute started at a later stage" in html, "stages 1 and 2 were skipped"
    assert "Moving to this stage needs the approval of the partnership business manager." in html
    assert "Before a dispute is raised" in html, "TSCP's stage 0 is guidance before raising"


def test_the_ladder_is_the_version_the_dispute_was_raised_under(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    spec = next(read_policy_file(p) for p in seed_files() if read_policy_file(p).slug == "bcssp")
    stages = [s.model_copy(update={"name": f"Renamed {s.number}"}) for s in spec.stages]
    load_policy(spec.model_copy(update={"stages": stages}))
    html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert "Worker to worker" in html
    assert "Renamed 1" not in html


def test_deadlines_show_when_they_are_due_in_london_time_and_how_long_is_left(bcssp, client_for):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10, 0))
    with time_machine.travel(london(2026, 3, 3, 9, 0), tick=False):
        html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert "due 5pm on Wednesday 4 March 2026" in html
    assert "Stage 1: within 2 working days" in html
    assert "Running" in html or "Due soon" in html
    assert "1 working day left" in html, "a working-day deadline is said in working days (finding 6)"
    with time_machine.travel(london(2026, 3, 5, 9, 0), tick=False):
        html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert "Overdue" in html and "Overdue by 1 working day" in html


def test_a_paused_deadline_says_so(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    row = dispute.deadlines.get(rule__name="stage-1")
    pause_deadline(deadline=row, by=bcssp.business_manager, reason="Waiting for a strategy meeting.")
    html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert "Paused" in html
    assert "Waiting for a strategy meeting." in html, "the reason is on the timeline"


def test_the_timeline_shows_records_stage_changes_and_who_each_notification_went_to(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    services.add_record_entry(
        dispute=dispute,
        author=bcssp.social_worker,
        kind="discussion",
        text="We spoke on the phone.",
        occurred_on=london(2026, 3, 2, 12, 0).date(),
    )
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No agreement reached.")
    services.decline_escalation(dispute=dispute, approver=bcssp.head, reason="Try once more first.")
    html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    timeline = html.split('class="app-timeline"')[1]
    assert "Dispute raised at stage 1" in timeline
    assert "Discussion recorded" in timeline and "We spoke on the phone." in timeline
    assert "Escalation to stage 2 proposed" in timeline and "No agreement reached." in timeline
    assert "Escalation declined" in timeline and "Try once more first." in timeline
    assert "Notification sent:" in timeline
    manager = f"{bcssp.head.get_full_name()} (Manager)"
    assert escape(manager) in timeline, "who the escalation request went to, and in which role"
    assert timeline.index("Escalation declined") < timeline.index("Dispute raised at stage 1"), "newest first"


def test_only_the_actions_this_person_may_take_are_offered(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    teacher = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert reverse("dispute-add-entry", args=[dispute.reference]) in teacher
    assert reverse("dispute-withdraw", args=[dispute.reference]) in teacher
    assert reverse("dispute-escalate", args=[dispute.reference]) in teacher
    assert reverse("dispute-decide", args=[dispute.reference]) not in teacher
    other = page_text(client_for(bcssp.social_worker).get(url(dispute)))
    assert reverse("dispute-withdraw", args=[dispute.reference]) not in other
    assert reverse("dispute-close", args=[dispute.reference]) not in other
    manager = page_text(client_for(bcssp.business_manager).get(url(dispute)))
    row = dispute.deadlines.get(rule__name="stage-1")
    assert reverse("dispute-deadline", args=[dispute.reference, row.pk]) in manager
    assert reverse("dispute-deadline", args=[dispute.reference, row.pk]) not in teacher
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="Stuck.")
    head = page_text(client_for(bcssp.head).get(url(dispute)))
    assert reverse("dispute-decide", args=[dispute.reference]) in head
    assert "Escalation to stage 2 is waiting for approval" in head


def test_a_closed_dispute_offers_nothing_but_its_record(bcssp, client_for):
    dispute = bcssp.raise_dispute()
    services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.teacher, reason="Sorted out by phone.")
    html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert "There is nothing for you to do on this dispute now." in html
    assert "Withdrawn at this stage" in html
    assert reverse("dispute-add-entry", args=[dispute.reference]) not in html


def test_the_record_pdf_and_each_stored_snapshot_are_linked(tscp, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the snapshot is drawn once the change commits
        dispute = tscp.raise_dispute(immediate_harm=True, start_stage=3)
    snapshot = dispute.record_snapshots.get()
    html = page_text(client_for(tscp.business_manager).get(url(dispute)))
    pdf = reverse("dispute-record-pdf", args=[dispute.reference])
    assert f'href="{pdf}"' in html
    assert f"{pdf}?snapshot={snapshot.pk}" in html
    assert "Record of Escalation, stage 3" in html


def test_subject_details_and_people_involved_are_shown(bcssp, client_for):
    dispute = bcssp.raise_dispute(
        subject={"kind": "child", "name": "Child Z", "nhs_number": "9434765919", "child_protection_plan": True}
    )
    html = page_text(client_for(bcssp.social_worker).get(url(dispute)))
    subject = html.split('id="subject"')[1].split('id="participants"')[0]
    assert "Child Z" in subject and "943 476 5919" in subject
    assert 'Child protection plan</dt><dd class="govuk-summary-list__value">Yes' in subject
    participants = html.split('id="participants"')[1].split("</table>")[0]
    assert name_in_html(bcssp.teacher) in participants and bcssp.teacher.email in participants


@pytest.mark.parametrize("persona, sees_link", [("business_manager", True), ("chair", True), ("teacher", False)])
def test_only_partnership_oversight_is_offered_who_has_looked(bcssp, client_for, persona, sees_link):
    dispute = bcssp.raise_dispute()
    audit_url = reverse("dispute-audit", args=[dispute.reference])
    response = client_for(getattr(bcssp, persona)).get(url(dispute))
    assert (audit_url in page_text(response)) is sees_link
