"""Forms for raising a dispute and for the actions on a dispute's page.

They check what was typed and nothing more: whether the action is allowed is decided by the
services (through `escalation.permissions`), and a refusal comes back as a form error. Rendered with
crispy-forms-gds inside the page's own <form>, so each page controls its buttons.
"""

import datetime
import re

from crispy_forms.layout import Layout
from crispy_forms_gds.choices import Choice
from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Size
from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone

from agencies import text_limits as limits
from escalation.disputes.models import SubjectKind
from escalation.web.text_fields import LimitedText, character_count
from policies.vocabulary import EntryKind, MediationChoice

YES_NO = [("yes", "Yes"), ("no", "No")]


#: A list longer than this is a select that static/js/autocomplete.js makes an accessible autocomplete (a plain
#: select without JavaScript); shorter ones stay radios, which the GOV.UK Design System prefers for a few options.
PICKER_RADIOS_UP_TO = 10


def _pick_one(form: forms.Form, name: str, choices: list, *, blank: str, long_choices: list | None = None) -> Field:
    """The layout of a one-of-many question asked as the page's heading: radios, or a select when there are many.

    `long_choices` are the select's (value, label) pairs when they differ from the radios' (a hint folded in).
    """
    field = form.fields[name]
    if len(choices) <= PICKER_RADIOS_UP_TO:
        field.choices = choices
        return Field.radios(name, legend_size=Size.LARGE, legend_tag="h1")
    field.widget = forms.Select(attrs={"data-module": "app-autocomplete"})
    field.choices = [("", blank), *(long_choices if long_choices is not None else choices)]
    return Field(name, context={"label_size": Size.for_label(Size.LARGE), "label_tag": "h1"})


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


class GovDateField(DateInputField):
    """A GOV.UK date input whose messages name the date being asked for."""

    def __init__(self, noun: str, *, past_only: bool = False, **kwargs):
        kwargs.setdefault("require_all_fields", False)
        super().__init__(**kwargs)
        self.noun = noun
        self.past_only = past_only
        title = noun[0].upper() + noun[1:]
        self.error_messages["required"] = f"Enter the {noun}"
        self.error_messages["incomplete"] = f"Enter the {noun}"
        for part, name in zip(self.fields, ("day", "month", "year"), strict=True):
            part.error_messages["incomplete"] = f"{title} must include a {name}"
            part.validators = [RegexValidator(r"^\s*[0-9]+\s*$", f"{title} must be a real date")]

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        title = self.noun[0].upper() + self.noun[1:]
        if len(year.strip()) != 4:
            raise forms.ValidationError(f"Year must include 4 numbers, for example {timezone.localdate().year}")
        try:
            value = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            raise forms.ValidationError(f"{title} must be a real date") from None
        if self.past_only and value > timezone.localdate():
            raise forms.ValidationError(f"{title} must be today or in the past")
        return value


# Raising a dispute: one question a page.


class AgencyForm(forms.Form):
    agency = forms.TypedChoiceField(
        label="Which agency are you raising this dispute for?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the agency you are raising this dispute for"},
    )

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(a.pk, f"{a.name} ({a.partnership.name})") for a in agencies]
        self.helper = _helper(Field.radios("agency", legend_size=Size.LARGE, legend_tag="h1"))


class ImmediateHarmForm(forms.Form):
    immediate_harm = forms.ChoiceField(
        label="Is a child or adult at risk of immediate harm?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if someone is at risk of immediate harm"},
    )

    def __init__(self, *args, hint: str = "", **kwargs):
        """`hint`: what immediate harm means, in the words of the policy the dispute is raised under."""
        super().__init__(*args, **kwargs)
        self.fields["immediate_harm"].help_text = hint
        self.helper = _helper(Field.radios("immediate_harm", legend_size=Size.LARGE, legend_tag="h1", inline=True))


