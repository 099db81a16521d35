"""The shape of a scenario file, and the checks that make it safe to play.

A scenario names a policy, the two agencies, the child or adult, and the steps people take, each at a moment.
Every problem is reported with the file, the step (its number, from 1, and its `do`) and what is wrong; a bad
file never produces a traceback. Whether a step is *allowed* is not checked here: the app decides that when the
step is played, and a refusal is part of the output.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from agencies.models import OFFICES, PARTNERSHIP_ROLES, Role, Sector
from policies.calendar import LONDON

SIDES = ("raising", "other")
#: Roles a person holds in one of the two agencies.
AGENCY_ROLES = tuple(role for role in Role.values if role not in PARTNERSHIP_ROLES)
#: Roles and offices held for the whole partnership.
PARTNERSHIP_PEOPLE = tuple(sorted(PARTNERSHIP_ROLES)) + tuple(sorted(OFFICES))
NATIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}
#: The most steps a scenario may have (a long one has a few dozen).
MAX_STEPS = 500
#: What a step says when the scenario gives no words of its own (the services refuse an empty reason).
DEFAULT_WORDS = "Written for a scenario."


class ScenarioError(Exception):
    """A scenario that cannot be played; each problem names where it is, for the person who wrote it."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


def person_problem(label: Any) -> str | None:
    """Why `label` does not name a person of a scenario (None when it does): `raising.<role>`, `other.<role>`
    or `partnership.<role or office>`."""
    if not isinstance(label, str) or label.count(".") != 1:
        return f"{label!r} is not a person: write raising.<role>, other.<role> or partnership.<role or office>"
    side, role = label.split(".")
    if side in SIDES:
        if role not in AGENCY_ROLES:
            return f"{label!r}: an agency has no role {role!r} (roles: {', '.join(AGENCY_ROLES)})"
        return None
    if side == "partnership":
        if role not in PARTNERSHIP_PEOPLE:
            return (
                f"{label!r}: the partnership has no role or office {role!r} (it has: {', '.join(PARTNERSHIP_PEOPLE)})"
            )
        return None
    return f"{label!r}: a person is raising.<role>, other.<role> or partnership.<role or office>, not {side}.<...>"


