"""The deadline sweep: every kind of seed rule reminds and breaches once, at the right moment, to the right roles."""

import datetime
import io
import json

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline, OverdueDispute
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.management.commands.serve import EmbeddedEnforcer, startup_lines
from escalation.notifications.models import Notification
from tests.conftest import build_world, london
from tests.fixtures_services import bulk_due_deadlines

SECOND = datetime.timedelta(seconds=1)
MINUTE = datetime.timedelta(minutes=1)


def sweep_on_the_clock(moment: datetime.datetime) -> dict:
    """Run `manage.py sweep_deadlines` with the clock stopped at `moment` (no --now)."""
    out = io.StringIO()
    with time_machine.travel(moment, tick=False):
        call_command("sweep_deadlines", stdout=out)
    return json.loads(out.getvalue())


def told(deadline: Deadline, event: str) -> set[tuple[str, str]]:
    return set(Notification.objects.filter(deadline=deadline, event=event).values_list("recipient__username", "role"))


def escalate(world, dispute, now):
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Not resolved.", now=now)
    dispute.refresh_from_db()
    if dispute.state == "awaiting_approval":
        services.approve_escalation(dispute=dispute, approver=world.head, now=now)
        dispute.refresh_from_db()
    return dispute


class TestBcsspStageDeadline:
    """Stage 1: within 2 working days of Monday 2 March 10:00, so by Wednesday 4 March 17:00."""

    @pytest.fixture
    def dispute(self, bcssp):
        return bcssp.raise_dispute(now=london(2026, 3, 2, 10))

    def test_reminder_fires_once_at_the_start_of_the_day_before_and_names_the_rule(self, bcssp, dispute):
        row = dispute.deadlines.get(rule__name="stage-1")
        assert row.remind_at == london(2026, 3, 3, 9)
        assert sweep(now=london(2026, 3, 3, 9) - SECOND).reminded == 0
        result = sweep(now=london(2026, 3, 3, 9))
        assert (result.reminded, result.breached) == (1, 0)
        assert told(row, "deadline_near") == {("bcssp-teacher", "practitioner"), ("bcssp-sw", "practitioner")}
        assert result.notifications_queued == 2
        notice = Notification.objects.filter(deadline=row).first()
        assert notice.headline.startswith(f"{dispute.reference}: deadline near")
        assert "Stage 1: within 2 working days" in notice.headline
        assert "falls due at 5pm on Wednesday 4 March 2026" in notice.message, "GOV.UK time, as on pages"
        assert sweep(now=london(2026, 3, 3, 9, 5)).reminded == 0
        row.refresh_from_db()
        assert row.reminded_at == london(2026, 3, 3, 9)

    def test_breach_fires_once_just_after_close_of_business_and_marks_the_dispute_overdue(self, bcssp, dispute):
        row = dispute.deadlines.get(rule__name="stage-1")
        assert row.due_at == london(2026, 3, 4, 17)
        assert sweep(now=london(2026, 3, 4, 17)).breached == 0  # at the deadline it is still met
        assert not OverdueDispute.objects.filter(dispute=dispute).exists()
        result = sweep(now=london(2026, 3, 4, 17) + SECOND)
        assert result.breached == 1
        assert told(row, "deadline_breached") == {("bcssp-head", "manager"), ("bcssp-tm", "manager")}
        assert OverdueDispute.objects.filter(dispute=dispute).exists()
        assert sweep(now=london(2026, 3, 4, 18)).breached == 0
        assert Notification.objects.filter(deadline=row, event="deadline_breached").count() == 2
        audit = AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="deadline.breached")
        assert audit.count() == 1 and audit.get().actor_label == "system"

    def test_a_reminder_overtaken_by_the_breach_is_not_sent_after_it(self, bcssp, dispute):
        row = dispute.deadlines.get(rule__name="stage-1")
        result = sweep(now=london(2026, 3, 5, 9))  # nothing swept since the dispute was raised
        assert (result.reminded, result.breached) == (0, 1)
        assert not Notification.objects.filter(deadline=row, event="deadline_near").exists()
        assert sweep(now=london(2026, 3, 5, 10)).reminded == 0

    def test_the_ten_day_rule_spans_stages_and_ends_on_escalation_to_stage_4(self, bcssp, dispute):
        overall = dispute.deadlines.get(rule__name="overall")
        assert overall.due_at == london(2026, 3, 16, 17)
        escalate(bcssp, dispute, london(2026, 3, 3, 10))
        assert dispute.deadlines.get(rule__name="overall", closed_at__isnull=True).pk == overall.pk
        result = sweep(now=london(2026, 3, 12, 9))  # two working days before
        assert result.reminded >= 1
        assert told(overall, "deadline_near") >= {("bcssp-head", "manager"), ("bcssp-sm", "senior_manager")}
        sweep(now=london(2026, 3, 16, 17) + SECOND)
        assert told(overall, "deadline_breached") == {
            ("bcssp-senior", "senior_manager"),
            ("bcssp-sm", "senior_manager"),
            ("bcssp-bm", "business_manager"),
        }

    def test_closed_and_paused_deadlines_are_left_alone(self, bcssp, dispute):
        Deadline.objects.filter(dispute=dispute, rule__name="stage-1").update(paused_at=london(2026, 3, 3, 10))
        services.withdraw_dispute(
            dispute=bcssp.raise_dispute(), withdrawn_by=bcssp.teacher, reason="Sorted.", now=london(2026, 3, 2, 11)
        )
        result = sweep(now=london(2026, 3, 31, 17))
        assert result.breached == 1  # only the ten-day rule of the first dispute
        assert Deadline.objects.filter(breached_at__isnull=False).get().rule.name == "overall"


