"""Who is acting: a person's roles in one partnership, and the offices they hold in it, resolved once and
passed to the runtime."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from policies.runtime.rules import OVERSIGHT_ROLES, PARTNERSHIP_ROLES, Named


@dataclass(frozen=True)
class Actor:
    """A person as the runtime sees them: their roles in each agency of one partnership, their roles held for
    the partnership, and the partnership offices they hold (the CP chair, the independent chair, ...)."""

    user_id: int | None
    roles_by_agency: dict[int, frozenset[str]] = field(default_factory=dict)
    partnership_roles: frozenset[str] = frozenset()
    active: bool = True
    offices: frozenset[str] = frozenset()

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

    def holds_any(self, names: Iterable[str], agency_ids: Iterable[int]) -> bool:
        """Whether the person holds any of `names`: as a role in one of `agency_ids`, as a partnership role, or
        as a partnership office."""
        wanted = set(names)
        if wanted & self.offices or wanted & (self.partnership_roles & PARTNERSHIP_ROLES):
            return True
        return any(wanted & self.roles_in(agency_id) for agency_id in agency_ids)

    def is_named(self, named: Named, agency_ids_by_side: dict[str, int]) -> bool:
        """Whether the person holds the post `named` gives: its office, its partnership role, or its role on its
        sides (`agency_ids_by_side`: "raising" and "other" to the dispute's agencies)."""
        if named.office and named.office in self.offices:
            return True
        if not named.role:
            return False
        if named.role in PARTNERSHIP_ROLES:
            return named.role in self.partnership_roles
        sides = ("raising", "other") if named.sides == "both" else (named.sides,)
        return any(named.role in self.roles_in(agency_ids_by_side.get(side)) for side in sides)


NOBODY = Actor(user_id=None, active=False)
