"""Defects the shipped scenarios found, pinned without a database."""

from policies.runtime import Actor, Command, DisputeSnapshot, PolicyRules, StageRule, decide
from policies.runtime.rules import Named
from policies.vocabulary import DisputeState

RAISING, OTHER = 1, 2
CONVENED = StageRule(
    4,
    "Convened meeting, then mediation or a panel",
    approval_required=True,
    approver_roles=("senior_manager",),
    binding=True,
    outcome_roles=("director_childrens_services",),
    decision_maker=(Named(office="independent_chair"),),
)
RULES = PolicyRules(version_id=1, stages=(StageRule(3, "Senior managers"), CONVENED))
AT_STAGE_4 = DisputeSnapshot(RULES, DisputeState.IN_DISCUSSION, 4, RAISING, OTHER)
CONVENOR = Actor(1, {}, offices=frozenset({"director_childrens_services"}))
INDEPENDENT_CHAIR = Actor(2, {}, offices=frozenset({"independent_chair"}))
PARTY = Actor(3, {RAISING: frozenset({"senior_manager"})})


def test_the_convenor_records_a_settlement_at_a_binding_stage_but_not_its_decision():
    assert decide(AT_STAGE_4, CONVENOR, Command.RESOLVE).allowed
    assert not decide(AT_STAGE_4, CONVENOR, Command.RECORD_DECISION).allowed


def test_only_the_decision_maker_records_the_binding_decision_and_a_party_neither():
    assert decide(AT_STAGE_4, INDEPENDENT_CHAIR, Command.RECORD_DECISION).allowed
    refusal = decide(AT_STAGE_4, PARTY, Command.RESOLVE).refusal
    assert "can record a settlement" in refusal and "independent chair" in refusal.lower()
    assert not decide(AT_STAGE_4, PARTY, Command.RECORD_DECISION).allowed
