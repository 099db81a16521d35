"""Who decides, without a database: binding decisions (policy-audit §9 item 4), resolutions both sides confirm,
moving on a dispute that got no response (§9 item 7) and a setting's internal stages (W10/S12)."""

import itertools

import pytest

from policies.loading import rules_from_spec
from policies.runtime import Actor, Command, DisputeSnapshot, Waiting, allowed_commands, decide
from policies.vocabulary import OPEN_STATES, DisputeState
from tests.policies.runtime.who_decides import who_decides

RAISING, OTHER, ELSEWHERE = 1, 2, 3
RULES = rules_from_spec(who_decides())

PEOPLE = {
    "raising practitioner": Actor(1, {RAISING: frozenset({"practitioner"})}),
    "raising manager": Actor(2, {RAISING: frozenset({"manager", "dsl"})}),
    "raising senior manager": Actor(3, {RAISING: frozenset({"senior_manager"})}),
    "raising nurse": Actor(4, {RAISING: frozenset({"designated_nurse"})}),
    "other practitioner": Actor(5, {OTHER: frozenset({"practitioner"})}),
    "other manager": Actor(6, {OTHER: frozenset({"manager"})}),
    "other senior manager": Actor(7, {OTHER: frozenset({"senior_manager"})}),
    "other director": Actor(8, {OTHER: frozenset({"director"})}),
    "business manager": Actor(9, {ELSEWHERE: frozenset({"business_manager"})}, frozenset({"business_manager"})),
    "chair": Actor(10, {ELSEWHERE: frozenset({"chair"})}, frozenset({"chair"})),
    "independent chair": Actor(11, offices=frozenset({"independent_chair"})),
    "designated nurse office": Actor(12, offices=frozenset({"designated_nurse"})),
    "bystander": Actor(13, {ELSEWHERE: frozenset({"practitioner", "manager", "senior_manager"})}),
    "suspended independent chair": Actor(14, offices=frozenset({"independent_chair"}), active=False),
}
RAISING_PEOPLE = {name for name in PEOPLE if name.startswith("raising")}
OTHER_PEOPLE = {name for name in PEOPLE if name.startswith("other")}
NO_RESPONSE = frozenset({"business_manager"})


def at(stage: int, state: str = DisputeState.IN_DISCUSSION, rules=RULES, **fields) -> DisputeSnapshot:
    if state == DisputeState.AWAITING_APPROVAL:
        fields.setdefault("escalation_side_id", RAISING)
    return DisputeSnapshot(rules, state, stage, RAISING, OTHER, **fields)


def may(snapshot: DisputeSnapshot, command: Command) -> set[str]:
    return {name for name, person in PEOPLE.items() if decide(snapshot, person, command).allowed}


# Policy-audit §9 item 4: "The decision reached in mediation or at Dispute Panel is final and binding" (bath:71),
# recorded by that decision-maker, not by a party.


def test_audit_9_4_only_the_decision_maker_records_a_binding_decision_not_a_party():
    dispute = at(5)
    assert may(dispute, Command.RESOLVE) == set(), "nobody resolves a binding stage as a resolution"
    assert may(dispute, Command.RECORD_DECISION) == {"independent chair"}
    refusal = decide(dispute, PEOPLE["raising manager"], Command.RESOLVE).refusal
    assert refusal == (
        "Stage 5 is final and binding: only the independent chair can record its decision, not a party to the dispute."
    )
    decision = decide(dispute, PEOPLE["independent chair"], Command.RECORD_DECISION)
    assert (decision.state, decision.transition, decision.audit_event) == (
        DisputeState.RESOLVED,
        "resolve",
        "dispute.decision_recorded",
    )
    assert [(t.event, t.stage) for t in decision.triggers] == [("resolved_at_stage", 5)]


@pytest.mark.parametrize(
    ("maker", "expected"),
    [
        ({"role": "chair"}, {"chair"}),
        ({"role": "director", "sides": "other"}, {"other director"}),
        ({"any_of": [{"office": "independent_chair"}, {"role": "chair"}]}, {"independent chair", "chair"}),
    ],
)
def test_audit_9_4_the_decision_maker_may_be_a_partnership_role_an_agency_role_or_either_of_two(maker, expected):
    rules = rules_from_spec(who_decides(stage_5={"decision_maker": maker}))
    assert may(at(5, rules=rules), Command.RECORD_DECISION) == expected
    assert may(at(5, rules=rules), Command.RESOLVE) == set()


