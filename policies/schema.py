"""The shape of a policy file, and the checks that make it safe to load.

Errors name the file, the field and what is wrong; a bad file never produces a traceback.
"""

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template
from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator, model_validator

from agencies.models import Office, Role
from policies import defaults
from policies.vocabulary import Anchor, Basis, Condition, DeadlineKind, Event, MetBy, Side, Strength

RoleName = Literal[tuple(Role.values)]  # type: ignore[valid-type]
OfficeName = Literal[tuple(Office.values)]  # type: ignore[valid-type]
ConditionName = Literal[tuple(Condition.values)]  # type: ignore[valid-type]
SideName = Literal[tuple(Side.values)]  # type: ignore[valid-type]
EventName = Literal[tuple(Event.values)]  # type: ignore[valid-type]
#: A record form's template: templates/records/<key>.html, the key short enough to name a stored record.
RECORD_TEMPLATE = re.compile(r"^records/(?P<key>[a-z0-9_]{1,30})\.html$")


class PolicyFileError(Exception):
    """A policy file that cannot be loaded; the message is meant for the person who wrote it."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BasisSpec(Strict):
    """Where a stage, rule, recipient, form or length comes from. `policy`: the document says it (give the quote
    and where it is, e.g. "line 66" or "section 3.2"); `reading` or `partnership_default`: say why in `note`."""

    kind: Literal[tuple(Basis.values)]  # type: ignore[valid-type]
    quote: str = Field(default="", max_length=2000)
    where: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _evidence(self) -> "BasisSpec":
        if self.kind == Basis.POLICY and not (self.quote and self.where):
            raise ValueError("a basis in the policy gives its quote and where it is (quote, where)")
        if self.kind != Basis.POLICY and not self.note:
            raise ValueError(f"a basis of {self.kind} says why in a note")
        return self


class RecipientSpec(Strict):
    """Someone a rule tells, by their part in the dispute: exactly one of
    `raiser` (the worker who raised it), `stage_actors` (the current stage's actors on the raising side, the
    other side or both), `role` (a role on `sides`; a partnership role such as business_manager is the
    partnership's), `office` (a partnership office holder, outside the two agencies) or `any_of` (alternatives:
    telling whoever holds any is enough; a gap is reported only when none is held). In a list, a bare word is a
    shorthand: "raiser", a role name or an office name."""

    raiser: bool = False
    stage_actors: SideName | None = None
    role: RoleName | None = None
    sides: SideName = "both"
    office: OfficeName | None = None
    any_of: list["RecipientSpec"] | None = None
    basis: BasisSpec | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value == "raiser":
                return {"raiser": True}
            if value in Office.values:
                return {"office": value}
            if value in Role.values:
                return {"role": value}
            raise ValueError(f"{value!r} is not 'raiser', a role or an office")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> "RecipientSpec":
        given = [self.raiser, self.stage_actors is not None, self.role is not None, self.office is not None]
        given.append(self.any_of is not None)
        if sum(bool(g) for g in given) != 1:
            raise ValueError("give exactly one of raiser, stage_actors, role, office or any_of")
        if self.any_of is not None and len(self.any_of) < 2:
            raise ValueError("any_of lists at least two alternatives")
        return self

    def stored(self) -> dict[str, Any]:
        """The plain form kept on the rule's row and read by the runtime."""
        basis = self.basis.model_dump() if self.basis else None
        if self.raiser:
            return {"kind": "raiser", "basis": basis}
        if self.stage_actors is not None:
            return {"kind": "stage_actors", "sides": self.stage_actors, "basis": basis}
        if self.role is not None:
            return {"kind": "role", "role": self.role, "sides": self.sides, "basis": basis}
        if self.office is not None:
            return {"kind": "office", "office": self.office, "basis": basis}
        return {"kind": "any_of", "of": [r.stored() for r in self.any_of or []], "basis": basis}


def role_recipients(roles: list[str], sides: str = "both") -> list[dict[str, Any]]:
    """The stored form of a plain list of roles (the older way of naming recipients)."""
    return [{"kind": "role", "role": role, "sides": sides, "basis": None} for role in roles]


class ActorsSpec(Strict):
    """Which roles act for each side at a stage (empty: the stage's approvers, or practitioners)."""

    raising: list[RoleName] = Field(default_factory=list)
    other: list[RoleName] = Field(default_factory=list)


