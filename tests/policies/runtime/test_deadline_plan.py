"""Which deadlines run, when they fall due and when they close: the runtime's plan, without a database."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from policies.calendar import WorkingCalendar
from policies.runtime.conditions import Facts
from policies.runtime.deadlines import DeadlineFacts, DeadlineRuleDef, EntryFact, OpenDeadline, plan_deadlines
from policies.runtime.notices import NoticeRule, Trigger, notices_for

LONDON = ZoneInfo("Europe/London")
CALENDAR = WorkingCalendar(nation="ENG", closure_days=frozenset(), close_of_business=datetime.time(17))
RAISED = datetime.datetime(2026, 3, 2, 10, tzinfo=LONDON)  # a Monday
RAISING, OTHER = 1, 2

STAGE_1 = DeadlineRuleDef(1, "stage-1", "Stage 1", 1, 1, "stage_entry", "working_days", 2)
BOTH = DeadlineRuleDef(2, "stages-1-2", "Stages 1 and 2", 1, 2, "raised", "working_days", 5)
HARM = DeadlineRuleDef(
    3,
    "harm",
    "Action",
    1,
    4,
    "raised",
    "calendar_hours",
    24,
    condition="immediate_harm",
    met_by="action_recorded",
    reminder_lead=2,
)
REPLY = DeadlineRuleDef(4, "reply", "Reply", 1, 2, "raised", "working_days", 5, met_by="response")
DEFAULT = DeadlineRuleDef(5, "stage-2", "Stage 2", 2, 2, "stage_entry", "working_days", None, partnership_default=True)
MANUAL = DeadlineRuleDef(6, "stage-5", "Stage 5", 5, 5, "stage_entry", "manual", None)
ALL = (STAGE_1, BOTH, HARM, REPLY, DEFAULT, MANUAL)


def facts(stage=1, entered=None, entries=(), open_rows=(), harm=False, is_open=True) -> DeadlineFacts:
    return DeadlineFacts(
        is_open=is_open,
        current_stage=stage,
        raised_at=RAISED,
        other_agency_id=OTHER,
        facts=Facts(immediate_harm=harm, subject_kind="child", cp_plan_or_looked_after=False, health_agency=False),
        stage_entries=entered or {1: RAISED},
        entries=tuple(entries),
        open_rows=tuple(open_rows),
    )


def plan(dispute, now=RAISED, default_days=3):
    return plan_deadlines(ALL, dispute, CALENDAR, default_days, now)


def test_a_new_dispute_opens_each_rule_that_spans_its_stage():
    result = plan(facts())
    opened = {row.rule_id: row.timing.due_at for row in result.open}
    assert opened == {
        1: datetime.datetime(2026, 3, 4, 17, tzinfo=LONDON),
        2: datetime.datetime(2026, 3, 9, 17, tzinfo=LONDON),
        4: datetime.datetime(2026, 3, 9, 17, tzinfo=LONDON),
    }
    assert result.close == ()


def test_immediate_harm_adds_its_24_hours_and_an_action_meets_it_but_not_a_note_before_the_clock():
    opened = {row.rule_id: row for row in plan(facts(harm=True)).open}
    assert opened[3].timing.due_at == RAISED + datetime.timedelta(hours=24)
    assert opened[3].timing.remind_at == RAISED + datetime.timedelta(hours=22)
    before = EntryFact(OTHER, "action", RAISED - datetime.timedelta(minutes=1))
    assert 3 in {row.rule_id for row in plan(facts(harm=True, entries=[before])).open}
    after = EntryFact(RAISING, "action", RAISED + datetime.timedelta(hours=1))
    assert 3 not in {row.rule_id for row in plan(facts(harm=True, entries=[after])).open}


def test_a_response_from_the_other_agency_closes_the_reply_rule_as_met():
    row = OpenDeadline(40, REPLY.id, RAISED, due_at=datetime.datetime(2026, 3, 9, 17, tzinfo=LONDON))
    reply = EntryFact(OTHER, "discussion", RAISED + datetime.timedelta(days=1))
    result = plan(facts(entries=[reply], open_rows=[row]), now=RAISED + datetime.timedelta(days=1))
    assert [(c.id, c.met) for c in result.close] == [(40, True)]
    own_note = EntryFact(RAISING, "discussion", RAISED + datetime.timedelta(days=1))
    assert plan(facts(entries=[own_note], open_rows=[row])).close == ()


def test_moving_on_closes_the_stages_rules_late_or_in_time_and_opens_the_next_stages():
    entered_2 = datetime.datetime(2026, 3, 10, 9, tzinfo=LONDON)
    rows = [
        OpenDeadline(10, STAGE_1.id, RAISED, due_at=datetime.datetime(2026, 3, 4, 17, tzinfo=LONDON)),
        OpenDeadline(11, BOTH.id, RAISED, due_at=datetime.datetime(2026, 3, 9, 17, tzinfo=LONDON)),
    ]
    result = plan(facts(stage=2, entered={1: RAISED, 2: entered_2}, open_rows=rows), now=entered_2)
    assert [(c.id, c.met) for c in result.close] == [(10, False)]
    assert 11 in result.recompute, "a rule that spans both stages runs on"
    opened = {row.rule_id: row.timing.due_at for row in result.open}
    assert opened[DEFAULT.id] == datetime.datetime(2026, 3, 13, 17, tzinfo=LONDON), "the partnership's 3 days"


def test_an_extension_and_a_date_set_by_hand_are_kept_when_recomputed():
    rows = [
        OpenDeadline(10, STAGE_1.id, RAISED, extended_days=2),
    ]
    result = plan(facts(open_rows=rows))
    assert result.recompute[10].due_at == datetime.datetime(2026, 3, 6, 17, tzinfo=LONDON)
    chair_date = datetime.datetime(2026, 6, 1, 17, tzinfo=LONDON)
    manual = OpenDeadline(12, MANUAL.id, RAISED, manual_due_at=chair_date)
    result = plan(facts(stage=5, entered={5: RAISED}, open_rows=[manual]))
    assert result.recompute[12].due_at == chair_date


@pytest.mark.parametrize("is_open", [False])
def test_a_dispute_that_ended_closes_every_row(is_open):
    rows = [OpenDeadline(10, STAGE_1.id, RAISED), OpenDeadline(11, BOTH.id, RAISED)]
    result = plan(facts(open_rows=rows, is_open=is_open))
    assert {c.id for c in result.close} == {10, 11} and result.open == ()


def test_a_stage_entered_again_starts_its_clock_again():
    later = datetime.datetime(2026, 3, 16, 9, tzinfo=LONDON)
    row = OpenDeadline(10, STAGE_1.id, RAISED)
    result = plan(facts(entered={1: later}, open_rows=[row]), now=later)
    assert [c.id for c in result.close] == [10]
    assert [r.anchor_at for r in result.open if r.rule_id == STAGE_1.id] == [later]


NOTICES = (
    NoticeRule("stage_entered", (2,), ("cp_chair", "iro"), "both", "cp_plan_or_looked_after", "Tell the chair"),
    NoticeRule("stage_entered", (), ("business_manager",)),
    NoticeRule("resolved_at_stage", (2, 3), ("business_manager",), message="Resolved"),
)


def test_notices_follow_event_stage_and_condition():
    looked_after = Facts(immediate_harm=False, subject_kind="child", cp_plan_or_looked_after=True)
    not_looked_after = Facts(immediate_harm=False, subject_kind="child", cp_plan_or_looked_after=False)
    entered_2 = Trigger("stage_entered", 2)
    assert [n.roles for n in notices_for(NOTICES, entered_2, looked_after)] == [
        ("cp_chair", "iro"),
        ("business_manager",),
    ]
    assert [n.roles for n in notices_for(NOTICES, entered_2, not_looked_after)] == [("business_manager",)]
    assert notices_for(NOTICES, Trigger("resolved_at_stage", 1), looked_after) == ()
    assert notices_for(NOTICES, Trigger("resolved_at_stage", 3), looked_after)[0].message == "Resolved"