def test_audit_9_4_a_binding_stage_that_names_no_decision_maker_is_decided_by_the_partnership_chair():
    rules = rules_from_spec(who_decides(stage_5={"decision_maker": None}))
    assert may(at(5, rules=rules), Command.RECORD_DECISION) == {"chair"}
    assert may(at(5, rules=rules), Command.RESOLVE) == set()


def test_audit_9_4_a_decision_is_recorded_only_at_a_binding_stage():
    for stage in (1, 2, 3, 4):
        assert may(at(stage), Command.RECORD_DECISION) == set(), stage
    refusal = decide(at(3), PEOPLE["independent chair"], Command.RECORD_DECISION).refusal
    assert refusal.startswith("Stage 3 is not final and binding")


def test_audit_9_4_entry_to_a_binding_stage_is_approved_by_whom_the_stage_says():
    waiting = at(4, DisputeState.AWAITING_APPROVAL, escalation_side_id=OTHER)
    assert may(waiting, Command.APPROVE_ESCALATION) == {"business manager"}


# A resolution "to both parties' satisfaction" (bath:81): both sides confirm.


def test_a_resolution_one_side_records_waits_for_the_other_side_and_names_its_actors():
    decision = decide(at(1), PEOPLE["raising practitioner"], Command.RESOLVE)
    assert decision.state == DisputeState.AWAITING_CONFIRMATION
    assert (decision.transition, decision.audit_event, decision.side) == (
        "await_confirmation",
        "resolution.awaiting_confirmation",
        RAISING,
    )
    assert decision.waiting_on == (Waiting(OTHER, "practitioner", "confirmation"),)
    assert decision.triggers == (), "nothing a resolution sets off happens before it is confirmed"


def test_the_other_side_confirms_and_the_recorders_side_cannot_confirm_its_own():
    awaiting = at(1, DisputeState.AWAITING_CONFIRMATION, confirmed_by=frozenset({RAISING}))
    assert may(awaiting, Command.CONFIRM_RESOLUTION) == OTHER_PEOPLE
    refusal = decide(awaiting, PEOPLE["raising manager"], Command.CONFIRM_RESOLUTION).refusal
    assert refusal == "Your agency recorded or has confirmed this resolution: it is for the other agency to confirm it."
    decision = decide(awaiting, PEOPLE["other practitioner"], Command.CONFIRM_RESOLUTION)
    assert (decision.state, decision.transition, decision.side) == (DisputeState.RESOLVED, "confirm_resolution", OTHER)
    assert [(t.event, t.stage) for t in decision.triggers] == [("resolved_at_stage", 1)]


def test_either_side_may_say_it_does_not_agree_and_the_dispute_goes_back_to_discussion():
    awaiting = at(1, DisputeState.AWAITING_CONFIRMATION, confirmed_by=frozenset({RAISING}))
    assert may(awaiting, Command.REJECT_RESOLUTION) == RAISING_PEOPLE | OTHER_PEOPLE
    decision = decide(awaiting, PEOPLE["other manager"], Command.REJECT_RESOLUTION)
    assert (decision.state, decision.transition, decision.audit_event) == (
        DisputeState.IN_DISCUSSION,
        "reject_resolution",
        "resolution.rejected",
    )


def test_while_a_resolution_awaits_confirmation_nobody_records_another_or_escalates():
    awaiting = at(1, DisputeState.AWAITING_CONFIRMATION, confirmed_by=frozenset({RAISING}))
    for command in (Command.RESOLVE, Command.PROPOSE_ESCALATION, Command.ESCALATE_NO_RESPONSE):
        assert may(awaiting, command) == set(), command
    assert (
        "waiting for the other agency to confirm" in decide(awaiting, PEOPLE["other manager"], Command.RESOLVE).refusal
    )


