"""Forms of the partnership's pages: the register's filters, the themes' date range and the policy preview.

All are GET forms: they change nothing, and a link to a filtered register can be bookmarked or shared.
"""

import datetime

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from agencies.models import Sector
from escalation.disputes.models import SubjectKind
from escalation.disputes.register import RegisterFilters
from policies.vocabulary import DisputeState

EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


class GovDateField(DateInputField):
    """A GOV.UK date input whose messages name the date and say how to put it right."""

    def __init__(self, *, label: str, **kwargs):
        what = label
        self.what = what
        fields = (
            forms.CharField(
                label="Day",
                error_messages={"incomplete": f"{what} must include a day"},
                validators=[RegexValidator(r"^\s*\d{1,2}\s*$", f"{what} must be a real date")],
            ),
            forms.CharField(
                label="Month",
                error_messages={"incomplete": f"{what} must include a month"},
                validators=[RegexValidator(r"^\s*\d{1,2}\s*$", f"{what} must be a real date")],
            ),
            forms.CharField(
                label="Year",
                error_messages={"incomplete": f"{what} must include a year"},
                validators=[RegexValidator(r"^\s*\d{4}\s*$", f"{what}: enter the year as 4 digits, for example 2026")],
            ),
        )
        messages = {"required": f"Enter {what[0].lower()}{what[1:]}", "incomplete": f"Enter {what.lower()} in full"}
        forms.MultiValueField.__init__(
            self, error_messages=messages, fields=fields, require_all_fields=False, label=label, **kwargs
        )

    def compress(self, data_list):
        if not data_list or not all(data_list):
            return None
        day, month, year = (int(str(part).strip()) for part in data_list)
        try:
            value = datetime.date(year, month, day)
        except ValueError:
            raise ValidationError(f"{self.what} must be a real date", code="invalid") from None
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValidationError(f"{self.what} must be between {EARLIEST_YEAR} and {LATEST_YEAR}", code="out_of_range")
        return value


def _any(label: str, choices) -> list[tuple[str, str]]:
    return [("", label), *[(str(value), text) for value, text in choices]]


class DateRangeForm(forms.Form):
    raised_from = GovDateField(label="Raised from", required=False, help_text="For example, 1 4 2026")
    raised_to = GovDateField(label="Raised to", required=False, help_text="For example, 30 4 2026")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("raised_from"), cleaned.get("raised_to")
        if start and end and end < start:
            self.add_error("raised_to", "Raised to must be the same as or after raised from")
        return cleaned

    def date_range(self) -> tuple[datetime.date | None, datetime.date | None]:
        """The valid part of the range; a date in error is left out (and its message shown)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if "raised_to" in self.errors:
            return data.get("raised_from"), None
        return data.get("raised_from"), data.get("raised_to")


class RegisterFilterForm(DateRangeForm):
    q = forms.CharField(
        label="Search", required=False, max_length=200, help_text="A reference, or words from the description"
    )
    stage = forms.TypedChoiceField(label="Stage", required=False, coerce=int, empty_value=None)
    state = forms.ChoiceField(label="State", required=False, choices=_any("Any state", DisputeState.choices))
    agency = forms.TypedChoiceField(
        label="Agency", required=False, coerce=int, empty_value=None, help_text="Raising the dispute or receiving it"
    )
    sector = forms.ChoiceField(
        label="Sector",
        required=False,
        choices=_any("Any sector", [(v, t) for v, t in Sector.choices if v != Sector.PARTNERSHIP]),
        help_text="Of either agency",
    )
    category = forms.ChoiceField(label="Category", required=False)
    subject_kind = forms.ChoiceField(
        label="About", required=False, choices=_any("A child or an adult", SubjectKind.choices)
    )
    overdue = forms.BooleanField(label="Only disputes with an overdue deadline", required=False)

    field_order = ["q", "stage", "state", "agency", "sector", "category", "subject_kind", "overdue"]

    def __init__(self, data=None, *, stages=(), agencies=(), categories=(), **kwargs):
        """`categories`: (key, label) pairs, those of the partnership's policy."""
        super().__init__(data, **kwargs)
        self.fields["category"].choices = _any("Any category", categories)
        self.fields["stage"].choices = _any("Any stage", [(s.number, f"Stage {s.number}: {s.name}") for s in stages])
        self.fields["agency"].choices = _any("Any agency", [(a.pk, a.name) for a in agencies])

    def filters(self) -> RegisterFilters:
        """The filters that were entered correctly; one in error is left out (and its message shown)."""
        raised_from, raised_to = self.date_range()
        data = self.cleaned_data
        return RegisterFilters(
            text=(data.get("q") or "").strip(),
            stage=data.get("stage"),
            state=data.get("state") or "",
            agency_id=data.get("agency"),
            sector=data.get("sector") or "",
            category=data.get("category") or "",
            subject_kind=data.get("subject_kind") or "",
            overdue=bool(data.get("overdue")),
            raised_from=raised_from,
            raised_to=raised_to,
        )


class PolicyPreviewForm(forms.Form):
    raised_on = GovDateField(label="Date the dispute is raised", help_text="For example, 2 3 2026")
    immediate_harm = forms.BooleanField(label="There is a risk of immediate harm", required=False)