class TestEveryKindOfSeedRule:
    def test_tscp_stages_1_and_2_together_run_from_raising_across_the_escalation(self, tscp):
        dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
        span = dispute.deadlines.get(rule__name="stages-1-and-2")
        escalate(tscp, dispute, london(2026, 3, 4, 10))
        assert dispute.current_stage == 2
        assert dispute.deadlines.get(rule__name="stages-1-and-2", closed_at__isnull=True).pk == span.pk
        assert sweep(now=london(2026, 3, 9, 17)).breached == 0
        sweep(now=london(2026, 3, 9, 17) + SECOND)
        span.refresh_from_db()
        assert span.breached_at is not None
        assert told(span, "deadline_breached") == {
            ("tscp-head", "manager"),
            ("tscp-tm", "manager"),
            ("tscp-senior", "senior_manager"),
            ("tscp-sm", "senior_manager"),
        }

    def test_tscp_no_response_tells_the_business_manager(self, tscp):
        dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
        row = dispute.deadlines.get(rule__name="no-response")
        sweep(now=london(2026, 3, 6, 9))  # its reminder names no roles: recorded, nobody told
        row.refresh_from_db()
        assert row.reminded_at is not None and not told(row, "deadline_near")
        sweep(now=london(2026, 3, 9, 17, 1))
        assert told(row, "no_response") == {("tscp-bm", "business_manager")}
        assert not told(row, "deadline_breached")
        notice = Notification.objects.get(deadline=row, event="no_response")
        assert "no response from the other agency" in notice.headline

    def test_tscp_no_response_is_not_breached_once_the_other_agency_replies(self, tscp):
        dispute = tscp.raise_dispute(now=london(2026, 3, 2, 10))
        services.add_record_entry(
            dispute=dispute,
            author=tscp.social_worker,
            kind="discussion",
            text="Replied.",
            occurred_on=datetime.date(2026, 3, 3),
            now=london(2026, 3, 3, 9),
        )
        sweep(now=london(2026, 3, 10, 9))
        assert not Notification.objects.filter(event="no_response").exists()

    def test_immediate_harm_24_hours_with_unfilled_roles_reported_to_the_business_manager(self, bcssp):
        dispute = bcssp.raise_dispute(immediate_harm=True, now=london(2026, 3, 2, 10))
        row = dispute.deadlines.get(rule__name="immediate-harm")
        assert row.remind_at == london(2026, 3, 3, 6) and row.due_at == london(2026, 3, 3, 10)
        sweep(now=london(2026, 3, 3, 6))
        assert "bcssp-head" in {username for username, _ in told(row, "deadline_near")}
        # Nobody at the social care agency is a designated safeguarding lead: the business manager hears.
        gap = Notification.objects.get(deadline=row, event="unfilled_role")
        assert gap.recipient == bcssp.business_manager
        assert "Designated safeguarding lead" in gap.message
        sweep(now=london(2026, 3, 3, 10) + SECOND)
        assert ("bcssp-bm", "business_manager") in told(row, "deadline_breached")

    def test_immediate_harm_is_not_breached_once_an_action_is_recorded(self, bcssp):
        dispute = bcssp.raise_dispute(immediate_harm=True, now=london(2026, 3, 2, 10))
        services.add_record_entry(
            dispute=dispute,
            author=bcssp.social_worker,
            kind="action",
            text="Visit made.",
            occurred_on=datetime.date(2026, 3, 2),
            now=london(2026, 3, 2, 15),
        )
        sweep(now=london(2026, 3, 3, 11))
        assert not Deadline.objects.filter(rule__name="immediate-harm", breached_at__isnull=False).exists()

    def test_tscp_stage_5_deadline_set_by_the_chair(self, tscp):
        dispute = tscp.raise_dispute(immediate_harm=True, start_stage=4, now=london(2026, 3, 2, 10))
        services.propose_escalation(dispute=dispute, proposed_by=tscp.director, reason="r", now=london(2026, 3, 3))
        services.approve_escalation(dispute=dispute, approver=tscp.business_manager, now=london(2026, 3, 3, 11))
        row = dispute.deadlines.get(rule__name="stage-5", closed_at__isnull=True)
        assert sweep(now=london(2026, 6, 1, 9)).breached == 0  # not set yet: nothing can be missed
        services.set_manual_deadline(
            dispute=dispute, set_by=tscp.chair, due_at=london(2026, 6, 10, 17), now=london(2026, 6, 1, 10)
        )
        sweep(now=london(2026, 6, 9, 9))
        assert told(row, "deadline_near") == {("tscp-bm", "business_manager")}
        assert sweep(now=london(2026, 6, 10, 17)).breached == 0
        sweep(now=london(2026, 6, 10, 17) + SECOND)
        assert told(row, "deadline_breached") == {("tscp-bm", "business_manager"), ("tscp-chair", "chair")}

    def test_partnership_default_is_named_as_the_partnerships_not_the_policys(self, world_for):
        world = world_for("banwell-buddies", "BAN")
        world.partnership.default_stage_working_days = 3
        world.partnership.save()
        dispute = world.raise_dispute(now=london(2026, 3, 2, 10))
        row = dispute.deadlines.get(rule__name="stage-1")
        assert row.due_at == london(2026, 3, 5, 17)
        sweep(now=london(2026, 3, 5, 17, 1))
        notice = Notification.objects.filter(deadline=row, event="deadline_breached").first()
        assert "the partnership's default of 3 working days" in notice.headline
        assert "this policy states no timescale" not in notice.headline