class StageSpec(Strict):
    number: StrictInt = Field(ge=0, le=32767)
    name: str = Field(min_length=1, max_length=200)
    raising_side: str = Field(min_length=1, max_length=300)
    other_side: str = Field(default="", max_length=300)
    guidance: str = ""
    approval_required: bool = True
    approver_roles: list[RoleName] = Field(default_factory=lambda: ["manager", "senior_manager", "director", "dsl"])
    binding: bool = False
    pre_escalation: bool = False
    # Which sides take part: both, or one only (a setting's own internal stage).
    sides: SideName = "both"
    actors: ActorsSpec = Field(default_factory=ActorsSpec)
    # Who may record the stage's outcome (empty: anyone on either side, or the partnership's staff).
    outcome_roles: list[RoleName | OfficeName] = Field(default_factory=list)
    # A binding outcome is recorded by this decision-maker alone (a role or an office).
    decision_maker: RecipientSpec | None = None
    # A resolution counts once both sides have confirmed it.
    confirm_both_sides: bool = False
    basis: BasisSpec | None = None

    @model_validator(mode="after")
    def _binding_has_a_decision_maker(self) -> "StageSpec":
        maker = self.decision_maker
        if maker is not None and (maker.raiser or maker.stage_actors is not None):
            raise ValueError("decision_maker: name a role or an office, not a part in the dispute")
        return self


class DeadlineRuleSpec(Strict):
    name: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")
    label: str = Field(min_length=1, max_length=300)
    stages: list[StrictInt] = Field(min_length=1)
    anchor: Literal[tuple(Anchor.values)]  # type: ignore[valid-type]
    kind: Literal[tuple(DeadlineKind.values)]  # type: ignore[valid-type]
    length: StrictInt | Literal["partnership_default"] | None = None
    condition: ConditionName = "always"
    met_by: Literal[tuple(MetBy.values)] = "leaving_stages"  # type: ignore[valid-type]
    reminder_lead: StrictInt = Field(default=1, ge=0, le=32767)
    breach_event: Literal["deadline_breached", "no_response"] = "deadline_breached"
    remind: list[RecipientSpec] = Field(default_factory=list)
    on_breach: list[RecipientSpec] = Field(default_factory=list)
    # A rule is breached and told; a guide is shown and reminded, never breached.
    strength: Literal[tuple(Strength.values)] = "rule"  # type: ignore[valid-type]
    # With met_by required_action: the roles able to take the action (empty: anyone on the other side, or a
    # manager on either side; never the raiser).
    able_roles: list[RoleName | OfficeName] = Field(default_factory=list)
    # Who may move the dispute on when the rule is breached (e.g. the business manager on no response).
    escalate_on_breach: list[RoleName] = Field(default_factory=list)
    basis: BasisSpec | None = None
    length_basis: BasisSpec | None = None

    @field_validator("stages")
    @classmethod
    def _contiguous(cls, stages: list[int]) -> list[int]:
        if stages != list(range(stages[0], stages[0] + len(stages))):
            raise ValueError("must be consecutive stage numbers in order, e.g. [1, 2]")
        return stages

    @field_validator("length")
    @classmethod
    def _positive(cls, length: int | str | None) -> int | str | None:
        if isinstance(length, int) and not 0 < length <= 2000:
            raise ValueError("must be a positive whole number (at most 2000)")
        return length

    @model_validator(mode="after")
    def _length_fits_kind(self) -> "DeadlineRuleSpec":
        if self.kind == "manual" and self.length is not None:
            raise ValueError("length: a manual deadline is set by hand and takes no length")
        if self.kind != "manual" and self.length is None:
            raise ValueError(f"length: a {self.kind} deadline needs a length (or partnership_default)")
        if self.kind == "calendar_hours" and self.length == "partnership_default":
            raise ValueError("length: the partnership default is in working days, not calendar hours")
        if self.able_roles and self.met_by != "required_action":
            raise ValueError("able_roles: only a rule met by the required action names who is able to take it")
        return self