class StartStageForm(forms.Form):
    start_stage = forms.TypedChoiceField(
        label="Which stage should the dispute start at?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the stage the dispute should start at"},
    )

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["start_stage"].choices = [
            Choice(s.number, f"Stage {s.number}: {s.name}", hint=f"For your agency: {s.raising_side}") for s in stages
        ]
        self.helper = _helper(Field.radios("start_stage", legend_size=Size.MEDIUM))


class SubjectKindForm(forms.Form):
    kind = forms.ChoiceField(
        label="Who is the dispute about?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the dispute is about a child or an adult"},
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = {SubjectKind.CHILD: "A child", SubjectKind.ADULT: "An adult with care and support needs"}
        self.fields["kind"].choices = [(kind, labels[kind]) for kind in kinds]
        self.helper = _helper(Field.radios("kind", legend_size=Size.LARGE, legend_tag="h1"))


def nhs_number_is_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check digit."""
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


class SubjectForm(forms.Form):
    name = LimitedText(
        label="Full name",
        limit=limits.NAME,
        noun="Their name",
        error_messages={"required": "Enter their full name"},
    )
    date_of_birth = GovDateField(
        "date of birth", past_only=True, required=False, label="Date of birth", help_text="For example, 27 3 2015"
    )
    address = LimitedText(
        label="Address",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        limit=limits.ADDRESS,
        noun="The address",
    )
    nhs_number = LimitedText(
        label="NHS number (optional)",
        required=False,
        help_text="A 10 digit number, like 943 476 5919",
        limit=14,
        noun="NHS number",
        error_messages={"max_length": "NHS number must be 10 digits"},
    )
    other_identifiers = LimitedText(
        label="Other identifiers (optional)",
        required=False,
        limit=limits.SHORT_TEXT,
        noun="Other identifiers",
        help_text="For example, a case number in your agency's system",
    )
    circumstances = forms.MultipleChoiceField(
        label="Which of these apply to the child?",
        help_text="Select all that apply.",
        required=False,
        choices=[("child_protection_plan", "Has a child protection plan"), ("looked_after", "Is looked after")],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, kind: str = SubjectKind.CHILD, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        fields = [
            Field.text("name", label_size=Size.SMALL, field_width=Fluid.TWO_THIRDS),
            Field("date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
            character_count(self, "address", label_size=Size.SMALL, rows=3),
            Field.text("nhs_number", label_size=Size.SMALL, field_width=10),
            Field.text("other_identifiers", label_size=Size.SMALL, field_width=Fluid.TWO_THIRDS),
        ]
        if kind == SubjectKind.CHILD:
            fields.append(Field.checkboxes("circumstances", legend_size=Size.SMALL))
        else:
            del self.fields["circumstances"]
        self.fields["nhs_number"].widget.attrs.update({"inputmode": "numeric", "spellcheck": "false"})
        self.helper = _helper(*fields)

    def clean_nhs_number(self) -> str:
        digits = re.sub(r"[\s-]", "", self.cleaned_data["nhs_number"])
        if not digits:
            return ""
        if not digits.isdigit() or len(digits) != 10:
            raise forms.ValidationError("NHS number must be 10 digits, like 943 476 5919")
        if not nhs_number_is_valid(digits):
            raise forms.ValidationError("Enter a valid NHS number: check it against their records")
        return digits


class OtherAgencyForm(forms.Form):
    other_agency = forms.TypedChoiceField(
        label="Which agency do you disagree with?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the agency you disagree with"},
    )

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(a.pk, a.name) for a in agencies]
        self.helper = _helper(_pick_one(self, "other_agency", choices, blank="Choose an agency"))


class OtherWorkerForm(forms.Form):
    other_worker = forms.TypedChoiceField(
        label="Who made the decision you disagree with?",
        help_text="They will be told the dispute has been raised. If you do not know, the agency's managers "
        "and designated safeguarding lead are told instead, and pass it on.",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who made the decision, or that you do not know"},
    )

    def __init__(self, *args, people=(), agency_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        unknown_hint = f"Tell the managers at {agency_name}" if agency_name else ""
        choices = [Choice(user.pk, label, hint=hint) for user, label, hint in people]
        if choices:
            choices[-1].divider = "or"
        choices.append(Choice(0, "I do not know", hint=unknown_hint))
        long_choices = [(0, f"I do not know: {unknown_hint.lower()}" if unknown_hint else "I do not know")]
        long_choices += [(user.pk, f"{label} ({hint})" if hint else label) for user, label, hint in people]
        layout = _pick_one(self, "other_worker", choices, blank="Choose a person", long_choices=long_choices)
        self.helper = _helper(layout)


class CategoryForm(forms.Form):
    category = forms.ChoiceField(
        label="What is the disagreement about?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the disagreement is about"},
    )

    def __init__(self, *args, categories=(), **kwargs):
        """`categories`: (key, label) pairs, those of the policy the dispute is raised under."""
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = list(categories)
        self.helper = _helper(Field.radios("category", legend_size=Size.LARGE, legend_tag="h1"))


class DescriptionForm(forms.Form):
    description = LimitedText(
        label="What is the disagreement?",
        help_text="Say what was decided, why you disagree and what you think should happen. Do not include "
        "more personal details than the other agency needs.",
        widget=forms.Textarea(attrs={"rows": 8}),
        limit=limits.LONG_TEXT,
        noun="The disagreement",
        error_messages={"required": "Enter what the disagreement is"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "description", label_size=Size.LARGE, label_tag="h1", rows=8))


class AttemptsForm(forms.Form):
    attempts_so_far = LimitedText(
        label="What has been tried so far to resolve it?",
        help_text="For example, who you talked to in your own agency and in the other agency, and when. "
        "If nothing has been tried yet, say why.",
        widget=forms.Textarea(attrs={"rows": 6}),
        limit=limits.LONG_TEXT,
        noun="What has been tried so far",
        error_messages={"required": "Enter what has been tried so far, or why nothing has been tried yet"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "attempts_so_far", label_size=Size.LARGE, label_tag="h1", rows=6))


class OutsetForm(forms.Form):
    concern_outset = GovDateField(
        "date the concern was first considered",
        past_only=True,
        required=False,
        label="When was the concern first considered?",
        help_text="The day you, or anyone else who worked with them, first considered this concern, if you know "
        "it. Some policies' timescales run from that day. For example, 27 3 2026.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("concern_outset", context={"legend_size": Size.for_legend(Size.LARGE), "legend_tag": "h1"})
        )


# Actions on a dispute.


class RecordEntryForm(forms.Form):
    kind = forms.ChoiceField(
        label="What are you recording?",
        choices=EntryKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether this is a discussion, an action or a decision"},
    )
    occurred_on = GovDateField("date it happened", past_only=True, label="When did it happen?")
    text = LimitedText(
        label="What happened?",
        help_text="Who was involved, what was said or done, and what was agreed.",
        widget=forms.Textarea(attrs={"rows": 8}),
        limit=limits.LONG_TEXT,
        noun="What happened",
        error_messages={"required": "Enter what happened"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("kind", legend_size=Size.MEDIUM),
            Field("occurred_on", context={"legend_size": Size.for_legend(Size.MEDIUM)}),
            character_count(self, "text", label_size=Size.MEDIUM, rows=8),
        )


class ProposeEscalationForm(forms.Form):
    reason = LimitedText(
        label="Why does the dispute need to go to the next stage?",
        help_text="Your manager and the other agency will see this.",
        widget=forms.Textarea(attrs={"rows": 6}),
        limit=limits.REASON,
        noun="The reason",
        error_messages={"required": "Enter why the dispute needs to go to the next stage"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "reason", label_size=Size.MEDIUM, rows=6))


class DecideEscalationForm(forms.Form):
    decision = forms.ChoiceField(
        label="Do you approve the escalation?",
        choices=[("approve", "Yes, approve it"), ("decline", "No, decline it")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you approve the escalation"},
    )
    reason = LimitedText(
        label="If you decline, say why",
        help_text="The person who asked for the escalation will see this.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        limit=limits.REASON,
        noun="The reason",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field.radios("decision", legend_size=Size.MEDIUM),
            character_count(self, "reason", label_size=Size.SMALL, rows=5),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "decline" and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Enter why you are declining the escalation")
        return cleaned


class ResolutionForm(forms.Form):
    agreed_outcome = LimitedText(
        label="What was agreed?",
        help_text="Both agencies will see this.",
        widget=forms.Textarea(attrs={"rows": 6}),
        limit=limits.LONG_TEXT,
        noun="What was agreed",
        error_messages={"required": "Enter what was agreed"},
    )
    outstanding_actions = LimitedText(
        label="Actions still to be done (optional)",
        help_text="Who will do what, and by when.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        limit=limits.LONG_TEXT,
        noun="The actions still to be done",
    )
    decided_on = GovDateField("date it was agreed", past_only=True, label="When was it agreed?")
    convened = forms.ChoiceField(
        label="Was mediation or a resolution panel used?",
        choices=[
            (MediationChoice.NEITHER, "Neither"),
            (MediationChoice.MEDIATION, "Mediation"),
            (MediationChoice.PANEL, "A resolution panel"),
        ],
        initial=MediationChoice.NEITHER,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether mediation or a resolution panel was used"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            character_count(self, "agreed_outcome", label_size=Size.MEDIUM, rows=6),
            character_count(self, "outstanding_actions", label_size=Size.MEDIUM, rows=4),
            Field("decided_on", context={"legend_size": Size.for_legend(Size.MEDIUM)}),
            Field.radios("convened", legend_size=Size.MEDIUM),
        )


class CloseForm(forms.Form):
    """Nothing to type: the button is the confirmation."""

    helper = _helper()


class WithdrawForm(forms.Form):
    reason = LimitedText(
        label="Why are you withdrawing the dispute?",
        help_text="The other agency will see this.",
        widget=forms.Textarea(attrs={"rows": 5}),
        limit=limits.REASON,
        noun="The reason",
        error_messages={"required": "Enter why you are withdrawing the dispute"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "reason", label_size=Size.MEDIUM, rows=5))


class FlagImmediateHarmForm(forms.Form):
    reason = LimitedText(
        label="What is the risk of immediate harm?",
        help_text="Both agencies will see this. If someone is in danger now, call the police on 999 first.",
        widget=forms.Textarea(attrs={"rows": 5}),
        limit=limits.REASON,
        noun="The reason",
        error_messages={"required": "Enter what the risk of immediate harm is"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "reason", label_size=Size.MEDIUM, rows=5))


TIME_PATTERN = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?\s*$", re.IGNORECASE)


def parse_time(text: str) -> datetime.time | None:
    """'5pm', '5:30pm', '17:00', '9.15am', 'midday' or 'noon'; None when it is not a time."""
    text = text.strip().lower()
    if text in {"midday", "noon", "12 noon"}:
        return datetime.time(12, 0)
    match = TIME_PATTERN.match(text)
    if not match:
        return None
    hour, minute, suffix = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if suffix:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    if not suffix and match.group(2) is None:
        return None
    return datetime.time(hour, minute)


class ManualDeadlineForm(forms.Form):
    due_on = GovDateField("date it is due", label="Date", help_text="For example, 6 5 2026")
    due_time = LimitedText(
        label="Time",
        help_text="For example, 5pm or 17:00",
        limit=10,
        noun="The time",
        error_messages={"required": "Enter the time it is due", "max_length": "Enter a time like 5pm or 17:00"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.text("due_time", label_size=Size.SMALL, field_width=5),
        )

    def clean_due_time(self) -> datetime.time:
        value = parse_time(self.cleaned_data["due_time"])
        if value is None:
            raise forms.ValidationError("Enter a time like 5pm or 17:00")
        return value


class ExtendDeadlineForm(forms.Form):
    working_days = forms.IntegerField(
        label="How many working days should it be extended by?",
        min_value=1,
        max_value=60,
        error_messages={
            "required": "Enter the number of working days",
            "invalid": "Number of working days must be a whole number, like 5",
            "min_value": "Extend by at least 1 working day",
            "max_value": "Extend by at most 60 working days",
        },
    )
    reason = LimitedText(
        label="Why is it extended?",
        widget=forms.Textarea(attrs={"rows": 3}),
        limit=limits.DEADLINE_REASON,
        noun="The reason",
        error_messages={"required": "Enter why the deadline is extended"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["working_days"].widget = forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"})
        self.helper = _helper(
            Field.text("working_days", label_size=Size.SMALL, field_width=3),
            character_count(self, "reason", label_size=Size.SMALL, rows=3),
        )


class ShortenDeadlineForm(forms.Form):
    due_on = GovDateField("date it is now due", label="Date", help_text="For example, 6 5 2026")
    due_time = LimitedText(
        label="Time",
        help_text="For example, 5pm or 17:00",
        limit=10,
        noun="The time",
        error_messages={"required": "Enter the time it is now due", "max_length": "Enter a time like 5pm or 17:00"},
    )
    reason = LimitedText(
        label="How does the earlier date protect the child or adult?",
        widget=forms.Textarea(attrs={"rows": 3}),
        limit=limits.DEADLINE_REASON,
        noun="The reason",
        error_messages={"required": "Enter how the earlier date protects the child or adult"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.text("due_time", label_size=Size.SMALL, field_width=5),
            character_count(self, "reason", label_size=Size.SMALL, rows=3),
        )

    def clean_due_time(self) -> datetime.time:
        value = parse_time(self.cleaned_data["due_time"])
        if value is None:
            raise forms.ValidationError("Enter a time like 5pm or 17:00")
        return value


class PauseDeadlineForm(forms.Form):
    reason = LimitedText(
        label="Why is it paused?",
        widget=forms.Textarea(attrs={"rows": 3}),
        limit=limits.DEADLINE_REASON,
        noun="The reason",
        error_messages={"required": "Enter why the deadline is paused"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "reason", label_size=Size.SMALL, rows=3))


class ResumeDeadlineForm(forms.Form):
    reason = LimitedText(
        label="Why is it restarted?",
        widget=forms.Textarea(attrs={"rows": 3}),
        limit=limits.DEADLINE_REASON,
        noun="The reason",
        error_messages={"required": "Enter why the deadline is restarted"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "reason", label_size=Size.SMALL, rows=3))


class DecisionForm(ResolutionForm):
    """A final and binding stage's decision, recorded by its decision-maker: the same fields as a resolution."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        outcome = self.fields["agreed_outcome"]
        outcome.label = "What was decided?"
        outcome.help_text = "The decision is final and binding on both agencies. Both will see it."
        outcome.error_messages["required"] = "Enter what was decided"
        self.fields["decided_on"].label = "When was it decided?"


class ConfirmResolutionForm(forms.Form):
    """Nothing to type: the button is the confirmation."""

    helper = _helper()


class RejectResolutionForm(forms.Form):
    reason = LimitedText(
        label="Why does your agency not agree?",
        help_text="The other agency will see this. The dispute goes back to discussion at the same stage.",
        widget=forms.Textarea(attrs={"rows": 5}),
        limit=limits.REASON,
        noun="The reason",
        error_messages={"required": "Enter why your agency does not agree with the resolution"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "reason", label_size=Size.MEDIUM, rows=5))


class NoResponseForm(forms.Form):
    reason = LimitedText(
        label="Anything to add (optional)",
        help_text="For example, how the other agency was chased. Both agencies will see this.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        limit=limits.REASON,
        noun="What you add",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(character_count(self, "reason", label_size=Size.MEDIUM, rows=4))
