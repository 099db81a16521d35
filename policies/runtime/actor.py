"""Who is acting: a person's roles in one partnership, resolved once and passed to the runtime."""

from dataclasses import dataclass, field

from policies.runtime.rules import OVERSIGHT_ROLES


@dataclass(frozen=True)
class Actor:
    """A person as the runtime sees them: their roles in each agency of one partnership, and in the partnership."""

    user_id: int | None
    roles_by_agency: dict[int, frozenset[str]] = field(default_factory=dict)
    partnership_roles: frozenset[str] = frozenset()
    active: bool = True

    def roles_in(self, agency_id: int | None) -> frozenset[str]:
        return self.roles_by_agency.get(agency_id, frozenset()) if agency_id is not None else frozenset()

    @property
    def oversight_roles(self) -> frozenset[str]:
        return self.partnership_roles & OVERSIGHT_ROLES

    def side(self, raising_agency_id: int, other_agency_id: int) -> int | None:
        """The dispute's agency this person acts for (the raising side first), or None for neither."""
        for agency_id in (raising_agency_id, other_agency_id):
            if self.roles_in(agency_id):
                return agency_id
        return None


NOBODY = Actor(user_id=None, active=False)
