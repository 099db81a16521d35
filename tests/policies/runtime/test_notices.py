"""Which notices a policy asks for, and which stages a dispute reaches or passes: the runtime, without a database."""

from policies.runtime.conditions import Facts
from policies.runtime.notices import NoticeRule, Trigger, notices_for, reach_triggers, stages_reached
from policies.runtime.rules import PolicyRules, StageRule

CP_CHAIR_OR_IRO = {
    "kind": "any_of",
    "of": [{"kind": "office", "office": "cp_chair"}, {"kind": "office", "office": "iro"}],
}
BUSINESS_MANAGER = {"kind": "role", "role": "business_manager", "sides": "both"}
RAISER = {"kind": "raiser"}

NOTICES = (
    NoticeRule("stage_entered", (2,), (CP_CHAIR_OR_IRO,), "cp_plan_or_looked_after", "Tell the chair"),
    NoticeRule("stage_entered", (), (BUSINESS_MANAGER, RAISER)),
    NoticeRule("resolved_at_stage", (2, 3), (BUSINESS_MANAGER,), message="Resolved"),
    NoticeRule("stage_reached", (2,), (BUSINESS_MANAGER,)),
)

LADDER = PolicyRules(
    version_id=1,
    stages=(
        StageRule(0, "Talk to your supervisor", pre_escalation=True),
        StageRule(1, "Worker to worker"),
        StageRule(2, "Manager to manager"),
        StageRule(3, "Senior managers"),
        StageRule(4, "Panel", binding=True),
    ),
)


def test_notices_follow_event_stage_and_condition_and_carry_the_stored_recipients():
    looked_after = Facts(immediate_harm=False, subject_kind="child", cp_plan_or_looked_after=True)
    not_looked_after = Facts(immediate_harm=False, subject_kind="child", cp_plan_or_looked_after=False)
    entered_2 = Trigger("stage_entered", 2)
    assert [n.recipients for n in notices_for(NOTICES, entered_2, looked_after)] == [
        (CP_CHAIR_OR_IRO,),
        (BUSINESS_MANAGER, RAISER),
    ]
    assert [n.recipients for n in notices_for(NOTICES, entered_2, not_looked_after)] == [(BUSINESS_MANAGER, RAISER)]
    assert notices_for(NOTICES, Trigger("resolved_at_stage", 1), looked_after) == ()
    assert notices_for(NOTICES, Trigger("resolved_at_stage", 3), looked_after)[0].message == "Resolved"
    reached = notices_for(NOTICES, Trigger("stage_reached", 2), not_looked_after)
    assert [(n.trigger, n.recipients) for n in reached] == [(Trigger("stage_reached", 2), (BUSINESS_MANAGER,))]


def test_a_dispute_started_at_stage_3_has_reached_stages_1_2_and_3():
    assert stages_reached(LADDER, (), 3) == (1, 2, 3)


def test_a_dispute_started_at_the_first_stage_has_reached_it_only():
    assert stages_reached(LADDER, (), 1) == (1,)


def test_moving_up_one_stage_reaches_that_stage_only():
    assert stages_reached(LADDER, (1,), 2) == (2,)
    assert stages_reached(LADDER, (1, 2), 3) == (3,)


def test_a_dispute_started_high_reaches_nothing_below_again_when_it_moves_on():
    assert stages_reached(LADDER, (3,), 4) == (4,)


def test_a_pre_escalation_stage_is_never_reached():
    assert 0 not in stages_reached(LADDER, (), 4)
    assert stages_reached(LADDER, (), 0) == ()


def test_a_stage_entered_again_reaches_nothing_new():
    assert stages_reached(LADDER, (1, 2), 2) == ()


def test_each_stage_newly_reached_is_one_trigger_lowest_first():
    assert reach_triggers(LADDER, (), 3) == (
        Trigger("stage_reached", 1),
        Trigger("stage_reached", 2),
        Trigger("stage_reached", 3),
    )
    assert reach_triggers(LADDER, (1, 2, 3), 4) == (Trigger("stage_reached", 4),)


def test_a_policy_numbering_its_stages_with_gaps_reaches_only_the_stages_it_has():
    rules = PolicyRules(version_id=2, stages=(StageRule(1, "One"), StageRule(3, "Three"), StageRule(5, "Five")))
    assert stages_reached(rules, (), 5) == (1, 3, 5)
    assert stages_reached(rules, (1,), 5) == (3, 5)
