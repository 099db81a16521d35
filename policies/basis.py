"""Where each part of a policy comes from, and whom its rules name, in words for pages, records and commands.

A basis is stored as {"kind", "quote", "where", "note"}, or None when the file gave none. Only a basis in the
policy carries the document's own words (its quote, and where they are); a reading or the partnership's own
choice carries a note in the partnership's words. Whatever shows a basis keeps them apart: a note is never
put in quotation marks or shown as a quotation, so it cannot pass for the policy.
"""

from dataclasses import dataclass
from typing import Any

from agencies.models import PARTNERSHIP_ROLES, Office, Role
from policies.vocabulary import Basis, DeadlineKind, Side

#: The note given to a length the policy does not state: the partnership's default number of working days.
DEFAULT_LENGTH_NOTE = "The policy gives no timescale, so the partnership's default number of working days applies."


@dataclass(frozen=True)
class BasisWords:
    """A stored basis, read for showing. `kind` is empty when none was recorded."""

    kind: str = ""
    quote: str = ""
    where: str = ""
    note: str = ""

    @property
    def recorded(self) -> bool:
        return bool(self.kind)

    @property
    def in_policy(self) -> bool:
        return self.kind == Basis.POLICY

    @property
    def tag(self) -> str:
        """A short label to put beside a reading or a default (the policy's own words need none)."""
        return {Basis.READING: "Reading", Basis.PARTNERSHIP_DEFAULT: "Partnership's choice"}.get(self.kind, "")

    @property
    def citation(self) -> str:
        """Where the policy's words are: "Policy, line 66"."""
        return f"Policy, {self.where}" if self.where else "Policy"

    @property
    def text(self) -> str:
        """The basis in words, without the quote: the citation, or the note with whose it is."""
        if self.kind == Basis.POLICY:
            return self.citation
        if self.kind == Basis.READING:
            return f"Our reading: {self.note}"
        if self.kind == Basis.PARTNERSHIP_DEFAULT:
            return f"Partnership's own choice: {self.note}"
        return "Basis not recorded"

    @property
    def policy_note(self) -> str:
        """The partnership's note on the policy's words (how it reads them), shown apart from the quotation."""
        return f"Our note: {self.note}" if self.kind == Basis.POLICY and self.note else ""

    @property
    def line(self) -> str:
        """One line of plain text: the policy's words in quotation marks with where they are; a note never."""
        if self.kind == Basis.POLICY:
            quoted = f"{self.citation}: “{self.quote}”"
            return f"{quoted}. {self.policy_note}" if self.note else quoted
        return self.text


def basis_words(basis: dict[str, Any] | None) -> BasisWords:
    """A stored basis (or None) for showing. An unknown kind is shown as not recorded rather than guessed."""
    if not isinstance(basis, dict) or basis.get("kind") not in Basis.values:
        return BasisWords()
    return BasisWords(
        kind=str(basis["kind"]),
        quote=str(basis.get("quote") or ""),
        where=str(basis.get("where") or ""),
        note=str(basis.get("note") or ""),
    )


def due_basis(rule) -> dict[str, Any] | None:
    """What a deadline rule's due moment rests on: its length's basis, or the rule's own where the length has none.

    A length the policy does not state (the partnership's default) is always the partnership's, whatever else
    the file says, so a default length never looks like the policy's words.
    """
    length_basis = getattr(rule, "length_basis", None)
    if getattr(rule, "partnership_default", False):
        if isinstance(length_basis, dict) and length_basis.get("kind") == Basis.PARTNERSHIP_DEFAULT:
            return length_basis
        return {"kind": Basis.PARTNERSHIP_DEFAULT, "quote": "", "where": "", "note": DEFAULT_LENGTH_NOTE}
    if rule.kind != DeadlineKind.MANUAL and length_basis:
        return length_basis
    return rule.basis


def stage_basis_line(basis: dict[str, Any] | None) -> str:
    """A stage's basis, briefly, for a written record: named by the policy, a reading, or the partnership's own."""
    words = basis_words(basis)
    if words.kind == Basis.POLICY:
        return f"Stage named by the policy ({words.where})" if words.where else "Stage named by the policy"
    if words.kind == Basis.READING:
        return f"Stage from the partnership's reading of the policy: {words.note}"
    if words.kind == Basis.PARTNERSHIP_DEFAULT:
        return f"Partnership's addition, not a stage of the policy: {words.note}"
    return "Basis of this stage not recorded"


# Recipients ------------------------------------------------------------------------------------------------------

SIDE_WORDS = {Side.RAISING: "the raising side", Side.OTHER: "the other side", Side.BOTH: "both sides"}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def recipient_words(recipient: dict[str, Any]) -> str:
    """Whom a stored recipient names, by their part in the dispute: "the worker who raised it",
    "the current stage's actors on the other side", "senior manager on both sides", "the child protection chair
    or the independent reviewing officer (either is enough)"."""
    kind = recipient.get("kind")
    sides = SIDE_WORDS.get(recipient.get("sides") or Side.BOTH, "both sides")
    if kind == "raiser":
        return "the worker who raised it"
    if kind == "stage_actors":
        return f"the current stage's actors on {sides}"
    if kind == "role":
        role = recipient.get("role", "")
        label = _lower_first(Role(role).label) if role in Role.values else role
        return f"the {label}" if role in PARTNERSHIP_ROLES else f"{label} on {sides}"
    if kind == "office":
        office = recipient.get("office", "")
        return f"the {_lower_first(Office(office).label)}" if office in Office.values else office
    if kind == "any_of":
        choices = [recipient_words(choice) for choice in recipient.get("of", [])]
        if len(choices) < 2:
            return "".join(choices)
        enough = "either is enough" if len(choices) == 2 else "any one is enough"
        return f"{', '.join(choices[:-1])} or {choices[-1]} ({enough})"
    return str(kind or "")
