"""The dispute lifecycle through the services, under every seed policy."""

import datetime

import pytest

from escalation.audit.models import AuditEvent
from escalation.disputes import services
from escalation.disputes.models import Dispute, StageVisit
from escalation.disputes.permissions import ActionRefused, actor_of
from escalation.notifications.models import Notification
from policies.vocabulary import DisputeState
from tests.conftest import build_world, london

SEEDS = ["banwell-buddies", "bcssp", "bs3-early-education", "chscp", "tscp"]


@pytest.mark.parametrize("slug", SEEDS)
def test_each_seed_runs_from_raise_to_its_final_stage(db, slug):
    world = build_world(slug, "LIFE", offices=True)
    now = london(2026, 3, 2, 10, 0)
    dispute = world.raise_dispute(now=now)
    version = dispute.policy_version
    assert dispute.reference == "LIFE-2026-0001"
    assert dispute.state == DisputeState.RAISED
    assert dispute.current_stage == version.start_stage

    # The other agency answers (at a setting's internal first stage, someone of the raising setting writes).
    services.add_record_entry(
        dispute=dispute,
        author=world.speaker(dispute, "other"),
        kind="discussion",
        text="We spoke by phone.",
        occurred_on=now.date(),
        now=now,
    )
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.IN_DISCUSSION

    final = version.stages.order_by("-number").first()
    while dispute.current_stage != final.number:
        now += datetime.timedelta(days=1)
        entering = dispute.next_stage()
        services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Still unsafe.", now=now)
        dispute.refresh_from_db()
        if entering.approval_required:
            assert dispute.state == DisputeState.AWAITING_APPROVAL
            approver = world.approver_for(dispute)
            actor = actor_of(approver, dispute)
            held = actor.roles_in(dispute.escalation_side_id) | actor.partnership_roles
            assert held & set(entering.approver_roles), "the approver holds one of the stage's approver roles"
            services.approve_escalation(dispute=dispute, approver=approver, now=now)
            dispute.refresh_from_db()
            assert dispute.stage_visits.get(stage_number=entering.number).approved_by == approver
        assert dispute.current_stage == entering.number
        assert dispute.state == DisputeState.IN_DISCUSSION

    with pytest.raises(ActionRefused, match="last stage|final and binding"):
        services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Again.", now=now)

    outcome = world.resolve(dispute, now, agreed_outcome="Assessment to start this week.", convened="panel")
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED
    assert outcome.binding == final.binding
    assert not dispute.deadlines.filter(closed_at__isnull=True).exists()
    services.close_dispute(dispute=dispute, closed_by=world.business_manager, now=now)
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.CLOSED

    visits = list(dispute.stage_visits.values_list("stage_number", flat=True))
    expected = list(version.stages.filter(number__gte=version.start_stage).values_list("number", flat=True))
    assert visits == expected
    assert not dispute.stage_visits.filter(left_at__isnull=True).exists()
    actions = list(
        AuditEvent.objects.filter(dispute_id_value=dispute.pk).order_by("id").values_list("action", flat=True)
    )
    assert actions[0] == "dispute.raised"
    # A final and binding stage ends in its decision-maker's decision; one both sides confirm, in the confirmation.
    if final.binding:
        ended = "dispute.decision_recorded"
    elif final.confirm_both_sides:
        ended = "resolution.confirmed"
    else:
        ended = "dispute.resolved"
    assert actions[-2:] == [ended, "dispute.closed"]


def test_raising_leaves_stage_visit_audit_deadlines_and_outbox(bcssp):
    dispute = bcssp.raise_dispute()
    visit = StageVisit.objects.get(dispute=dispute)
    assert (visit.stage_number, visit.entered_by, visit.left_at) == (1, bcssp.teacher, None)
    event = AuditEvent.objects.get(dispute_id_value=dispute.pk)
    assert (event.action, event.actor, event.after) == (
        "dispute.raised",
        bcssp.teacher,
        {"state": "raised", "stage": 1},
    )
    assert set(dispute.deadlines.values_list("rule__name", flat=True)) == {"stage-1", "overall"}
    # With no named worker, the other agency's managers hear of it; nobody there holds the DSL role.
    told = Notification.objects.filter(dispute=dispute, event="raised").exclude(event="unfilled_role")
    assert list(told.values_list("recipient__username", flat=True)) == ["bcssp-tm"]
    assert dispute.participants.get().user == bcssp.teacher


