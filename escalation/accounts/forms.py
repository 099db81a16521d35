from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.forms.utils import ErrorDict

from escalation.accounts.two_factor import NOT_A_CODE


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
    """Django's sign-in form, refusing an over-long username before anything tries to look it up.

    AuthenticationForm sets the username's max_length only on the input element, so without this a
    12,000-character username reaches authentication (and the lockout records).
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
        field.error_messages["max_length"] = "Enter a correct username and password."


class LockedOutForm(AuthenticationForm):
    """The sign-in form showing why sign-in is refused, without trying the password again."""

    def __init__(self, request, message: str, data=None):
        super().__init__(request, data=data)
        self.lockout_message = message

    def full_clean(self) -> None:
        self._errors = ErrorDict()
        self.cleaned_data = {}
        self.add_error(None, self.lockout_message)
