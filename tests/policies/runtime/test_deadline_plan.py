"""Which deadlines run, when they fall due and when they close: the runtime's plan, without a database."""

import datetime
from zoneinfo import ZoneInfo

from policies.calendar import WorkingCalendar
from policies.runtime.conditions import Facts
from policies.runtime.deadlines import DeadlineFacts, DeadlineRuleDef, EntryFact, OpenDeadline, plan_deadlines

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


def test_a_dispute_that_ended_closes_every_row():
    rows = [OpenDeadline(10, STAGE_1.id, RAISED), OpenDeadline(11, BOTH.id, RAISED)]
    result = plan(facts(open_rows=rows, is_open=False))
    assert {c.id for c in result.close} == {10, 11} and result.open == ()


def test_a_stage_entered_again_starts_its_clock_again():
    later = datetime.datetime(2026, 3, 16, 9, tzinfo=LONDON)
    row = OpenDeadline(10, STAGE_1.id, RAISED)
    result = plan(facts(entered={1: later}, open_rows=[row]), now=later)
    assert [c.id for c in result.close] == [10]
    assert [r.anchor_at for r in result.open if r.rule_id == STAGE_1.id] == [later]


# When the clock starts, how a rule is met, and a due moment brought forward (policy-audit.md section 9).

RAISER, COLLEAGUE, MANAGER, OTHER_WORKER = 11, 12, 13, 21
OUTSET = DeadlineRuleDef(
    30, "overall", "Within 10 working days of the outset", 1, 3, "concern_outset", "working_days", 10
)
PROPOSED = DeadlineRuleDef(31, "stage-3", "Stage 3", 3, 3, "escalation_proposed", "working_days", 5)
REQUIRED = DeadlineRuleDef(
    32,
    "harm",
    "Action within 24 hours",
    1,
    4,
    "raised",
    "calendar_hours",
    24,
    condition="immediate_harm",
    met_by="required_action",
)
GUIDE = DeadlineRuleDef(33, "guide", "One working week", 1, 1, "stage_entry", "working_days", 5, strength="guide")


def moments(rules, dispute, now):
    return plan_deadlines(rules, dispute, CALENDAR, 3, now)


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def test_audit_9_6_the_overall_clock_counts_from_the_concern_outset_not_from_raising():
    raised = at(2026, 3, 6, 11)  # Friday; the concern was first considered on Wednesday 4 March
    given = DeadlineFacts(
        is_open=True,
        current_stage=1,
        raised_at=raised,
        other_agency_id=OTHER,
        facts=Facts(immediate_harm=False, subject_kind="child"),
        stage_entries={1: raised},
        concern_outset=datetime.date(2026, 3, 4),
    )
    [row] = moments((OUTSET,), given, raised).open
    assert row.anchor_at == at(2026, 3, 4, 0)
    assert row.timing.due_at == at(2026, 3, 18, 17), "10 working days after Wednesday 4 March"
    not_given = DeadlineFacts(**{**given.__dict__, "concern_outset": None})
    [row] = moments((OUTSET,), not_given, raised).open
    assert (row.anchor_at, row.timing.due_at) == (raised, at(2026, 3, 20, 17)), "no outset: from raising"


def torbay(stage, *, awaiting=False, open_rows=(), entries=()) -> DeadlineFacts:
    """Raised Friday 22 May 2026; stage 2 from Tuesday 26 May (Monday is a bank holiday); escalation out of stage
    2 proposed Friday 29 May and approved Wednesday 3 June."""
    raised = at(2026, 5, 22, 10)
    entered = {1: raised, 2: at(2026, 5, 26, 9)}
    if stage == 3:
        entered[3] = at(2026, 6, 3, 10)
    return DeadlineFacts(
        is_open=True,
        current_stage=stage,
        raised_at=raised,
        other_agency_id=OTHER,
        facts=Facts(immediate_harm=False, subject_kind="child"),
        stage_entries=entered,
        entries=tuple(entries),
        open_rows=tuple(open_rows),
        raising_agency_id=RAISING,
        raiser_id=RAISER,
        stage_proposals={1: at(2026, 5, 26, 9), 2: at(2026, 5, 29, 10)},
        awaiting_approval=awaiting,
    )


def test_audit_9_5_stage_3_runs_from_stage_2_failing_not_from_the_approval():
    [row] = moments((PROPOSED,), torbay(3), at(2026, 6, 3, 10)).open
    assert row.anchor_at == at(2026, 5, 29, 10)
    assert row.timing.due_at == at(2026, 6, 5, 17), "5 working days from Friday 29 May, not Wednesday 10 June"


def test_audit_9_5_stages_1_and_2_are_met_at_the_proposal_not_breached_waiting_for_approval():
    due = at(2026, 6, 1, 17)  # 5 working days from Friday 22 May
    row = OpenDeadline(50, BOTH.id, at(2026, 5, 22, 10), due_at=due)
    proposed = at(2026, 5, 29, 10)
    waiting = moments((BOTH,), torbay(2, awaiting=True, open_rows=[row]), proposed)
    assert [(c.id, c.met, c.at) for c in waiting.close] == [(50, True, None)]
    assert waiting.open == (), "no new row while the escalation waits for approval"
    # A row still open when the approval comes (after its due moment) is judged at the proposal all the same.
    approved = moments((BOTH,), torbay(3, open_rows=[row]), at(2026, 6, 3, 10))
    assert [(c.id, c.met, c.at) for c in approved.close] == [(50, True, proposed)]


