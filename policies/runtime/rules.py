"""A policy version's rules as plain, immutable data: what the runtime reads instead of the database."""

from dataclasses import dataclass

#: Roles held for the whole partnership rather than in one agency (kept in step with agencies.models).
PARTNERSHIP_ROLES = frozenset({"business_manager", "chair", "admin"})
#: Partnership roles that oversee every dispute of their partnership.
OVERSIGHT_ROLES = frozenset({"business_manager", "chair"})


@dataclass(frozen=True)
class StageRule:
    number: int
    name: str
    approval_required: bool = False
    approver_roles: tuple[str, ...] = ()
    binding: bool = False
    pre_escalation: bool = False

    @property
    def partnership_level(self) -> bool:
        """Entered on a partnership officer's approval rather than an agency manager's."""
        return bool(self.approver_roles) and all(role in PARTNERSHIP_ROLES for role in self.approver_roles)


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
