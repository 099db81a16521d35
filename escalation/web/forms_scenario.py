"""The form of the policy page's "Try a scenario": a scenario pasted in, or uploaded as a file.

It checks only that there is some text to play; the scenario's own problems come from the simulator and are
added to the form by the view, with what was typed (or uploaded) kept in the box.
"""

from django import forms

#: The most a scenario may hold: a long scenario is a few kilobytes.
MAX_CHARS = 100_000


class ScenarioForm(forms.Form):
    scenario = forms.CharField(
        label="Scenario",
        help_text="Paste a scenario in YAML: the policy, the two agencies and the steps people take, each at a moment.",
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        required=False,
        max_length=MAX_CHARS,
        error_messages={"max_length": f"A scenario must be {MAX_CHARS:,} characters or fewer"},
    )
    scenario_file = forms.FileField(
        label="Or upload a scenario file",
        help_text="A .yaml file. It replaces anything pasted above.",
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("scenario_file")
        if upload:
            if upload.size > MAX_CHARS:
                self.add_error("scenario_file", f"The file must be smaller than {MAX_CHARS // 1000} KB")
                return cleaned
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("scenario_file", "The file must be a YAML text file")
                return cleaned
            # Show what was uploaded in the box, so a problem in it can be put right there.
            self.data = self.data.copy()
            self.data["scenario"] = text
            cleaned["scenario"] = text
        elif not (cleaned.get("scenario") or "").strip() and "scenario" not in self.errors:
            self.add_error("scenario", "Paste a scenario or choose a file to upload")
        return cleaned
