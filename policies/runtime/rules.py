"""A policy version's rules as plain, immutable data: what the runtime reads instead of the database."""

from dataclasses import dataclass

#: Roles held for the whole partnership rather than in one agency (kept in step with agencies.models).
PARTNERSHIP_ROLES = frozenset({"business_manager", "chair", "admin"})
#: Partnership roles that oversee every dispute of their partnership.
OVERSIGHT_ROLES = frozenset({"business_manager", "chair"})
#: The two sides of a dispute, as a policy names them.
SIDES = ("raising", "other")

#: How a refusal names a role or office the runtime cannot look up (it reads no labels from the database).
NAMES = {
    "chair": "partnership chair",
    "business_manager": "partnership business manager",
    "dsl": "designated safeguarding lead",
    "cp_chair": "child protection chair",
    "iro": "independent reviewing officer",
    "independent_chair": "independent chair",
    "director_childrens_services": "director of children's services",
    "director_adult_social_care": "director of adult social care",
}


def name_of(role_or_office: str) -> str:
    return NAMES.get(role_or_office, role_or_office.replace("_", " "))


def names_of(roles_or_offices: tuple[str, ...]) -> str:
    """'the manager', 'the manager or director': a refusal's words for who may act."""
    words = [name_of(name) for name in roles_or_offices]
    if len(words) <= 1:
        return "the " + "".join(words)
    return "the " + ", ".join(words[:-1]) + " or " + words[-1]


@dataclass(frozen=True)
class Named:
    """Someone a stage names by post: a partnership office, a partnership role, or a role on the dispute's
    `sides` ("raising", "other" or "both")."""

    role: str = ""
    office: str = ""
    sides: str = "both"

    @property
    def words(self) -> str:
        return name_of(self.office or self.role)


@dataclass(frozen=True)
class StageRule:
    """One stage: who takes part (`sides`, `actors`), who approves entry, who records its outcome
    (`outcome_roles`; a binding stage: its `decision_maker` alone), and whether both sides confirm a resolution."""

    number: int
    name: str
    approval_required: bool = False
    approver_roles: tuple[str, ...] = ()
    binding: bool = False
    pre_escalation: bool = False
    sides: str = "both"
    raising_actors: tuple[str, ...] = ()
    other_actors: tuple[str, ...] = ()
    outcome_roles: tuple[str, ...] = ()
    decision_maker: tuple[Named, ...] = ()
    confirm_both_sides: bool = False

    @property
    def partnership_level(self) -> bool:
        """Entered on a partnership officer's approval rather than an agency manager's."""
        return bool(self.approver_roles) and all(role in PARTNERSHIP_ROLES for role in self.approver_roles)

    def takes_part(self, side: str) -> bool:
        """Whether `side` ("raising" or "other") acts at this stage: one side only at a setting's internal stage."""
        return self.sides in ("both", side)

    @property
    def internal(self) -> bool:
        return self.sides != "both"

    def actors_for(self, side: str) -> tuple[str, ...]:
        """The roles acting for `side` here: those the stage names; else its approvers where entry needs
        approval; else practitioners (as `escalation.notifications.outbox` reaches them)."""
        named = self.raising_actors if side == "raising" else self.other_actors
        if named:
            return named
        if self.approval_required and self.approver_roles:
            return self.approver_roles
        return ("practitioner",)

    @property
    def decision_makers(self) -> tuple[Named, ...]:
        """Who alone records a binding outcome: the decision-maker the stage names; failing that, the roles or
        offices that record its outcome; failing both, the partnership chair."""
        if self.decision_maker:
            return self.decision_maker
        if self.outcome_roles:
            return tuple(Named(role=name, office=name) for name in self.outcome_roles)
        return (Named(role="chair"),)

    @property
    def decision_maker_words(self) -> str:
        words = [maker.words for maker in self.decision_makers]
        return "the " + " or the ".join(words)


@dataclass(frozen=True)
class PolicyRules:
    """The parts of one policy version that decide who may do what, and where a dispute goes next."""

    version_id: int
    stages: tuple[StageRule, ...]
    start_stage: int = 1
    immediate_harm_start_stages: tuple[int, ...] = ()
    subjects: tuple[str, ...] = ("child",)

    def stage(self, number: int) -> StageRule | None:
        return next((stage for stage in self.stages if stage.number == number), None)

    def next_stage(self, number: int) -> StageRule | None:
        later = [stage for stage in self.stages if stage.number > number]
        return min(later, key=lambda stage: stage.number) if later else None

    @property
    def approver_roles(self) -> frozenset[str]:
        """Every role that approves entry to some stage of this policy."""
        return frozenset(role for stage in self.stages if stage.approval_required for role in stage.approver_roles)


def named_from_stored(stored: dict | None) -> tuple[Named, ...]:
    """A stored recipient (`policies.schema.RecipientSpec.stored`) as the posts it names; any_of: each of them."""
    if not stored:
        return ()
    match stored.get("kind"):
        case "role":
            return (Named(role=stored["role"], sides=stored.get("sides") or "both"),)
        case "office":
            return (Named(office=stored["office"]),)
        case "any_of":
            return tuple(named for alternative in stored.get("of", []) for named in named_from_stored(alternative))
    return ()