class NotificationRuleSpec(Strict):
    """Tell people when something happens. `stages`: the stages it applies to (empty: every stage); for
    `stage_reached` a dispute that starts above a listed stage has reached it too. Name whom to tell with `to`
    (recipients by their part in the dispute), or with `roles` and `sides` (the older, shorter way)."""

    event: EventName
    stages: list[StrictInt] = Field(default_factory=list)
    roles: list[RoleName] = Field(default_factory=list)
    sides: SideName = "both"
    to: list[RecipientSpec] = Field(default_factory=list)
    condition: ConditionName = "always"
    message: str = Field(default="", max_length=300)
    basis: BasisSpec | None = None

    @model_validator(mode="after")
    def _someone(self) -> "NotificationRuleSpec":
        if not self.roles and not self.to:
            raise ValueError("name whom to tell: to (recipients) or roles")
        return self

    def recipients(self) -> list[dict[str, Any]]:
        return role_recipients(self.roles, self.sides) + [r.stored() for r in self.to]


class FormRequirementSpec(Strict):
    """A written record the policy asks for: on a trigger at a stage, sent to `recipient` or to `to`."""

    form: str | None = None  # The policy's record form (its key), which is also the default.
    stage: StrictInt
    event: EventName = "stage_entered"
    recipient: RoleName = "business_manager"
    to: list[RecipientSpec] = Field(default_factory=list)
    condition: ConditionName = "always"
    basis: BasisSpec | None = None

    def recipients(self) -> list[dict[str, Any]]:
        return [r.stored() for r in self.to] if self.to else role_recipients([self.recipient])


class FinalStageSpec(Strict):
    decision_maker: str = Field(min_length=1, max_length=200)
    panel_agencies: StrictInt | None = Field(default=None, ge=2, le=100)
    panel_rule: str = ""


class ImmediateHarmSpec(Strict):
    start_stages: list[StrictInt] = Field(default_factory=list)
    guidance: str = ""
    # The wording of the raise journey once someone says a person is at risk; empty: the app's own, which
    # names the hours of the policy's calendar-hours rule for immediate harm, if it has one.
    question_hint: str = Field(default="", max_length=300)
    route_heading: str = Field(default="", max_length=200)
    route_text: str = Field(default="", max_length=1000)


class CategorySpec(Strict):
    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    label: str = Field(min_length=1, max_length=200)


def default_categories() -> list[CategorySpec]:
    return [CategorySpec(key=key, label=label) for key, label in defaults.CATEGORIES.items()]


class RecordFormSpec(Strict):
    """The written record the policy's form requirements produce, and that anyone can download."""

    title: str = Field(min_length=1, max_length=200)
    template: str = Field(min_length=1, max_length=100)

    @field_validator("template")
    @classmethod
    def _template_exists(cls, template: str) -> str:
        match = RECORD_TEMPLATE.match(template)
        if match is None or match["key"] == "base":
            raise ValueError(
                "must name a record template as records/<name>.html, the name in lower-case letters, digits "
                "and _ (at most 30), e.g. records/general.html"
            )
        try:
            get_template(template)
        except TemplateDoesNotExist:
            raise ValueError(f"there is no template {template} in templates/records/") from None
        except TemplateSyntaxError as exc:
            raise ValueError(f"the template {template} cannot be read: {exc}") from None
        return template

    @property
    def key(self) -> str:
        return RECORD_TEMPLATE.match(self.template)["key"]  # type: ignore[index]


def default_record_form() -> RecordFormSpec:
    return RecordFormSpec(title=defaults.RECORD_FORM_TITLE, template=f"records/{defaults.RECORD_FORM}.html")


class NoticeSpec(Strict):
    """What people are told: a headline after the dispute's reference, and a message. No personal data."""

    headline: str = Field(min_length=1, max_length=200)
    message: str = Field(default="", max_length=1000)


def _notice(event: str) -> Any:
    return Field(default_factory=lambda: NoticeSpec(**defaults.NOTICES[event]))


class NoticesSpec(Strict):
    raised: NoticeSpec = _notice("raised")
    resolved: NoticeSpec = _notice("resolved")
    withdrawn: NoticeSpec = _notice("withdrawn")