def test_a_resolution_the_partnership_records_waits_for_both_sides_one_at_a_time():
    decision = decide(at(1), PEOPLE["business manager"], Command.RESOLVE)
    assert decision.state == DisputeState.AWAITING_CONFIRMATION and decision.side is None
    assert {w.agency_id for w in decision.waiting_on} == {RAISING, OTHER}
    awaiting = at(1, DisputeState.AWAITING_CONFIRMATION)
    first = decide(awaiting, PEOPLE["other practitioner"], Command.CONFIRM_RESOLUTION)
    assert first.state is None and first.transition is None, "still waiting for the raising side"
    assert first.waiting_on == (Waiting(RAISING, "practitioner", "confirmation"),)
    second = decide(
        at(1, DisputeState.AWAITING_CONFIRMATION, confirmed_by=frozenset({OTHER})),
        PEOPLE["raising practitioner"],
        Command.CONFIRM_RESOLUTION,
    )
    assert second.state == DisputeState.RESOLVED


def test_a_stage_without_confirmation_is_resolved_at_once():
    decision = decide(at(3), PEOPLE["other senior manager"], Command.RESOLVE)
    assert decision.state == DisputeState.RESOLVED and decision.waiting_on == ()


# Who records the outcome: the roles or offices a stage names.


def test_only_the_roles_or_offices_a_stage_names_record_its_outcome():
    assert may(at(3), Command.RESOLVE) == {
        "raising senior manager",
        "other senior manager",
        "raising nurse",
        "designated nurse office",
    }
    refusal = decide(at(3), PEOPLE["raising manager"], Command.RESOLVE).refusal
    assert refusal == "At stage 3 only the senior manager or designated nurse can record the outcome."


def test_a_stage_naming_nobody_is_resolved_by_either_side_or_the_partnership_staff():
    assert may(at(1), Command.RESOLVE) == RAISING_PEOPLE | OTHER_PEOPLE | {"business manager", "chair"}


# Policy-audit §9 item 7: "they are to inform the TSCP Business Manager … who will escalate matters accordingly"
# (torbay:80).


def test_audit_9_7_the_business_manager_moves_on_a_dispute_that_got_no_response_without_approval():
    dispute = at(1, escalate_on_breach_roles=NO_RESPONSE)
    assert may(dispute, Command.ESCALATE_NO_RESPONSE) == {"business manager"}
    decision = decide(dispute, PEOPLE["business manager"], Command.ESCALATE_NO_RESPONSE)
    assert (decision.state, decision.transition, decision.enter_stage, decision.needs_approval) == (
        DisputeState.IN_DISCUSSION,
        "escalate",
        2,
        False,
    )
    assert decision.audit_event == "dispute.escalated_no_response"
    assert [(t.event, t.stage) for t in decision.triggers] == [("stage_entered", 2)]


def test_audit_9_7_no_one_moves_a_dispute_on_for_no_response_before_a_deadline_allowing_it_is_breached():
    dispute = at(1)
    assert may(dispute, Command.ESCALATE_NO_RESPONSE) == set()
    refusal = decide(dispute, PEOPLE["business manager"], Command.ESCALATE_NO_RESPONSE).refusal
    assert refusal.startswith("No deadline that lets the dispute be moved on")
    refusal = decide(at(1, escalate_on_breach_roles=NO_RESPONSE), PEOPLE["chair"], Command.ESCALATE_NO_RESPONSE)
    assert refusal.refusal == (
        "Only the partnership business manager can move the dispute on when the other agency has not responded."
    )


def test_audit_9_7_moving_on_for_no_response_also_ends_a_waiting_proposal_but_never_passes_a_binding_stage():
    waiting = at(3, DisputeState.AWAITING_APPROVAL, escalate_on_breach_roles=NO_RESPONSE)
    assert decide(waiting, PEOPLE["business manager"], Command.ESCALATE_NO_RESPONSE).enter_stage == 4
    final = at(5, escalate_on_breach_roles=NO_RESPONSE)
    refusal = decide(final, PEOPLE["business manager"], Command.ESCALATE_NO_RESPONSE).refusal
    assert refusal == "Stage 5 is final and binding: it cannot be escalated."


# Policy-audit W10/S12: a setting's own procedure has stages internal to that setting.


