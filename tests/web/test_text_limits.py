"""Every typed text has a limit that the model and the form share, shown with GOV.UK's character count.

Text over the limit is refused with a message that says how long it may be, and the page keeps every character
typed: the browser is never given a `maxlength`, which would silently cut it (issue 12, F4; issue 15).
"""

import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape

from agencies import text_limits as limits
from agencies.models import Partnership
from escalation.disputes import services
from escalation.disputes.models import Dispute, Outcome, RecordEntry, StageVisit, Subject
from escalation.web import forms
from tests.web.conftest import page_text
from tests.web.test_raise_dispute import answer, step_url

#: (form, its field, the model field that stores what was typed there).
STORED_AS = [
    (forms.SubjectForm, "name", Subject, "name"),
    (forms.SubjectForm, "address", Subject, "address"),
    (forms.SubjectForm, "other_identifiers", Subject, "other_identifiers"),
    (forms.DescriptionForm, "description", Dispute, "description"),
    (forms.AttemptsForm, "attempts_so_far", Dispute, "attempts_so_far"),
    (forms.RecordEntryForm, "text", RecordEntry, "text"),
    (forms.ProposeEscalationForm, "reason", Dispute, "escalation_reason"),
    (forms.ResolutionForm, "agreed_outcome", Outcome, "agreed_outcome"),
    (forms.ResolutionForm, "outstanding_actions", Outcome, "outstanding_actions"),
    (forms.DecisionForm, "agreed_outcome", Outcome, "agreed_outcome"),
]

#: Every form with a long text, and those fields.
LONG_TEXT_FORMS = [
    (forms.SubjectForm, ["address"]),
    (forms.DescriptionForm, ["description"]),
    (forms.AttemptsForm, ["attempts_so_far"]),
    (forms.RecordEntryForm, ["text"]),
    (forms.ProposeEscalationForm, ["reason"]),
    (forms.DecideEscalationForm, ["reason"]),
    (forms.ResolutionForm, ["agreed_outcome", "outstanding_actions"]),
    (forms.DecisionForm, ["agreed_outcome", "outstanding_actions"]),
    (forms.WithdrawForm, ["reason"]),
    (forms.FlagImmediateHarmForm, ["reason"]),
    (forms.ExtendDeadlineForm, ["reason"]),
    (forms.ShortenDeadlineForm, ["reason"]),
    (forms.PauseDeadlineForm, ["reason"]),
    (forms.ResumeDeadlineForm, ["reason"]),
    (forms.RejectResolutionForm, ["reason"]),
    (forms.NoResponseForm, ["reason"]),
]


def _render(form) -> str:
    from crispy_forms.utils import render_crispy_form

    return render_crispy_form(form)


@pytest.mark.parametrize(("form_class", "field", "model", "model_field"), STORED_AS)
def test_the_form_and_the_model_share_one_limit(form_class, field, model, model_field):
    form_limit = form_class().fields[field].max_length
    assert form_limit is not None
    assert form_limit == model._meta.get_field(model_field).max_length


def test_every_long_text_in_the_app_forms_is_listed_here():
    listed = {form_class for form_class, _ in LONG_TEXT_FORMS}
    for name in dir(forms):
        form_class = getattr(forms, name)
        if not (isinstance(form_class, type) and issubclass(form_class, forms.forms.Form)):
            continue
        textareas = [n for n, f in form_class.base_fields.items() if isinstance(f.widget, forms.forms.Textarea)]
        if textareas:
            assert form_class in listed, name


@pytest.mark.parametrize(("form_class", "fields"), LONG_TEXT_FORMS)
def test_every_long_text_has_a_character_count_and_no_maxlength(form_class, fields):
    html = _render(form_class())
    assert not re.search(r"\smaxlength=", html)
    for field in fields:
        limit = form_class().fields[field].max_length
        assert limit is not None
        wrapper = re.search(
            rf'<div class="govuk-character-count" data-module="govuk-character-count" data-maxlength="{limit}">'
            rf'(?:(?!govuk-character-count" data-module).)*?name="{field}"',
            html,
            re.S,
        )
        assert wrapper, field
        assert f'id="id_{field}-info"' in html
        assert re.search(rf'<textarea[^>]*name="{field}"[^>]*class="[^"]*govuk-js-character-count', html) or re.search(
            rf'<textarea[^>]*class="[^"]*govuk-js-character-count[^"]*"[^>]*name="{field}"', html
        )


@pytest.mark.parametrize(("form_class", "fields"), LONG_TEXT_FORMS)
def test_text_one_over_the_limit_is_refused_with_a_message_and_one_at_the_limit_is_not(form_class, fields):
    for field in fields:
        limit = form_class().fields[field].max_length
        over = form_class(data={field: "x" * (limit + 1)})
        over.is_valid()
        assert over.errors.get(field) == [f"{over.fields[field].error_messages['max_length']}"], field
        assert f"{limit:,} characters or fewer" in over.errors[field][0]
        at = form_class(data={field: "x" * limit})
        at.is_valid()
        assert field not in at.errors


def test_a_one_megabyte_address_is_refused_and_the_page_keeps_what_was_typed(bcssp, client_for):
    client = client_for(bcssp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    if len(bcssp.partnership.policy.current_version.subjects) > 1:
        answer(client, "subject-kind", {"kind": "child"})
    typed = "Flat 1, " + "a very long road " * 61_700
    assert len(typed) > 1_000_000
    response = client.post(step_url("subject"), {"name": "Child A", "address": typed})
    page = page_text(response)
    assert response.status_code == 200
    assert "The address must be 500 characters or fewer" in page
    assert 'class="govuk-error-summary' in page
    assert escape(typed) in page  # every character still there, nothing cut
    assert not Subject.objects.exists()


@pytest.fixture
def dispute(bcssp):
    dispute = bcssp.raise_dispute()
    services.add_record_entry(
        dispute=dispute, author=bcssp.teacher, kind="discussion", text="Spoke", occurred_on=timezone.localdate()
    )
    return dispute


def test_text_pasted_past_the_limit_is_kept_whole_when_refused(dispute, client_for):
    """Issue 15: 10,050 characters must come back as 10,050, with the error, not as 10,000 silently."""
    client = client_for(dispute.raised_by)
    typed = "b" * 10_050
    response = client.post(
        f"/disputes/{dispute.reference}/record/",
        {"kind": "discussion", "occurred_on_0": "1", "occurred_on_1": "3", "occurred_on_2": "2026", "text": typed},
    )
    page = page_text(response)
    assert response.status_code == 200
    assert "What happened must be 10,000 characters or fewer" in page
    assert typed in page
    assert not RecordEntry.objects.filter(dispute=dispute, text__startswith="bbb").exists()


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [
        (Subject, "address", limits.ADDRESS),
        (Dispute, "description", limits.LONG_TEXT),
        (RecordEntry, "text", limits.LONG_TEXT),
        (StageVisit, "reason", limits.STAGE_REASON),
    ],
)
def test_the_database_refuses_long_text_whatever_path_writes_it(dispute, model, field, limit):
    rows = {Subject: dispute.subject, Dispute: dispute, StageVisit: dispute.stage_visits.first()}
    row = rows.get(model) or model.objects.filter(dispute=dispute).first()
    if row is None:
        pytest.skip(f"no {model.__name__} row in the fixture")
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: "z" * (limit + 1)})


def test_a_partnerships_urgent_contacts_have_a_limit(db):
    assert Partnership._meta.get_field("urgent_contacts").max_length == limits.URGENT_CONTACTS