def test_audit_9_5_a_proposal_after_the_due_moment_is_still_late():
    row = OpenDeadline(50, BOTH.id, at(2026, 5, 22, 10), due_at=at(2026, 5, 28, 17))
    result = moments((BOTH,), torbay(2, awaiting=True, open_rows=[row]), at(2026, 5, 29, 10))
    assert [(c.id, c.met) for c in result.close] == [(50, False)]


def test_audit_9_7_leaving_the_stages_without_a_reply_does_not_meet_the_reply_rule():
    row = OpenDeadline(60, REPLY.id, RAISED, due_at=at(2026, 6, 1, 17))
    own_note = EntryFact(RAISING, "discussion", at(2026, 5, 27, 9), RAISER, frozenset({"practitioner"}))
    for moved_on in (torbay(2, awaiting=True, open_rows=[row], entries=[own_note]), torbay(3, open_rows=[row])):
        result = moments((REPLY,), moved_on, at(2026, 5, 29, 10))
        assert [(c.id, c.met) for c in result.close] == [(60, False)], "the raiser escalating is not a reply"
    reply = EntryFact(OTHER, "discussion", at(2026, 5, 27, 9), OTHER_WORKER, frozenset({"practitioner"}))
    result = moments((REPLY,), torbay(2, open_rows=[row], entries=[reply]), at(2026, 5, 27, 9))
    assert [(c.id, c.met) for c in result.close] == [(60, True)]


def harm_facts(*entries, rule_rows=()) -> DeadlineFacts:
    return DeadlineFacts(
        is_open=True,
        current_stage=1,
        raised_at=RAISED,
        other_agency_id=OTHER,
        facts=Facts(immediate_harm=True, subject_kind="child"),
        stage_entries={1: RAISED},
        entries=entries,
        open_rows=tuple(rule_rows),
        raising_agency_id=RAISING,
        raiser_id=RAISER,
    )


def harm_runs(rule, *entries) -> bool:
    return rule.id in {row.rule_id for row in moments((rule,), harm_facts(*entries), RAISED).open}


def action(agency, author, *roles, kind="action"):
    return EntryFact(agency, kind, RAISED + datetime.timedelta(minutes=5), author, frozenset(roles))


def test_audit_9_3_the_raisers_own_note_does_not_meet_the_required_action():
    assert harm_runs(REQUIRED, action(RAISING, RAISER, "practitioner"))
    assert harm_runs(REQUIRED, action(RAISING, RAISER, "manager", "dsl")), "not even when the raiser manages"
    assert harm_runs(REQUIRED, action(RAISING, COLLEAGUE, "practitioner")), "a colleague with no manager role"
    assert harm_runs(REQUIRED, action(OTHER, OTHER_WORKER, "practitioner", kind="discussion")), "a discussion"
    assert not harm_runs(REQUIRED, action(OTHER, OTHER_WORKER, "practitioner")), "anyone on the other side"
    assert not harm_runs(REQUIRED, action(RAISING, MANAGER, "manager")), "a manager on either side"


def test_audit_9_3_named_able_roles_decide_who_can_take_the_required_action():
    seniors = DeadlineRuleDef(**{**REQUIRED.__dict__, "able_roles": ("senior_manager",)})
    assert harm_runs(seniors, action(OTHER, OTHER_WORKER, "practitioner"))
    assert harm_runs(seniors, action(RAISING, MANAGER, "manager"))
    assert not harm_runs(seniors, action(RAISING, MANAGER, "senior_manager"))
    assert not harm_runs(seniors, action(OTHER, OTHER_WORKER, "senior_manager"))


def test_audit_9_3_the_required_action_not_taken_before_the_dispute_moved_on_is_not_met():
    row = OpenDeadline(70, REQUIRED.id, RAISED, due_at=RAISED + datetime.timedelta(hours=24))
    gone = DeadlineFacts(**{**harm_facts(rule_rows=[row]).__dict__, "current_stage": 5, "stage_entries": {5: RAISED}})
    assert [(c.id, c.met) for c in moments((REQUIRED,), gone, RAISED + datetime.timedelta(hours=1)).close] == [
        (70, False)
    ]


def test_audit_9_11_a_guide_is_planned_as_a_guide_and_a_shorter_timescale_stands():
    assert GUIDE.guide and not STAGE_1.guide
    [opened] = moments((GUIDE,), facts(), RAISED).open
    assert opened.timing.due_at == at(2026, 3, 9, 17)
    sooner = at(2026, 3, 4, 12)
    row = OpenDeadline(80, GUIDE.id, RAISED, extended_days=3, shortened_due_at=sooner)
    when = moments((GUIDE,), facts(open_rows=[row]), RAISED).recompute[80]
    assert when.due_at == sooner, "whichever is shortest, however the deadline is recomputed"
    assert when.remind_at == at(2026, 3, 3, 9) and when.soon_at == at(2026, 3, 3, 9)
    later = OpenDeadline(81, GUIDE.id, RAISED, shortened_due_at=at(2026, 3, 20, 17))
    assert moments((GUIDE,), facts(open_rows=[later]), RAISED).recompute[81].due_at == at(2026, 3, 9, 17)