class TestCommand:
    def test_prints_one_json_line(self, bcssp):
        bcssp.raise_dispute(now=london(2026, 3, 2, 10))
        out = io.StringIO()
        call_command("sweep_deadlines", "--now", "2026-03-04T17:00:01+00:00", stdout=out)
        assert out.getvalue().count("\n") == 1
        assert json.loads(out.getvalue()) == {"reminded": 0, "breached": 1, "notifications_queued": 2}
        out = io.StringIO()
        call_command("sweep_deadlines", "--now", "2026-03-04T17:00:01Z", stdout=out)
        assert json.loads(out.getvalue()) == {"reminded": 0, "breached": 0, "notifications_queued": 0}

    @pytest.mark.parametrize("value", ["2026-03-04T17:00", "next tuesday"])
    def test_refuses_a_moment_without_a_time_zone_or_not_a_moment(self, db, value):
        with pytest.raises(CommandError, match="--now"):
            call_command("sweep_deadlines", "--now", value)


class TestTheClock:
    """The clock moved with time_machine: reminders and breaches at the right moment, not a minute early."""

    @pytest.mark.parametrize(
        ("raised", "remind", "due"),
        [
            # The clocks go forward on Sunday 29 March: due 17:00 BST is 16:00 UTC.
            (london(2026, 3, 26, 10), london(2026, 3, 27, 9), london(2026, 3, 30, 17)),
            # The clocks go back on Sunday 25 October: raised in BST, due 17:00 GMT.
            (london(2026, 10, 23, 12), london(2026, 10, 26, 9), london(2026, 10, 27, 17)),
            # Good Friday and Easter Monday are not working days; nor is the reminder sent on them.
            (london(2026, 4, 2, 10), london(2026, 4, 7, 9), london(2026, 4, 8, 17)),
            # Christmas Day and the substitute Boxing Day (Monday 28 December).
            (london(2026, 12, 23, 10), london(2026, 12, 24, 9), london(2026, 12, 29, 17)),
            # Raised on a Saturday before the May bank holiday: the clock starts on Tuesday.
            (london(2026, 5, 2, 11), london(2026, 5, 5, 9), london(2026, 5, 6, 17)),
        ],
    )
    def test_working_day_deadline_across_clock_changes_and_bank_holidays(self, bcssp, raised, remind, due):
        dispute = bcssp.raise_dispute(now=raised)
        row = dispute.deadlines.get(rule__name="stage-1")
        assert (row.remind_at, row.due_at) == (remind, due)
        assert sweep_on_the_clock(remind - MINUTE)["reminded"] == 0
        assert sweep_on_the_clock(remind - SECOND)["reminded"] == 0
        assert sweep_on_the_clock(remind)["reminded"] == 1
        for early in (due - datetime.timedelta(hours=1), due - MINUTE, due):
            assert sweep_on_the_clock(early)["breached"] == 0, early
        assert sweep_on_the_clock(due + SECOND)["breached"] == 1
        row.refresh_from_db()
        assert row.breached_at == due + SECOND

    @pytest.mark.parametrize(
        ("raised", "due"),
        [
            (london(2026, 3, 28, 12), london(2026, 3, 29, 13)),  # 24 hours over the spring change: 13:00 BST
            (london(2026, 10, 24, 12), london(2026, 10, 25, 11)),  # and over the autumn one: 11:00 GMT
        ],
    )
    def test_24_calendar_hours_across_a_clock_change(self, bcssp, raised, due):
        dispute = bcssp.raise_dispute(immediate_harm=True, now=raised)
        row = dispute.deadlines.get(rule__name="immediate-harm")
        # (Subtracting two London times gives wall-clock time: compare elapsed time in UTC.)
        assert row.due_at == due and due.astimezone(datetime.UTC) - raised == datetime.timedelta(hours=24)
        assert row.remind_at == due - datetime.timedelta(hours=4)
        assert sweep_on_the_clock(row.remind_at - SECOND)["reminded"] == 0
        assert sweep_on_the_clock(row.remind_at)["reminded"] == 1
        same_wall_clock = datetime.datetime.combine(due.date(), raised.timetz()).replace(tzinfo=raised.tzinfo)
        for early in {same_wall_clock, due - MINUTE, due}:
            if early <= due:
                assert sweep_on_the_clock(early)["breached"] == 0, early
        assert sweep_on_the_clock(due + SECOND)["breached"] == 1