def _moment(value: Any) -> Any:
    """An ISO 8601 moment; one without an offset is read as London time."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a moment: write it as 2026-05-21T16:30:00+01:00") from None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=LONDON)
    raise ValueError(f"{value!r} is not a moment: write it as 2026-05-21T16:30:00+01:00")


def _day(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date: write it as 2026-05-19") from None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    raise ValueError(f"{value!r} is not a date: write it as 2026-05-19")


def _person(value: Any) -> Any:
    problem = person_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Moment = Annotated[datetime.datetime, BeforeValidator(_moment)]
Day = Annotated[datetime.date, BeforeValidator(_day)]
Person = Annotated[str, BeforeValidator(_person)]
SectorName = Literal[tuple(Sector.values)]  # type: ignore[valid-type]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SubjectSpec(Strict):
    kind: Literal["child", "adult"] = "child"
    cp_plan: StrictBool = False
    looked_after: StrictBool = False


class AgenciesSpec(Strict):
    raising: SectorName = "education"
    other: SectorName = "childrens_social_care"


class Step(Strict):
    """One thing a person does at a moment. `number` counts from 1 and is not part of the file."""

    do: str
    at: Moment
    by: Person
    number: int = Field(default=0, exclude=True)
    #: The other people a step names besides `by` (keys of the step).
    people_keys: ClassVar[tuple[str, ...]] = ()

    @property
    def where(self) -> str:
        return f"step {self.number} ({self.do})"

    def people(self) -> list[str]:
        return [self.by, *(getattr(self, key) for key in self.people_keys if getattr(self, key))]


class RaiseStep(Step):
    do: Literal["raise"]
    stage: StrictInt | None = None
    immediate_harm: StrictBool = False
    outset: Day | None = None
    category: str | None = None
    other_worker: Person | None = None
    description: str = Field(default=DEFAULT_WORDS, min_length=1)
    people_keys: ClassVar[tuple[str, ...]] = ("other_worker",)


class RecordStep(Step):
    do: Literal["record"]
    kind: Literal["discussion", "action", "decision"]
    text: str = Field(default=DEFAULT_WORDS, min_length=1)


class ReasonedStep(Step):
    reason: str = Field(default=DEFAULT_WORDS, min_length=1)


class ProposeEscalationStep(ReasonedStep):
    do: Literal["propose_escalation"]


class ApproveEscalationStep(Step):
    do: Literal["approve_escalation"]


class DeclineEscalationStep(ReasonedStep):
    do: Literal["decline_escalation"]


class EscalateNoResponseStep(ReasonedStep):
    do: Literal["escalate_no_response"]


class FlagImmediateHarmStep(ReasonedStep):
    do: Literal["flag_immediate_harm"]


class ResolveStep(Step):
    do: Literal["resolve"]
    outcome: str = Field(default=DEFAULT_WORDS, min_length=1)


class ConfirmResolutionStep(Step):
    do: Literal["confirm_resolution"]


class RejectResolutionStep(ReasonedStep):
    do: Literal["reject_resolution"]


class RecordDecisionStep(Step):
    do: Literal["record_decision"]
    outcome: str = Field(default=DEFAULT_WORDS, min_length=1)


class WithdrawStep(ReasonedStep):
    do: Literal["withdraw"]


class SetDeadlineStep(Step):
    do: Literal["set_deadline"]
    due: Moment


class ShortenDeadlineStep(ReasonedStep):
    do: Literal["shorten_deadline"]
    rule: str = Field(min_length=1)
    due: Moment


class ExtendDeadlineStep(ReasonedStep):
    do: Literal["extend_deadline"]
    rule: str = Field(min_length=1)
    days: StrictInt = Field(ge=1)


STEP_KINDS: dict[str, type[Step]] = {
    "raise": RaiseStep,
    "record": RecordStep,
    "propose_escalation": ProposeEscalationStep,
    "approve_escalation": ApproveEscalationStep,
    "decline_escalation": DeclineEscalationStep,
    "escalate_no_response": EscalateNoResponseStep,
    "flag_immediate_harm": FlagImmediateHarmStep,
    "resolve": ResolveStep,
    "confirm_resolution": ConfirmResolutionStep,
    "reject_resolution": RejectResolutionStep,
    "record_decision": RecordDecisionStep,
    "withdraw": WithdrawStep,
    "set_deadline": SetDeadlineStep,
    "shorten_deadline": ShortenDeadlineStep,
    "extend_deadline": ExtendDeadlineStep,
}


class Head(Strict):
    """Everything in a scenario file but its steps."""

    policy: str | None = Field(default=None, min_length=1)
    nation: Literal[tuple(NATIONS)] = "england-and-wales"  # type: ignore[valid-type]
    closure_days: list[Day] = Field(default_factory=list)
    default_stage_working_days: StrictInt | None = Field(default=None, ge=1, le=60)
    subject: SubjectSpec = Field(default_factory=SubjectSpec)
    agencies: AgenciesSpec = Field(default_factory=AgenciesSpec)
    until: Moment | None = None
    people: list[Person] = Field(default_factory=list)
    vacant: list[Person] = Field(default_factory=list)
    steps: list[Any] = Field(min_length=1, max_length=MAX_STEPS)


@dataclass(frozen=True)
class Scenario:
    source: str
    head: Head
    steps: tuple[Step, ...]

    @property
    def until(self) -> datetime.datetime:
        """The sweep runs up to here: the scenario's `until`, or its last step."""
        return self.head.until or self.steps[-1].at

    def named_people(self) -> list[str]:
        """Everyone the scenario names, in the order named."""
        named = [*self.head.people, *(person for step in self.steps for person in step.people())]
        return list(dict.fromkeys(named))


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "is required"
    message = message.removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _problems(exc: ValidationError, prefix: str = "") -> list[str]:
    return [f"{prefix}{_describe(error)}" for error in exc.errors()]


