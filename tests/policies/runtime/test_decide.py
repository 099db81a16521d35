"""The policy runtime without a database: every seed policy (and a small policy using every way a stage says who
decides), every state, every kind of person, every command.

These run in well under a second each: the runtime is a pure function over plain data.
"""

import itertools

import pytest

from policies.loading import rules_from_spec
from policies.runtime import (
    ActionRefused,
    Actor,
    Command,
    DisputeSnapshot,
    Waiting,
    allowed_commands,
    check_start,
    decide,
)
from policies.schema import read_policy_file
from policies.services import seed_files
from policies.vocabulary import OPEN_STATES, DisputeState
from tests.policies.runtime.who_decides import who_decides

RAISING, OTHER, ELSEWHERE = 1, 2, 3

SEEDS = {spec.slug: spec for spec in (read_policy_file(path) for path in seed_files())}
RULES = {slug: rules_from_spec(spec) for slug, spec in SEEDS.items()}
RULES["who-decides"] = rules_from_spec(who_decides())

PEOPLE = {
    "raising practitioner": Actor(1, {RAISING: frozenset({"practitioner"})}),
    "raising manager": Actor(2, {RAISING: frozenset({"manager", "dsl"})}),
    "raising senior manager": Actor(3, {RAISING: frozenset({"senior_manager"})}),
    "raising director": Actor(4, {RAISING: frozenset({"director"})}),
    "other practitioner": Actor(5, {OTHER: frozenset({"practitioner"})}),
    "other manager": Actor(6, {OTHER: frozenset({"manager"})}),
    "bystander": Actor(7, {ELSEWHERE: frozenset({"practitioner", "manager"})}),
    "business manager": Actor(8, {ELSEWHERE: frozenset({"business_manager"})}, frozenset({"business_manager"})),
    "chair": Actor(9, {ELSEWHERE: frozenset({"chair"})}, frozenset({"chair"})),
    "admin": Actor(10, {ELSEWHERE: frozenset({"admin"})}, frozenset({"admin"})),
    "suspended manager": Actor(11, {RAISING: frozenset({"manager"})}, active=False),
    "other senior manager": Actor(12, {OTHER: frozenset({"senior_manager"})}),
    "independent chair": Actor(13, offices=frozenset({"independent_chair"})),
}
PARTIES = {name for name in PEOPLE if name.startswith(("raising", "other"))} - {"suspended manager"}
STAFF = {"business manager", "chair"}


def snapshot(slug: str, state: str, stage: int | None = None, side: int | None = None) -> DisputeSnapshot:
    rules = RULES[slug]
    return DisputeSnapshot(
        rules=rules,
        state=state,
        current_stage=rules.start_stage if stage is None else stage,
        raising_agency_id=RAISING,
        other_agency_id=OTHER,
        escalation_side_id=side if state == DisputeState.AWAITING_APPROVAL else None,
    )


def every_position():
    """Each seed policy at each of its stages, in each state (awaiting approval from either side)."""
    for slug, rules in RULES.items():
        for stage in rules.stages:
            if stage.pre_escalation:
                continue
            for state in DisputeState:
                sides = (RAISING, OTHER) if state == DisputeState.AWAITING_APPROVAL else (None,)
                for side in sides:
                    yield slug, stage.number, state, side


POSITIONS = list(every_position())


@pytest.mark.parametrize(("slug", "stage", "state", "side"), POSITIONS)
def test_every_answer_agrees_with_the_list_of_allowed_commands(slug, stage, state, side):
    dispute = snapshot(slug, state, stage, side)
    for name, person in PEOPLE.items():
        allowed = allowed_commands(dispute, person)
        for command in Command:
            decision = decide(dispute, person, command)
            assert decision.allowed == (command in allowed), (slug, stage, state, name, command)
            if not decision.allowed:
                assert decision.refusal, "a refusal always says why"
                with pytest.raises(ActionRefused, match=decision.refusal[:20]):
                    decision.raise_if_refused()


@pytest.mark.parametrize(("slug", "stage", "state", "side"), POSITIONS)
def test_nobody_outside_the_dispute_or_its_partnership_staff_may_do_anything(slug, stage, state, side):
    dispute = snapshot(slug, state, stage, side)
    for name in ("bystander", "admin", "suspended manager"):
        assert allowed_commands(dispute, PEOPLE[name]) == frozenset(), name


@pytest.mark.parametrize(("slug", "stage", "state", "side"), POSITIONS)
def test_a_closed_withdrawn_or_resolved_dispute_takes_no_change_but_closing(slug, stage, state, side):
    dispute = snapshot(slug, state, stage, side)
    if state in OPEN_STATES:
        return
    for name, person in PEOPLE.items():
        allowed = allowed_commands(dispute, person)
        expected = {Command.CLOSE} if state == DisputeState.RESOLVED and name in PARTIES | STAFF else set()
        assert allowed == expected, (name, state)


