"""Forms of the People pages: invite a person and give them a role.

They check what was typed; whether the change is allowed is decided by the services in `escalation.accounts`,
and a refusal comes back as a form error.
"""

from crispy_forms.layout import Layout
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Size
from django import forms

from agencies.models import Agency, Role

NAME_LIMIT = 150


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields)
    return helper


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, agency: Agency) -> str:
        return agency.name


class RoleFields(forms.Form):
    """An agency of the admin's partnerships and a role in it."""

    agency = AgencyChoiceField(
        queryset=Agency.objects.none(),
        label="Agency",
        empty_label="Choose an agency",
        # A partnership has hundreds of agencies: GOV.UK's accessible autocomplete narrows the select as you type.
        widget=forms.Select(attrs={"data-module": "app-autocomplete"}),
        error_messages={"required": "Choose the agency", "invalid_choice": "Choose one of the agencies listed"},
    )
    role = forms.ChoiceField(
        choices=Role.choices,
        label="Role",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role", "invalid_choice": "Choose one of the roles listed"},
        help_text="Business manager and chair are given once the partnership chair approves.",
    )
    designation = forms.CharField(
        label="Job title (optional)", required=False, max_length=200, help_text="For example, Head Teacher."
    )

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies if agencies is not None else Agency.objects.none()
        self.helper = _helper(*self.layout_fields())

    def layout_fields(self) -> list:
        return [
            Field.select("agency"),
            Field.radios("role", legend_size=Size.SMALL),
            Field.text("designation"),
        ]


class InviteForm(RoleFields):
    first_name = forms.CharField(
        label="First name", max_length=NAME_LIMIT, error_messages={"required": "Enter their first name"}
    )
    last_name = forms.CharField(
        label="Last name", max_length=NAME_LIMIT, error_messages={"required": "Enter their last name"}
    )
    email = forms.EmailField(
        label="Work e-mail address",
        max_length=150,
        help_text="The invitation goes here. It is also the username they sign in with.",
        error_messages={
            "required": "Enter their work e-mail address",
            "invalid": "Enter an e-mail address in the correct format, like name@example.org",
        },
    )
    field_order = ["first_name", "last_name", "email", "agency", "role", "designation"]

    def layout_fields(self) -> list:
        return [
            Field.text("first_name", field_width=20),
            Field.text("last_name", field_width=20),
            Field.text("email", field_width=30),
            *super().layout_fields(),
        ]
