"""The business manager extends and pauses deadlines; closure days move open deadlines; policy edits do not."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline, OverdueDispute
from escalation.deadlines.overdue import deadline_label
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.disputes.deadline_changes import (
    add_closure_day,
    extend_deadline,
    pause_deadline,
    recompute_open_deadlines,
    remove_closure_day,
    resume_deadline,
)
from escalation.disputes.permissions import ActionRefused
from escalation.notifications.models import Notification
from policies.schema import read_policy_file
from policies.services import load_policy, seed_files
from tests.conftest import build_world, london, policy_text_reads

# Raised Monday 2 March 2026 10:00: BCSSP stage 1 (2 working days) is due Wednesday 4 March 17:00.
RAISED = london(2026, 3, 2, 10)


@pytest.fixture
def dispute(bcssp):
    return bcssp.raise_dispute(now=RAISED)


def stage_1(dispute) -> Deadline:
    return dispute.deadlines.get(rule__name="stage-1", closed_at__isnull=True)


def overdue(dispute) -> bool:
    return OverdueDispute.objects.filter(dispute=dispute).exists()


class TestExtend:
    def test_moves_the_deadline_by_working_days_audited_and_told(self, bcssp, dispute):
        row = stage_1(dispute)
        extend_deadline(
            deadline=row, by=bcssp.business_manager, working_days=2, reason="Social worker off sick.", now=RAISED
        )
        row.refresh_from_db()
        assert (row.extended_days, row.due_at, row.remind_at) == (2, london(2026, 3, 6, 17), london(2026, 3, 5, 9))
        event = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="deadline.extended")
        assert event.actor == bcssp.business_manager
        assert event.after["reason"] == "Social worker off sick." and event.after["working_days"] == 2
        assert event.before["due_at"] == london(2026, 3, 4, 17).isoformat()
        told = set(Notification.objects.filter(event="deadline_changed").values_list("recipient__username", flat=True))
        assert told == {"bcssp-teacher", "bcssp-sw", "bcssp-head", "bcssp-tm"}
        assert "extended by 2 working days" in deadline_label(row)

    def test_every_later_computation_uses_it(self, bcssp, dispute):
        row = stage_1(dispute)
        extend_deadline(deadline=row, by=bcssp.business_manager, working_days=2, reason="Leave.", now=RAISED)
        services.add_record_entry(
            dispute=dispute,
            author=bcssp.teacher,
            kind="discussion",
            text="Called again.",
            occurred_on=datetime.date(2026, 3, 3),
            now=london(2026, 3, 3, 9),
        )
        row.refresh_from_db()
        assert row.due_at == london(2026, 3, 6, 17)
        add_closure_day(
            partnership=bcssp.partnership, date=datetime.date(2026, 3, 5), changed_by=bcssp.admin, now=RAISED
        )
        row.refresh_from_db()
        assert row.due_at == london(2026, 3, 9, 17)
        assert sweep(now=london(2026, 3, 6, 17, 1)).breached == 0
        assert sweep(now=london(2026, 3, 9, 17, 1)).breached == 1

    def test_an_overdue_deadline_extended_into_the_future_is_no_longer_overdue(self, bcssp, dispute):
        row = stage_1(dispute)
        sweep(now=london(2026, 3, 4, 17, 1))
        assert overdue(dispute)
        extend_deadline(
            deadline=row, by=bcssp.business_manager, working_days=3, reason="Agreed.", now=london(2026, 3, 5, 9)
        )
        row.refresh_from_db()
        assert row.due_at == london(2026, 3, 9, 17) and row.breached_at is None
        assert not overdue(dispute)
        assert AuditEvent.objects.get(action="deadline.extended").before["breached_at"] is not None
        assert sweep(now=london(2026, 3, 9, 17, 1)).breached == 1
        assert Notification.objects.filter(deadline=row, event="deadline_breached").count() == 4  # twice, to two

    @pytest.mark.parametrize("who", ["teacher", "head", "team_manager", "chair", "admin", "outsider"])
    def test_only_the_business_manager_may(self, bcssp, dispute, who):
        row = stage_1(dispute)
        with pytest.raises(ActionRefused, match="Only the partnership business manager"):
            extend_deadline(deadline=row, by=getattr(bcssp, who), working_days=2, reason="Please.", now=RAISED)
        row.refresh_from_db()
        assert (row.extended_days, row.due_at) == (0, london(2026, 3, 4, 17))
        assert not AuditEvent.objects.filter(action="deadline.extended").exists()

    def test_the_business_manager_of_another_partnership_may_not(self, bcssp, dispute):
        other = build_world("tscp", "OTH")
        with pytest.raises(ActionRefused):
            extend_deadline(deadline=stage_1(dispute), by=other.business_manager, working_days=1, reason="r")

    @pytest.mark.parametrize(
        ("days", "reason", "message"),
        [
            (2, "  ", "Give a reason"),
            (0, "Leave.", "from 1 to 60"),
            (61, "Leave.", "from 1 to 60"),
            ("2", "Leave.", "whole number"),
        ],
    )
    def test_bad_input_gets_a_clear_message_and_changes_nothing(self, bcssp, dispute, days, reason, message):
        row = stage_1(dispute)
        with pytest.raises(ActionRefused, match=message):
            extend_deadline(deadline=row, by=bcssp.business_manager, working_days=days, reason=reason, now=RAISED)
        row.refresh_from_db()
        assert row.extended_days == 0

    def test_the_immediate_harm_clock_and_the_chairs_deadline_cannot_be_extended(self, bcssp, tscp):
        harm = bcssp.raise_dispute(immediate_harm=True, now=RAISED).deadlines.get(rule__name="immediate-harm")
        with pytest.raises(ActionRefused, match="immediate harm"):
            extend_deadline(deadline=harm, by=bcssp.business_manager, working_days=1, reason="r", now=RAISED)
        dispute = tscp.raise_dispute(immediate_harm=True, start_stage=4, now=RAISED)
        services.propose_escalation(dispute=dispute, proposed_by=tscp.director, reason="r", now=RAISED)
        services.approve_escalation(dispute=dispute, approver=tscp.business_manager, now=RAISED)
        manual = dispute.deadlines.get(rule__name="stage-5", closed_at__isnull=True)
        with pytest.raises(ActionRefused, match="set by the chair"):
            pause_deadline(deadline=manual, by=tscp.business_manager, reason="r", now=RAISED)

    def test_a_closed_deadline_or_dispute_cannot_be_changed(self, bcssp, dispute):
        row = stage_1(dispute)
        services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.teacher, reason="Sorted.", now=RAISED)
        with pytest.raises(ActionRefused, match="withdrawn"):
            extend_deadline(deadline=row, by=bcssp.business_manager, working_days=1, reason="r", now=RAISED)


class TestPause:
    def test_a_paused_deadline_is_not_breached_and_resuming_adds_the_working_days_paused(self, bcssp, dispute):
        row = stage_1(dispute)
        pause_deadline(deadline=row, by=bcssp.business_manager, reason="Awaiting a strategy meeting.", now=RAISED)
        assert sweep(now=london(2026, 3, 5, 17)).breached == 0  # stage 1 paused, past its due moment
        resume_deadline(deadline=row, by=bcssp.business_manager, reason="Meeting held.", now=london(2026, 3, 5, 10))
        row.refresh_from_db()
        # Paused from Monday to Thursday: Tuesday, Wednesday and Thursday are added.
        assert (row.paused_at, row.extended_days, row.due_at) == (None, 3, london(2026, 3, 9, 17))
        resumed = AuditEvent.objects.get(action="deadline.resumed")
        assert resumed.after["paused_working_days"] == 3 and resumed.after["reason"] == "Meeting held."
        assert AuditEvent.objects.get(action="deadline.paused").after["reason"] == "Awaiting a strategy meeting."
        assert sweep(now=london(2026, 3, 9, 17)).breached == 0
        assert sweep(now=london(2026, 3, 9, 17, 1)).breached == 1

    def test_a_pause_over_a_weekend_costs_no_working_days(self, bcssp, dispute):
        row = dispute.deadlines.get(rule__name="overall")
        due = row.due_at
        pause_deadline(deadline=row, by=bcssp.business_manager, reason="r", now=london(2026, 3, 7, 10))
        resume_deadline(deadline=row, by=bcssp.business_manager, now=london(2026, 3, 8, 18))
        row.refresh_from_db()
        assert (row.extended_days, row.due_at) == (0, due)

    def test_refusals(self, bcssp, dispute):
        row = stage_1(dispute)
        with pytest.raises(ActionRefused, match="not paused"):
            resume_deadline(deadline=row, by=bcssp.business_manager, now=RAISED)
        pause_deadline(deadline=row, by=bcssp.business_manager, reason="r", now=RAISED)
        with pytest.raises(ActionRefused, match="already paused"):
            pause_deadline(deadline=row, by=bcssp.business_manager, reason="r", now=RAISED)
        with pytest.raises(ActionRefused, match="Only the partnership business manager"):
            resume_deadline(deadline=row, by=bcssp.head, now=RAISED)
        overall = dispute.deadlines.get(rule__name="overall")
        sweep(now=london(2026, 3, 17, 9))
        with pytest.raises(ActionRefused, match="extend it instead"):
            pause_deadline(deadline=overall, by=bcssp.business_manager, reason="r", now=london(2026, 3, 17, 10))


class TestCalendarChanges:
    def test_a_new_closure_day_moves_open_deadlines_and_removing_it_moves_them_back(self, bcssp, dispute):
        row = stage_1(dispute)
        other = build_world("bcssp", "ELSE").raise_dispute(now=RAISED)
        closure = add_closure_day(
            partnership=bcssp.partnership, date=datetime.date(2026, 3, 3), changed_by=bcssp.admin, now=RAISED
        )
        row.refresh_from_db()
        assert (row.due_at, row.remind_at) == (london(2026, 3, 5, 17), london(2026, 3, 4, 9))
        assert stage_1(other).due_at == london(2026, 3, 4, 17)  # another partnership's calendar
        assert AuditEvent.objects.filter(action="deadline.recomputed", dispute_id_value=dispute.pk).count() == 2
        remove_closure_day(closure_day=closure, changed_by=bcssp.admin, now=RAISED)
        row.refresh_from_db()
        assert row.due_at == london(2026, 3, 4, 17)

    def test_recomputing_reads_no_policy_text(self, bcssp, dispute):
        """Every open deadline of the partnership is recomputed: reading each dispute's policy version with its
        stored text (the whole policy as loaded) decoded tens of kilobytes of JSON a deadline."""
        for _ in range(3):
            bcssp.raise_dispute(now=RAISED)
        with CaptureQueriesContext(connection) as queries:
            moved = recompute_open_deadlines(bcssp.partnership, RAISED)
            add_closure_day(
                partnership=bcssp.partnership, date=datetime.date(2026, 3, 3), changed_by=bcssp.admin, now=RAISED
            )
        assert moved == 0
        assert (
            Deadline.objects.filter(dispute__partnership=bcssp.partnership, due_at=london(2026, 3, 5, 17)).count() == 4
        )
        assert not policy_text_reads(queries)

    def test_a_missed_or_closed_deadline_is_not_moved(self, bcssp, dispute):
        row = stage_1(dispute)
        sweep(now=london(2026, 3, 4, 17, 1))
        closed = bcssp.raise_dispute(now=RAISED)
        services.withdraw_dispute(dispute=closed, withdrawn_by=bcssp.teacher, reason="r", now=RAISED)
        add_closure_day(
            partnership=bcssp.partnership, date=datetime.date(2026, 3, 3), changed_by=bcssp.admin, now=RAISED
        )
        row.refresh_from_db()
        assert row.due_at == london(2026, 3, 4, 17) and row.breached_at is not None
        assert closed.deadlines.get(rule__name="stage-1").due_at == london(2026, 3, 4, 17)

    def test_a_policy_edit_leaves_disputes_pinned_to_the_earlier_version(self, bcssp, dispute):
        row = stage_1(dispute)
        (path,) = [p for p in seed_files() if p.stem == "bcssp"]
        spec = read_policy_file(path).model_copy(deep=True)
        next(rule for rule in spec.deadline_rules if rule.name == "stage-1").length = 7
        version, created = load_policy(spec, source_file="edited")
        assert created and version.number == 2
        row.refresh_from_db()
        assert row.due_at == london(2026, 3, 4, 17)
        add_closure_day(
            partnership=bcssp.partnership, date=datetime.date(2026, 3, 3), changed_by=bcssp.admin, now=RAISED
        )
        row.refresh_from_db()
        assert row.due_at == london(2026, 3, 5, 17)  # still 2 working days: the version it was raised under
        newer = bcssp.raise_dispute(now=RAISED)
        assert stage_1(newer).due_at == london(2026, 3, 12, 17)  # 7 working days, skipping the closure


def test_one_rule_says_which_changes_each_deadline_can_take(bcssp, dispute):
    from escalation.disputes.deadline_changes import possible_changes

    row = stage_1(dispute)
    assert possible_changes(row) == ["extend", "pause", "shorten"]
    pause_deadline(deadline=row, by=bcssp.business_manager, reason="Waiting for a strategy meeting.", now=RAISED)
    row.refresh_from_db()
    assert possible_changes(row) == ["extend", "resume"]
    harm = bcssp.raise_dispute(immediate_harm=True, now=RAISED).deadlines.get(rule__name="immediate-harm")
    assert possible_changes(harm) == ["shorten"], "a risk of immediate harm may only be brought forward"
    row.closed_at = RAISED
    assert possible_changes(row) == []