@pytest.mark.parametrize(("slug", "stage", "state", "side"), POSITIONS)
def test_escalation_goes_to_the_next_stage_of_the_policy_and_never_past_a_binding_one(slug, stage, state, side):
    dispute = snapshot(slug, state, stage, side)
    rules = RULES[slug]
    decision = decide(dispute, PEOPLE["raising practitioner"], Command.PROPOSE_ESCALATION)
    following = rules.next_stage(stage)
    if (
        state not in (DisputeState.RAISED, DisputeState.IN_DISCUSSION)
        or following is None
        or rules.stage(stage).binding
        or not rules.stage(stage).takes_part("raising")
        or not following.takes_part("raising")
    ):
        assert not decision.allowed
        return
    assert decision.allowed
    if following.approval_required:
        assert decision.state == DisputeState.AWAITING_APPROVAL and decision.enter_stage is None
        assert {w.role for w in decision.waiting_on} == set(following.approver_roles)
    else:
        assert decision.enter_stage == following.number and decision.state == DisputeState.IN_DISCUSSION


@pytest.mark.parametrize(("slug", "stage"), [(s, st) for s, st, state, _ in POSITIONS if state == "awaiting_approval"])
def test_only_the_roles_the_next_stage_names_may_approve_and_on_the_escalating_side(slug, stage):
    rules = RULES[slug]
    following = rules.next_stage(stage)
    for side in (RAISING, OTHER):
        dispute = snapshot(slug, DisputeState.AWAITING_APPROVAL, stage, side)
        for name, person in PEOPLE.items():
            decision = decide(dispute, person, Command.APPROVE_ESCALATION)
            if following is None:
                assert not decision.allowed
                continue
            wanted = set(following.approver_roles)
            expected = person.active and (bool(wanted & person.roles_in(side)) or bool(wanted & person.oversight_roles))
            assert decision.allowed == expected, (slug, stage, side, name)
            if expected:
                assert decision.enter_stage == following.number


def test_a_role_any_policy_names_can_approve_even_one_the_app_never_heard_of():
    rules = rules_from_spec(SEEDS["bcssp"]).__class__(
        version_id=1,
        stages=(
            RULES["bcssp"].stages[0],
            RULES["bcssp"].stages[1].__class__(2, "Nurse review", True, ("designated_nurse",)),
        ),
    )
    nurse = Actor(20, {RAISING: frozenset({"designated_nurse"})})
    proposer = PEOPLE["raising practitioner"]
    dispute = DisputeSnapshot(rules, DisputeState.IN_DISCUSSION, rules.stages[0].number, RAISING, OTHER)
    proposal = decide(dispute, proposer, Command.PROPOSE_ESCALATION)
    assert proposal.waiting_on == (Waiting(RAISING, "designated_nurse", "approval"),)
    waiting = DisputeSnapshot(rules, DisputeState.AWAITING_APPROVAL, rules.stages[0].number, RAISING, OTHER, RAISING)
    assert decide(waiting, nurse, Command.APPROVE_ESCALATION).enter_stage == 2
    assert not decide(waiting, PEOPLE["raising manager"], Command.APPROVE_ESCALATION).allowed


def test_partnership_level_stages_wait_on_the_partnership_not_an_agency():
    for slug, rules in RULES.items():
        for stage in rules.stages:
            if stage.partnership_level:
                before = max(s.number for s in rules.stages if s.number < stage.number)
                dispute = snapshot(slug, DisputeState.IN_DISCUSSION, before)
                decision = decide(dispute, PEOPLE["raising practitioner"], Command.PROPOSE_ESCALATION)
                if decision.allowed and decision.needs_approval:
                    assert all(w.agency_id is None for w in decision.waiting_on), slug


@pytest.mark.parametrize(("slug", "harm", "start"), list(itertools.product(RULES, (False, True), range(0, 7))))
def test_where_a_dispute_may_start(slug, harm, start):
    rules = RULES[slug]
    stage, refusal = check_start(rules, immediate_harm=harm, start_stage=start, subject_kind="child", policy_name="P")
    allowed = start == rules.start_stage or (harm and start in rules.immediate_harm_start_stages)
    assert (refusal == "") == allowed
    assert stage == start


def test_a_subject_the_policy_does_not_cover_is_refused_by_name():
    only_children = next(rules for rules in RULES.values() if rules.subjects == ("child",))
    _, refusal = check_start(
        only_children, immediate_harm=False, start_stage=None, subject_kind="adult", policy_name="This policy"
    )
    assert refusal == "This policy does not cover this kind of subject."


def test_hundreds_of_cases_are_covered():
    assert len(POSITIONS) * len(PEOPLE) * len(Command) > 1000
