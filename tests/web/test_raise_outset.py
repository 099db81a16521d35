"""Raising a dispute: when the concern was first considered (policy-audit.md section 9, item 6). Optional; not
after today; a mistake is shown with what was typed; on the check page with a Change link; stored on the dispute."""

import datetime

from django.utils import timezone

from escalation.disputes.models import Dispute
from tests.web.conftest import page_text
from tests.web.test_raise_dispute import CHECK, answer, draft_of, step_url, walk_to_check


def parts(day: datetime.date | None = None, **typed) -> dict:
    if day is not None:
        typed = {"0": str(day.day), "1": str(day.month), "2": str(day.year)}
    return {f"concern_outset_{part}": value for part, value in typed.items()}


def test_audit_9_6_the_raiser_gives_the_day_the_concern_was_first_considered(bcssp, client_for):
    client = client_for(bcssp.teacher)
    outset = timezone.localdate() - datetime.timedelta(days=3)
    assert walk_to_check(client, bcssp, outset=parts(outset)) == CHECK
    check = page_text(client.get(CHECK))
    assert "Concern first considered" in check
    assert f"{outset.day} {outset:%B %Y}" in check
    assert step_url("outset", change=True) in check
    client.post(CHECK)
    assert Dispute.objects.get().concern_outset == outset


def test_the_question_is_asked_after_what_has_been_tried_and_may_be_left_blank(bcssp, client_for):
    client = client_for(bcssp.teacher)
    walk_to_check(client, bcssp)
    assert draft_of(bcssp.teacher)["concern_outset"] is None
    assert "Not given: the day the dispute is raised is used" in page_text(client.get(CHECK))
    client.post(CHECK)
    assert Dispute.objects.get().concern_outset is None


def test_a_day_in_the_future_or_not_a_date_is_refused_and_what_was_typed_is_kept(bcssp, client_for):
    client = client_for(bcssp.teacher)
    walk_to_check(client, bcssp)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client.post(step_url("outset"), parts(tomorrow))
    html = page_text(response)
    assert response.status_code == 200 and "govuk-error-summary" in html
    assert "Date the concern was first considered must be today or in the past" in html
    assert f'value="{tomorrow.year}"' in html, "what was typed is kept"
    html = page_text(client.post(step_url("outset"), parts(**{"0": "31", "1": "2", "2": "2026"})))
    assert "Date the concern was first considered must be a real date" in html and 'value="31"' in html
    html = page_text(client.post(step_url("outset"), parts(**{"0": "3", "1": "", "2": "2026"})))
    assert "Date the concern was first considered must include a month" in html


def test_the_change_link_comes_back_to_the_check_page(bcssp, client_for):
    client = client_for(bcssp.teacher)
    walk_to_check(client, bcssp)
    page = page_text(client.get(step_url("outset", change=True)))
    assert "When was the concern first considered?" in page
    assert 'class="govuk-fieldset__heading"' in page
    day = timezone.localdate() - datetime.timedelta(days=1)
    assert answer(client, "outset", parts(day), change=True) == CHECK
    assert draft_of(bcssp.teacher)["concern_outset"] == day.isoformat()