def test_a_named_worker_in_the_other_agency_is_told_and_joins_the_dispute(bcssp):
    dispute = bcssp.raise_dispute(other_worker=bcssp.social_worker)
    told = Notification.objects.filter(dispute=dispute, event="raised")
    assert list(told.values_list("recipient__username", flat=True)) == ["bcssp-sw"]
    assert set(dispute.participants.values_list("user__username", flat=True)) == {"bcssp-teacher", "bcssp-sw"}
    with pytest.raises(ActionRefused, match="does not work for"):
        bcssp.raise_dispute(other_worker=bcssp.outsider)


def test_escalation_records_who_approved_and_moves_deadlines(bcssp, django_capture_on_commit_callbacks):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    services.propose_escalation(
        dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=london(2026, 3, 3, 9)
    )
    assert Notification.objects.filter(dispute=dispute, event="escalation_proposed", recipient=bcssp.head).exists()
    # As on a real commit, the Appendix 2 the approval asks for is drawn once it commits, and its reader told.
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 3, 11))
    dispute.refresh_from_db()
    visit = dispute.stage_visits.get(stage_number=2)
    assert visit.approved_by == bcssp.head and visit.entered_by == bcssp.teacher and visit.reason == "No reply."
    assert dispute.stage_visits.get(stage_number=1).left_at == london(2026, 3, 3, 11)
    stage1 = dispute.deadlines.get(rule__name="stage-1")
    assert stage1.closed_at is not None and stage1.met is True
    stage2 = dispute.deadlines.get(rule__name="stage-2", closed_at__isnull=True)
    assert stage2.anchor_at == london(2026, 3, 3, 11)
    assert stage2.due_at == london(2026, 3, 6, 17)  # 3 working days after Tuesday 3 March
    overall = dispute.deadlines.get(rule__name="overall")
    assert overall.closed_at is None and overall.due_at == london(2026, 3, 16, 17)
    # Entering BCSSP stage 2 registers the dispute with the business manager (Appendix 2).
    told = Notification.objects.get(dispute=dispute, recipient=bcssp.business_manager, event="record_required")
    assert "Appendix 2" in told.headline
    approved = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="escalation.approved")
    assert approved.before == {"state": "awaiting_approval", "stage": 1}
    assert approved.after == {"state": "in_discussion", "stage": 2}


def test_overall_rule_closes_when_stage_4_is_entered(bcssp):
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    for day in (3, 4, 5):
        services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="r", now=london(2026, 3, day, 9))
        services.approve_escalation(dispute=dispute, approver=bcssp.approver_for(dispute), now=london(2026, 3, day, 10))
    dispute.refresh_from_db()
    assert dispute.current_stage == 4
    overall = dispute.deadlines.get(rule__name="overall")
    assert overall.closed_at == london(2026, 3, 5, 9) and overall.met is True, "met when escalation was proposed"
    assert dispute.deadlines.get(closed_at__isnull=True).rule.name == "stage-4"


def test_a_decline_keeps_the_stage_and_tells_the_proposer(bcssp):
    dispute = bcssp.raise_dispute()
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="Unsafe.")
    with pytest.raises(ActionRefused, match="Say why"):
        services.decline_escalation(dispute=dispute, approver=bcssp.head, reason="  ")
    services.decline_escalation(dispute=dispute, approver=bcssp.head, reason="Try once more with the worker.")
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage, dispute.escalation_proposed_by) == ("in_discussion", 1, None)
    assert Notification.objects.filter(recipient=bcssp.teacher, event="escalation_declined").exists()


def test_withdrawal_closes_deadlines_and_only_the_raising_agency_may_withdraw(bcssp):
    dispute = bcssp.raise_dispute()
    with pytest.raises(ActionRefused, match="Only the agency that raised"):
        services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.social_worker, reason="No.")
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RAISED
    services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.teacher, reason="Resolved informally.")
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.WITHDRAWN and dispute.closed_at is not None
    assert not dispute.deadlines.filter(closed_at__isnull=True).exists()
    with pytest.raises(ActionRefused, match="withdrawn: nothing more"):
        services.add_record_entry(
            dispute=dispute, author=bcssp.teacher, kind="discussion", text="x", occurred_on=datetime.date(2026, 3, 2)
        )


