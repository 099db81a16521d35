"""Forms of the bulk import: the file to check, and the checked file to import.

They carry the file; what it would do and whether that is allowed is decided by `escalation.accounts.people_import`.
Between the check and the import the file travels in the page itself (base64, in a hidden field) with the hash of
the plan the admin saw, so nothing is kept on the server and the import does exactly what was shown, or nothing.
"""

import base64
import binascii

from django import forms

from agencies.models import Partnership
from escalation.accounts.people_import import MAX_FILE_BYTES


class PartnershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, partnership: Partnership) -> str:
        return partnership.name


class _Partnership(forms.Form):
    partnership = PartnershipChoiceField(
        queryset=Partnership.objects.none(),
        label="Partnership",
        empty_label=None,
        error_messages={"required": "Choose the partnership", "invalid_choice": "Choose one of the partnerships"},
    )

    def __init__(self, *args, partnerships=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = partnerships if partnerships is not None else Partnership.objects.none()
        self.only = partnerships[0] if partnerships is not None and len(partnerships) == 1 else None
        if self.only is not None:
            self.fields["partnership"].widget = forms.HiddenInput()
            self.fields["partnership"].initial = self.only.pk
            self.fields["partnership"].required = False

    def clean_partnership(self) -> Partnership:
        """An admin of one partnership imports into it; an admin of several (or a superuser) chooses."""
        return self.cleaned_data.get("partnership") or self.only


class UploadForm(_Partnership):
    file = forms.FileField(
        label="Upload a CSV file",
        error_messages={"required": "Choose a CSV file", "empty": "The file is empty"},
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"The file must be no larger than {MAX_FILE_BYTES // 1024} KB")
        return upload.read()


class ApplyForm(_Partnership):
    data = forms.CharField(widget=forms.HiddenInput, max_length=(MAX_FILE_BYTES * 4) // 3 + 8, strip=False)
    checked = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_data(self) -> bytes:
        try:
            return base64.b64decode(self.cleaned_data["data"], validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError("The file was lost on the way: check it again") from None


def encode_file(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
