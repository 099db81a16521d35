"""Template tags for where a policy's parts come from: `{% basis stage.basis %}` (policies.basis does the words).

The policy's own words show as a quotation with where they are; a reading or the partnership's own choice shows
with a tag and its note, never as a quotation.
"""

from typing import Any

from django import template

from policies.basis import BasisWords, basis_words, recipient_words

register = template.Library()


@register.inclusion_tag("policies/includes/basis.html")
def basis(value: dict[str, Any] | BasisWords | None, compact: bool = False) -> dict[str, Any]:
    """Show a stored basis. `compact` for a table cell: the quotation in smaller type, with less space around it."""
    words = value if isinstance(value, BasisWords) else basis_words(value)
    return {"basis": words, "compact": compact}


@register.filter
def recipient(value: dict[str, Any]) -> str:
    """Whom a stored recipient names, in words."""
    return recipient_words(value)