class TestIllegalTransitionsAreRefusedWithAReason:
    def test_practitioner_cannot_approve(self, bcssp):
        dispute = bcssp.raise_dispute()
        services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="r")
        with pytest.raises(ActionRefused, match="Only a manager of the escalating agency"):
            services.approve_escalation(dispute=dispute, approver=bcssp.teacher)

    def test_other_agency_manager_cannot_approve_the_raising_sides_escalation(self, bcssp):
        dispute = bcssp.raise_dispute()
        services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="r")
        with pytest.raises(ActionRefused, match="Only a manager of the escalating agency"):
            services.approve_escalation(dispute=dispute, approver=bcssp.team_manager)
        dispute.refresh_from_db()
        assert dispute.state == DisputeState.AWAITING_APPROVAL and dispute.current_stage == 1

    def test_approval_with_nothing_waiting(self, bcssp):
        dispute = bcssp.raise_dispute()
        with pytest.raises(ActionRefused, match="nothing waiting for approval"):
            services.approve_escalation(dispute=dispute, approver=bcssp.head)

    def test_second_proposal_while_one_waits(self, bcssp):
        dispute = bcssp.raise_dispute()
        services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="r")
        with pytest.raises(ActionRefused, match="already waiting"):
            services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="r")

    def test_binding_final_stage_cannot_be_escalated(self, bcssp):
        dispute = bcssp.raise_dispute(immediate_harm=True, start_stage=3)
        services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="r")
        services.approve_escalation(dispute=dispute, approver=bcssp.senior)
        dispute.refresh_from_db()
        assert dispute.current_stage == 4 and dispute.stage().binding
        with pytest.raises(ActionRefused, match="final and binding"):
            services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="r")

    def test_outsider_in_the_same_partnership_cannot_act(self, bcssp):
        dispute = bcssp.raise_dispute()
        with pytest.raises(ActionRefused):
            services.add_record_entry(
                dispute=dispute,
                author=bcssp.outsider,
                kind="discussion",
                text="x",
                occurred_on=datetime.date(2026, 3, 2),
            )
        with pytest.raises(ActionRefused):
            services.propose_escalation(dispute=dispute, proposed_by=bcssp.outsider, reason="r")
        assert dispute.record_entries.count() == 0

    def test_closing_before_resolution(self, bcssp):
        dispute = bcssp.raise_dispute()
        with pytest.raises(ActionRefused, match="only after its resolution"):
            services.close_dispute(dispute=dispute, closed_by=bcssp.business_manager)

    def test_resolution_needs_an_outcome(self, bcssp):
        dispute = bcssp.raise_dispute()
        with pytest.raises(ActionRefused, match="agreed outcome"):
            services.record_resolution(
                dispute=dispute, recorded_by=bcssp.teacher, agreed_outcome=" ", decided_on=datetime.date(2026, 3, 2)
            )
        dispute.refresh_from_db()
        assert dispute.state == DisputeState.RAISED

    def test_cannot_raise_for_an_agency_you_do_not_work_for(self, bcssp):
        with pytest.raises(ActionRefused, match="do not work for"):
            bcssp.raise_dispute(raised_by=bcssp.social_worker)
        assert Dispute.objects.count() == 0


class TestImmediateHarm:
    def test_may_start_above_stage_1_where_the_policy_allows(self, tscp):
        dispute = tscp.raise_dispute(immediate_harm=True, start_stage=3)
        assert dispute.current_stage == 3
        assert set(dispute.deadlines.values_list("rule__name", flat=True)) == {"stage-3"}

    def test_may_not_start_at_a_stage_the_policy_does_not_allow(self, db):
        # The City and Hackney policy lets a dispute with immediate harm skip no stage (Torbay's now allows any).
        chscp = build_world("chscp", "CHS")
        with pytest.raises(ActionRefused, match="may start at stage 1 only"):
            chscp.raise_dispute(immediate_harm=True, start_stage=2)
        assert not Dispute.objects.exists()

    def test_without_immediate_harm_a_dispute_starts_at_the_first_stage(self, tscp):
        with pytest.raises(ActionRefused, match="unless there is a risk of immediate harm"):
            tscp.raise_dispute(start_stage=2)

    def test_24_hour_rule_applies_and_is_met_by_recording_an_action(self, bcssp):
        raised = london(2026, 3, 28, 9)  # a Saturday, the day before the clocks go forward
        dispute = bcssp.raise_dispute(immediate_harm=True, now=raised)
        harm = dispute.deadlines.get(rule__name="immediate-harm")
        # Elapsed time: 24 hours across the change to summer time is 10:00 BST on the Sunday.
        assert harm.due_at == london(2026, 3, 29, 10)
        assert harm.due_at - raised == datetime.timedelta(hours=24)
        services.add_record_entry(
            dispute=dispute,
            author=bcssp.social_worker,
            kind="action",
            text="Strategy discussion held.",
            occurred_on=raised.date(),
            now=raised + datetime.timedelta(hours=3),
        )
        harm.refresh_from_db()
        assert harm.closed_at is not None and harm.met is True