def test_queries_per_batch_do_not_grow_with_the_number_due(bcssp):
    """The set-based sweep: one batch costs the same queries however many rows it holds."""
    counts = []
    for size, day in ((4, 10), (8, 11), (12, 12)):
        due = london(2026, 3, day, 17)
        bulk_due_deadlines(bcssp, size, due_at=due, tag=f"Q{size}")
        with CaptureQueriesContext(connection) as queries:
            assert sweep(now=due + SECOND).breached == size
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]


def test_the_same_sweep_twice_sends_nothing_twice(bcssp):
    bulk_due_deadlines(bcssp, 30, due_at=london(2026, 3, 4, 17))
    now = london(2026, 3, 4, 18)
    first, second = sweep(now=now, batch_size=7), sweep(now=now, batch_size=7)
    assert first.breached == 30 and first.notifications_queued == 60
    assert (second.breached, second.notifications_queued) == (0, 0)


class TestEmbeddedDefault:
    def test_start_up_lines_say_who_enforces_deadlines(self, settings):
        embedded = " ".join(startup_lines("", 60))
        assert "no REDIS_URL" in embedded and "every 60 seconds" in embedded
        assert "Celery beat" in " ".join(startup_lines("redis://127.0.0.1:6379/0", 60))

    def test_the_in_process_loop_sweeps_and_sends(self, transactional_db, settings):
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        world = build_world("bcssp", "EMB")
        rows = bulk_due_deadlines(world, 3, due_at=timezone.now() - datetime.timedelta(hours=1))
        mail.outbox.clear()
        done = EmbeddedEnforcer(60).run_once()
        assert done["breached"] == 3 and done["emails"] == {"sent": 6}
        assert Deadline.objects.filter(pk__in=[r.pk for r in rows], breached_at__isnull=False).count() == 3
        assert len(mail.outbox) == 6
        assert EmbeddedEnforcer(60).run_once()["breached"] == 0
