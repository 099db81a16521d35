"""Typed text with a limit: refused when too long, never cut short, and counted as it is typed.

`LimitedText` is a form field for text with a limit from `agencies.text_limits`. It leaves the `maxlength`
attribute off the input, because a browser given one silently drops whatever is typed or pasted past it (10,050
characters became 10,000 and nobody was told). Over-long text reaches the server instead, which sends the form back
with what was typed and a GOV.UK error message saying how long it may be.

`character_count(form, name)` lays a long text field out as GOV.UK's character count component
(`data-module="govuk-character-count"`, started by `initAll()` in static/js/app.js), which shows as the person types
how many characters are left, or how many too many. Without JavaScript the hint still says the limit.
"""

from __future__ import annotations

from crispy_forms_gds.layout import Field
from django import forms

from agencies.text_limits import too_long


class LimitedText(forms.CharField):
    """A CharField whose limit the server enforces and the browser never applies by itself."""

    def __init__(self, *, limit: int, noun: str, **kwargs):
        error_messages = {"max_length": too_long(noun, limit), **kwargs.pop("error_messages", {})}
        super().__init__(max_length=limit, error_messages=error_messages, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        if isinstance(widget, forms.Textarea):
            # crispy-forms-gds adds the count's message to aria-describedby and expects the key to be there.
            attrs.setdefault("aria-describedby", "")
        return attrs


def character_count(form: forms.Form, name: str, **kwargs) -> Field:
    """The textarea for `form`'s field `name` with GOV.UK's character count at the field's own limit."""
    return Field.textarea(name, max_characters=form.fields[name].max_length, **kwargs)