class PolicySpec(Strict):
    slug: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9-]+$")
    name: str = Field(min_length=1, max_length=300)
    version_label: str = Field(default="", max_length=50)
    source: str = ""
    subjects: list[Literal["child", "adult"]] = Field(min_length=1)
    categories: list[CategorySpec] = Field(default_factory=default_categories, min_length=1)
    record_form: RecordFormSpec = Field(default_factory=default_record_form)
    notices: NoticesSpec = Field(default_factory=NoticesSpec)
    due_soon_working_days: StrictInt = Field(default=defaults.DUE_SOON_WORKING_DAYS, ge=0, le=60)
    start_stage: StrictInt = 1
    timescale_note: str = ""
    urgent_contacts: str = ""
    immediate_harm: ImmediateHarmSpec = Field(default_factory=ImmediateHarmSpec)
    stages: list[StageSpec] = Field(min_length=1)
    deadline_rules: list[DeadlineRuleSpec] = Field(default_factory=list)
    notification_rules: list[NotificationRuleSpec] = Field(default_factory=list)
    form_requirements: list[FormRequirementSpec] = Field(default_factory=list)
    final_stage: FinalStageSpec

    @field_validator("categories", mode="before")
    @classmethod
    def _default_labels(cls, categories: Any) -> Any:
        """A bare key names one of the default categories, with its default label."""
        if not isinstance(categories, list):
            return categories
        given = []
        for category in categories:
            if isinstance(category, str):
                if category not in defaults.CATEGORIES:
                    raise ValueError(
                        f"{category!r} is not a default category ({', '.join(defaults.CATEGORIES)}): give it "
                        "as a key and a label"
                    )
                category = {"key": category, "label": defaults.CATEGORIES[category]}
            given.append(category)
        return given

    @model_validator(mode="after")
    def _categories_unique(self) -> "PolicySpec":
        keys = [category.key for category in self.categories]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"categories: keys must be unique ({', '.join(duplicates)})")
        return self

    @model_validator(mode="after")
    def _forms_are_the_record_form(self) -> "PolicySpec":
        """Every form requirement produces the policy's record form; one that names no form gets it."""
        key = self.record_form.key
        for index, requirement in enumerate(self.form_requirements):
            if requirement.form is None:
                requirement.form = key
            elif requirement.form != key:
                raise ValueError(
                    f"form_requirements[{index}].form: {requirement.form!r} is not this policy's record form "
                    f"({key}): name its template under record_form, or leave the form out"
                )
        return self

    @model_validator(mode="after")
    def _stages_exist(self) -> "PolicySpec":
        numbers = [stage.number for stage in self.stages]
        if len(set(numbers)) != len(numbers):
            raise ValueError("stages: stage numbers must be unique")
        if numbers != sorted(numbers):
            raise ValueError("stages: list stages in order of their numbers")
        known = set(numbers)
        if self.start_stage not in known:
            raise ValueError(f"start_stage: there is no stage {self.start_stage}")
        checks: list[tuple[str, list[int]]] = [("immediate_harm.start_stages", self.immediate_harm.start_stages)]
        checks += [(f"deadline_rules[{r.name}].stages", r.stages) for r in self.deadline_rules]
        checks += [(f"notification_rules[{i}].stages", n.stages) for i, n in enumerate(self.notification_rules)]
        checks += [(f"form_requirements[{i}].stage", [f.stage]) for i, f in enumerate(self.form_requirements)]
        for where, stages in checks:
            missing = sorted(set(stages) - known)
            if missing:
                raise ValueError(f"{where}: refers to stage {', '.join(map(str, missing))}, which does not exist")
        names = [rule.name for rule in self.deadline_rules]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"deadline_rules: rule names must be unique ({', '.join(duplicates)})")
        return self


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "is required"
    message = message.removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def parse_policy(text: str, source: str = "<text>") -> PolicySpec:
    """Parse and check a policy document, raising PolicyFileError with a readable message."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyFileError(f"{source}: not valid YAML{where}: {problem}") from None
    if data is None:
        raise PolicyFileError(f"{source}: the file is empty")
    if not isinstance(data, dict):
        raise PolicyFileError(f"{source}: expected a mapping of policy fields at the top level")
    try:
        return PolicySpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise PolicyFileError(f"{source}: {problems}") from None


def read_policy_file(path: str | Path) -> PolicySpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyFileError(f"{path}: cannot be read ({exc})") from None
    return parse_policy(text, source=str(path))


def content_hash(spec: PolicySpec) -> str:
    canonical = json.dumps(spec.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