def test_tscp_no_response_rule_is_met_when_the_other_agency_replies(tscp):
    dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
    row = dispute.deadlines.get(rule__name="no-response")
    assert row.due_at == london(2026, 3, 9, 17)
    services.add_record_entry(
        dispute=dispute,
        author=tscp.teacher,
        kind="discussion",
        text="Chased.",
        occurred_on=datetime.date(2026, 3, 3),
        now=london(2026, 3, 3, 9),
    )
    row.refresh_from_db()
    assert row.closed_at is None
    services.add_record_entry(
        dispute=dispute,
        author=tscp.social_worker,
        kind="discussion",
        text="Replied.",
        occurred_on=datetime.date(2026, 3, 4),
        now=london(2026, 3, 4, 9),
    )
    row.refresh_from_db()
    assert row.closed_at == london(2026, 3, 4, 9) and row.met is True


def test_tscp_stage_5_is_entered_on_the_business_managers_referral_and_the_chair_sets_its_deadline(tscp):
    dispute = tscp.raise_dispute(immediate_harm=True, start_stage=4, now=london(2026, 3, 2, 10))
    services.propose_escalation(
        dispute=dispute, proposed_by=tscp.director, reason="Directors cannot agree.", now=london(2026, 3, 3, 10)
    )
    with pytest.raises(ActionRefused):
        services.approve_escalation(dispute=dispute, approver=tscp.director, now=london(2026, 3, 3, 11))
    services.approve_escalation(dispute=dispute, approver=tscp.business_manager, now=london(2026, 3, 3, 11))
    dispute.refresh_from_db()
    manual = dispute.deadlines.get(rule__name="stage-5", closed_at__isnull=True)
    assert manual.due_at is None
    with pytest.raises(ActionRefused, match="Only the partnership chair"):
        services.set_manual_deadline(dispute=dispute, set_by=tscp.business_manager, due_at=london(2026, 4, 1, 17))
    services.set_manual_deadline(
        dispute=dispute, set_by=tscp.chair, due_at=london(2026, 4, 1, 17), now=london(2026, 3, 4, 9)
    )
    manual.refresh_from_db()
    assert manual.due_at == london(2026, 4, 1, 17)
    assert AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="deadline.set").exists()


def test_chscp_notifies_cp_chair_for_a_child_on_a_plan_and_reports_an_unfilled_role(db):
    world = build_world("chscp", "CHS")
    dispute = world.raise_dispute(
        subject={"kind": "child", "name": "Child B", "child_protection_plan": True}, now=london(2026, 3, 2, 10)
    )
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="r", now=london(2026, 3, 3, 9))
    services.approve_escalation(dispute=dispute, approver=world.head, now=london(2026, 3, 3, 10))
    # Nobody holds the CP chair or IRO role in these agencies: the business manager is told instead.
    gap = Notification.objects.get(dispute=dispute, event="unfilled_role")
    assert gap.recipient == world.business_manager
    assert "Child protection chair" in gap.message and "Child A" not in gap.message


def test_policy_version_is_pinned_when_raised(bcssp, tmp_path):
    from policies.services import export_policy, load_policy_text

    dispute = bcssp.raise_dispute()
    old = dispute.policy_version
    changed = export_policy(old).replace("length: 2\n", "length: 3\n", 1)
    new, created = load_policy_text(changed, "bcssp.yaml")
    assert created and new.number == old.number + 1
    dispute.refresh_from_db()
    assert dispute.policy_version == old
    assert bcssp.raise_dispute().policy_version == new


def test_references_count_per_partnership_and_year(bcssp):
    first = bcssp.raise_dispute(now=london(2026, 12, 31, 23, 30))
    second = bcssp.raise_dispute(now=london(2027, 1, 1, 0, 30))
    assert (first.reference, second.reference) == ("BCSSP-2026-0001", "BCSSP-2027-0001")