def _step(index: int, raw: Any) -> tuple[Step | None, list[str]]:
    number = index + 1
    if not isinstance(raw, dict):
        return None, [f"step {number}: expected a mapping such as {{at: ..., do: raise, by: raising.practitioner}}"]
    do = raw.get("do")
    if do is None:
        return None, [f"step {number}: do: is required (one of {', '.join(STEP_KINDS)})"]
    model = STEP_KINDS.get(do) if isinstance(do, str) else None
    if model is None:
        return None, [f"step {number} ({do}): do: unknown step {do!r} (steps: {', '.join(STEP_KINDS)})"]
    try:
        return model.model_validate({**raw, "number": number}), []
    except ValidationError as exc:
        return None, _problems(exc, f"step {number} ({do}): ")


def _check_together(head: Head, steps: list[Step]) -> list[str]:
    problems = []
    vacant = set(head.vacant)
    for step in steps:
        if step.do == "raise" and step.number != 1:
            problems.append(f"{step.where}: only the first step raises the dispute")
        for person in step.people():
            if person in vacant:
                problems.append(f"{step.where}: {person} is listed under vacant, so nobody holds that post")
        other_worker = getattr(step, "other_worker", None)
        if other_worker and not other_worker.startswith("other."):
            problems.append(f"{step.where}: other_worker: must be someone in the other agency (other.<role>)")
    if steps and steps[0].do != "raise":
        problems.append(f"{steps[0].where}: the first step must raise the dispute (do: raise)")
    for before, after in zip(steps, steps[1:], strict=False):
        if after.at < before.at:
            problems.append(
                f"{after.where}: at: {_iso(after.at)} is before the step before it ({_iso(before.at)}); "
                "list the steps in time order"
            )
    if head.until is not None and steps and head.until < steps[-1].at:
        problems.append(f"until: {_iso(head.until)} is before the last step ({_iso(steps[-1].at)})")
    return problems


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(LONDON).isoformat()


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Parse and check a scenario, raising ScenarioError with every problem found."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(source, [f"not valid YAML{where}: {problem}"]) from None
    if data is None:
        raise ScenarioError(source, ["the file is empty"])
    if not isinstance(data, dict):
        raise ScenarioError(source, ["expected a mapping of scenario fields (policy, agencies, steps, ...)"])
    try:
        head = Head.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc)
        head = None
    else:
        problems = []
    raw_steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    steps: list[Step] = []
    for index, raw in enumerate(raw_steps):
        step, step_problems = _step(index, raw)
        problems += step_problems
        if step is not None:
            steps.append(step)
    if head is not None and not problems:
        problems = _check_together(head, steps)
    if problems:
        raise ScenarioError(source, problems)
    return Scenario(source=source, head=head, steps=tuple(steps))


def check_against_policy(
    scenario: Scenario, *, stages: set[int], categories: set[str], rule_names: set[str], policy_name: str
) -> None:
    """The steps that name a stage, a category or a deadline rule must name one the policy has."""
    problems = []
    for step in scenario.steps:
        if isinstance(step, RaiseStep):
            if step.stage is not None and step.stage not in stages:
                known = ", ".join(map(str, sorted(stages)))
                problems.append(f"{step.where}: stage: {policy_name} has no stage {step.stage} (stages: {known})")
            if step.category is not None and step.category not in categories:
                known = ", ".join(sorted(categories))
                problems.append(f"{step.where}: category: {step.category!r} is not one of the policy's ({known})")
        rule = getattr(step, "rule", None)
        if rule is not None and rule not in rule_names:
            known = ", ".join(sorted(rule_names)) or "none"
            problems.append(f"{step.where}: rule: {policy_name} has no deadline rule {rule!r} (rules: {known})")
    if problems:
        raise ScenarioError(scenario.source, problems)
