from crispy_forms.layout import Layout
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.validators import MaxLengthValidator
from django.forms.utils import ErrorDict

from escalation.accounts.two_factor import NOT_A_CODE

#: The one answer to any failed sign-in: it never says whether the username exists or whose password was wrong.
WRONG_SIGN_IN = "Enter a correct username and password. Both must be typed exactly as they were set up."


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        error_messages={"required": NOT_A_CODE, "max_length": NOT_A_CODE},
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not (code.isascii() and code.isdigit()):
            raise forms.ValidationError(NOT_A_CODE)
        return code


class SignInForm(AuthenticationForm):
    """Django's sign-in form in the service's words, refusing an over-long username before anything looks it up.

    AuthenticationForm sets the username's max_length only on the input element, so without this a
    12,000-character username reaches authentication (and the lockout records).
    """

    error_messages = {  # noqa: RUF012 - Django reads the class attribute
        **AuthenticationForm.error_messages,
        "invalid_login": WRONG_SIGN_IN,
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.label = "Username"
        field.validators.append(MaxLengthValidator(field.max_length))
        field.error_messages["max_length"] = WRONG_SIGN_IN
        field.error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"  # noqa: S105


class LockedOutForm(AuthenticationForm):
    """The sign-in form showing why sign-in is refused, without trying the password again."""

    def __init__(self, request, message: str, data=None):
        super().__init__(request, data=data)
        self.lockout_message = message

    def full_clean(self) -> None:
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error(None, self.lockout_message)


class NewPasswordForm(SetPasswordForm):
    """Django's set-password form and its validators, in GOV.UK words: for an invitation and a password reset."""

    error_messages = {  # noqa: RUF012 - Django reads the class attribute
        **SetPasswordForm.error_messages,
        "password_mismatch": "The two passwords are not the same. Type the same password twice.",  # noqa: S105
    }

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        first, second = self.fields["new_password1"], self.fields["new_password2"]
        first.label = "Create a password"
        first.help_text = "At least 12 characters, not a common password and not only numbers."
        first.error_messages["required"] = "Create a password"
        second.label = "Type the password again"
        second.help_text = ""
        second.error_messages["required"] = "Type the password again"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.text("new_password1"), Field.text("new_password2"))


class ResetRequestForm(PasswordResetForm):
    """Django's password reset request, refusing an over-long address before anything looks it up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["email"]
        field.label = "Your work e-mail address"
        field.max_length = 254
        field.validators.append(MaxLengthValidator(254))
        field.error_messages.update(
            {
                "required": "Enter your work e-mail address",
                "invalid": "Enter an e-mail address in the correct format, like name@example.org",
                "max_length": "Enter an e-mail address in the correct format, like name@example.org",
            }
        )