@pytest.mark.parametrize("command", [Command.ADD_ENTRY, Command.RESOLVE, Command.PROPOSE_ESCALATION])
def test_w10_s12_at_an_internal_stage_only_that_side_acts_and_the_other_agency_is_not_asked(command):
    for stage, acting, outside, side in (
        (2, RAISING_PEOPLE, OTHER_PEOPLE, "raising"),
        (4, OTHER_PEOPLE, RAISING_PEOPLE, "other"),
    ):
        allowed = may(at(stage), command)
        assert not allowed & outside, (stage, command)
        assert allowed & acting, (stage, command)
        person = PEOPLE[sorted(outside)[0]]
        assert decide(at(stage), person, command).refusal == (
            f"Stage {stage} is internal to the {side} agency: only that agency acts at this stage."
        )


def test_w10_s12_one_side_cannot_take_the_dispute_into_the_other_sides_internal_stage():
    refusal = decide(at(3), PEOPLE["raising practitioner"], Command.PROPOSE_ESCALATION).refusal
    assert refusal == "Stage 4 is internal to the other agency: only that agency can take the dispute there."
    assert decide(at(3), PEOPLE["other practitioner"], Command.PROPOSE_ESCALATION).allowed


def test_w10_s12_a_resolution_at_an_internal_stage_needs_no_other_sides_confirmation():
    rules = rules_from_spec(who_decides(stage_2={"confirm_both_sides": True}))
    decision = decide(at(2, rules=rules), PEOPLE["raising manager"], Command.RESOLVE)
    assert decision.state == DisputeState.RESOLVED


def test_w10_s12_an_internal_stage_waits_on_its_own_sides_actors_only():
    rules = rules_from_spec(who_decides(stage_2={"confirm_both_sides": True}))
    decision = decide(at(2, rules=rules), PEOPLE["business manager"], Command.RESOLVE)
    assert decision.waiting_on == (Waiting(RAISING, "manager", "confirmation"),)


# Every position, every person, every command: the answers hold together.

CONFIRMED = (frozenset(), frozenset({RAISING}), frozenset({OTHER}))
POSITIONS = [
    (stage.number, state, roles, confirmed)
    for stage in RULES.stages
    for state in DisputeState
    for roles in (frozenset(), NO_RESPONSE)
    for confirmed in (CONFIRMED if state == DisputeState.AWAITING_CONFIRMATION else (frozenset(),))
]


@pytest.mark.parametrize(("stage", "state", "roles", "confirmed"), POSITIONS)
def test_every_answer_holds_together(stage, state, roles, confirmed):
    dispute = at(stage, state, escalate_on_breach_roles=roles, confirmed_by=confirmed)
    rule = RULES.stage(stage)
    for (name, person), command in itertools.product(PEOPLE.items(), Command):
        decision = decide(dispute, person, command)
        assert decision.allowed == (command in allowed_commands(dispute, person)), (name, command)
        assert decision.allowed or decision.refusal, "a refusal always says why"
        if not decision.allowed:
            continue
        assert person.active
        if command == Command.RESOLVE:
            assert not rule.binding and state != DisputeState.AWAITING_CONFIRMATION
        if command == Command.RECORD_DECISION:
            assert rule.binding and name == "independent chair"
        if command in {Command.CONFIRM_RESOLUTION, Command.REJECT_RESOLUTION}:
            assert state == DisputeState.AWAITING_CONFIRMATION
        if command == Command.CONFIRM_RESOLUTION:
            assert decision.side not in confirmed
        if command == Command.ESCALATE_NO_RESPONSE:
            assert roles and name == "business manager" and not rule.binding
        if rule.internal and command in {
            Command.ADD_ENTRY,
            Command.RESOLVE,
            Command.PROPOSE_ESCALATION,
            Command.CONFIRM_RESOLUTION,
            Command.REJECT_RESOLUTION,
        }:
            assert name not in (OTHER_PEOPLE if rule.sides == "raising" else RAISING_PEOPLE), (name, command)
        if state not in OPEN_STATES:
            assert command == Command.CLOSE


def test_hundreds_of_cases_are_covered():
    assert len(POSITIONS) * len(PEOPLE) * len(Command) > 10000
