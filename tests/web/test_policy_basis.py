"""Where each part of a policy comes from, shown wherever the policy is: its page, its export, its preview and
the written record. Only the policy's own words are shown as a quotation; a reading or the partnership's own
choice is labelled as such and its note is never put in quotation marks."""

import datetime
import html
import re
from types import SimpleNamespace

import pytest
import yaml
from django.urls import reverse

from escalation.disputes import services
from escalation.records.render import render_pdf
from policies.basis import basis_words, due_basis, recipient_words, stage_basis_line
from policies.schema import parse_policy
from policies.services import export_policy, load_policy
from tests.auth_helpers import login
from tests.conftest import build_world, london
from tests.escalation.records.test_records import pdf_text
from tests.policies.basis_policy import (
    BREACH_READING,
    FORM_DEFAULT,
    FORM_QUOTE,
    LENGTH_DEFAULT,
    LENGTH_QUOTE,
    NOTES,
    NOTICE_NOTE,
    NOTICE_QUOTE,
    NOTICE_READING,
    REMIND_DEFAULT,
    SLUG,
    STAGE_ADDITION,
    STAGE_QUOTE,
    STAGE_READING,
    basis_spec,
    load_basis_policy,
)

QUOTES = [(STAGE_QUOTE, "line 12"), (LENGTH_QUOTE, "line 20"), (NOTICE_QUOTE, "section 4"), (FORM_QUOTE, "appendix 2")]
QUOTATION_MARKS = "\"'“”‘’«»"


@pytest.fixture
def world(db):
    load_basis_policy()
    return build_world(SLUG, "BASIS")


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def text_of(page: str) -> str:
    """The page's text with tags and runs of white space removed, for reading sentences across markup."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def quotations(page: str) -> list[str]:
    """The text of every quotation on the page."""
    return [text_of(found) for found in re.findall(r"<blockquote\b.*?</blockquote>", page, flags=re.S)]


def assert_shown_as_the_partnerships(note: str, page: str) -> None:
    """The note is on the page, never inside a quotation and never between quotation marks."""
    text = text_of(page)
    assert note in text, f"{note!r} is not shown"
    assert not any(note in quotation for quotation in quotations(page)), f"{note!r} is shown as a quotation"
    for found in re.finditer(re.escape(note), text):
        before = text[found.start() - 1 : found.start()].strip()
        after = text[found.end() : found.end() + 1].strip()
        assert before not in QUOTATION_MARKS or not before, f"{note!r} follows a quotation mark"
        assert after not in QUOTATION_MARKS or not after, f"{note!r} is followed by a quotation mark"


def section(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


# The words ------------------------------------------------------------------------------------------------------


def test_only_a_basis_in_the_policy_has_quoted_words():
    policy = basis_words({"kind": "policy", "quote": "Within 2 working days", "where": "line 66", "note": ""})
    assert policy.line == "Policy, line 66: “Within 2 working days”"
    assert basis_words({"kind": "reading", "note": "A fair reading"}).line == "Our reading: A fair reading"
    default = basis_words({"kind": "partnership_default", "note": "Silent"})
    assert (default.line, default.tag) == ("Partnership's own choice: Silent", "Partnership's choice")
    assert basis_words(None).line == basis_words({"kind": "guessed"}).line == "Basis not recorded"
    noted = basis_words({"kind": "policy", "quote": "Notify the CP chair", "where": "line 9", "note": "Or the IRO"})
    assert noted.line == "Policy, line 9: “Notify the CP chair”. Our note: Or the IRO"


def test_a_default_length_rests_on_the_partnership_whatever_the_file_says():
    quoted = {"kind": "policy", "quote": "Timescales are agreed locally", "where": "line 9", "note": ""}
    rule = SimpleNamespace(kind="working_days", partnership_default=True, length_basis=quoted, basis=quoted)
    assert due_basis(rule)["kind"] == "partnership_default"
    stated = SimpleNamespace(kind="working_days", partnership_default=False, length_basis=None, basis=quoted)
    assert due_basis(stated) == quoted, "a length with no basis of its own rests on its rule's"


def test_recipients_are_named_by_their_part_in_the_dispute():
    assert recipient_words({"kind": "raiser"}) == "the worker who raised it"
    assert recipient_words({"kind": "stage_actors", "sides": "other"}) == "the current stage's actors on the other side"
    assert (
        recipient_words({"kind": "role", "role": "senior_manager", "sides": "both"}) == "senior manager on both sides"
    )
    assert recipient_words({"kind": "role", "role": "business_manager", "sides": "both"}) == (
        "the partnership business manager"
    )
    either = {"kind": "any_of", "of": [{"kind": "office", "office": "cp_chair"}, {"kind": "office", "office": "iro"}]}
    assert recipient_words(either) == (
        "the child protection chair or the independent reviewing officer (either is enough)"
    )


def test_a_stage_in_the_record_says_briefly_where_it_comes_from():
    assert stage_basis_line({"kind": "policy", "quote": "Talk first", "where": "line 66"}) == (
        "Stage named by the policy (line 66)"
    )
    assert stage_basis_line({"kind": "partnership_default", "note": "A panel"}) == (
        "Partnership's addition, not a stage of the policy: A panel"
    )
    assert stage_basis_line(None) == "Basis of this stage not recorded"


# The policy page ------------------------------------------------------------------------------------------------


def test_the_policy_page_quotes_the_policy_and_never_a_reading_or_a_default(client, world):
    login(client, world.teacher)
    page = page_of(client, reverse("policy", args=[SLUG]))
    shown = quotations(page)
    for quote, where in QUOTES:
        assert any(f"“{quote}”" in found and f"Policy, {where}" in found for found in shown), quote
    for note in NOTES:
        assert_shown_as_the_partnerships(note, page)
    text = text_of(page)
    assert f"Reading Our reading: {STAGE_READING}" in text
    assert f"Partnership's choice Partnership's own choice: {STAGE_ADDITION}" in text
    assert 'govuk-tag govuk-tag--grey">Reading<' in re.sub(r"\s+", " ", page)
    # Every stage shows its basis; one the file gives none says so.
    ladder = section(text, "Stage 1: Worker to worker", "The final stage")
    assert ladder.count("Basis ") >= 4
    assert "Basis not recorded" in section(ladder, "Stage 4: Independent decision", "Final and binding")


def test_every_deadline_length_recipient_and_form_shows_its_basis(client, world):
    login(client, world.teacher)
    page = page_of(client, reverse("policy", args=[SLUG]))
    text = text_of(page)
    deadlines = section(text, "Deadlines of this policy", "Who is told")
    # The length: the policy's words for stage 1, the partnership's default for stage 2, none for a manual one.
    assert f"2 working days “{LENGTH_QUOTE}” Policy, line 20" in deadlines
    assert f"(this policy gives no timescale) Partnership's choice Partnership's own choice: {LENGTH_DEFAULT}" in (
        deadlines
    )
    assert "Set by hand by the partnership chair Basis not recorded" in deadlines
    # Whom to remind and to tell on a breach, each with its own basis.
    assert f"The worker who raised it Partnership's choice Partnership's own choice: {REMIND_DEFAULT}" in deadlines
    assert f"Senior manager on both sides Reading Our reading: {BREACH_READING}" in deadlines

    told = section(text, "Notifications this policy asks for", "Forms this policy requires")
    assert f"“{NOTICE_QUOTE}” Policy, section 4 Our note: {NOTICE_NOTE}" in told
    assert (
        "The child protection chair or the independent reviewing officer (either is enough) Basis: as for this notice"
        in told
    )
    assert f"The current stage's actors on the other side Reading Our reading: {NOTICE_READING}" in told
    assert "The partnership business manager Basis not recorded" in told, "a notice with no basis at all"

    forms = section(text, "Forms this policy requires", "Every dispute's written record")
    assert f"“{FORM_QUOTE}” Policy, appendix 2 When stage 2 is reached or passed" in forms
    assert "The partnership business manager Basis: as for this form" in forms
    assert f"The worker who raised it Partnership's choice Partnership's own choice: {FORM_DEFAULT}" in forms
    assert "Recorded only by the independent chair, commissioner or panel convenor" in text


def test_the_export_keeps_every_basis(world):
    version = world.partnership.policy.current_version
    exported = export_policy(version)
    document = yaml.safe_load(exported)
    assert document["stages"][1]["basis"] == {"kind": "reading", "quote": "", "where": "", "note": STAGE_READING}
    assert document["deadline_rules"][0]["remind"][0]["basis"]["note"] == REMIND_DEFAULT
    assert document["deadline_rules"][1]["length_basis"]["note"] == LENGTH_DEFAULT
    assert document["form_requirements"][0]["basis"]["quote"] == FORM_QUOTE
    again = parse_policy(exported, source="exported.yaml")
    assert again.model_dump() == basis_spec().model_dump()
    reloaded, created = load_policy(again, source_file="exported.yaml")
    assert (reloaded, created) == (version, False), "the export loads back to the same version"


# The preview ----------------------------------------------------------------------------------------------------


def test_the_preview_marks_each_due_dates_basis(client, world):
    login(client, world.teacher)
    query = "raised_on_0=2&raised_on_1=3&raised_on_2=2026"
    page = page_of(client, f"{reverse('policy-preview', args=[SLUG])}?{query}")
    text = text_of(page)
    rows = section(text, "When each deadline would fall", "Back to the policy")
    stage_1 = section(rows, "Stage 1 within 2 working days", "Stage 2 in the partnership")
    assert f"“{LENGTH_QUOTE}” Policy, line 20" in stage_1
    stage_2 = section(rows, "Stage 2 in the partnership's usual time", "Stage 4 as the chair sets")
    assert f"Partnership's choice Partnership's own choice: {LENGTH_DEFAULT}" in stage_2
    assert "Basis not recorded" in rows.split("Stage 4 as the chair sets", 1)[1]
    assert any(LENGTH_QUOTE in found for found in quotations(page))
    assert_shown_as_the_partnerships(LENGTH_DEFAULT, page)


# The written record ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["general", "appendix_2", "record_of_escalation"])
def test_the_record_says_where_each_stage_comes_from(world, form):
    now = london(2026, 3, 2, 10, 0)
    dispute = world.raise_dispute(now=now)
    for stage in (2, 3, 4):
        now += datetime.timedelta(days=1)
        services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="Not resolved.", now=now)
        dispute.refresh_from_db()
        assert dispute.current_stage == stage
    text = pdf_text(render_pdf(dispute, form=form, now=now + datetime.timedelta(hours=1)))
    assert "Stage named by the policy (line 12)" in text
    assert f"Stage from the partnership's reading of the policy: {STAGE_READING}" in text
    assert f"Partnership's addition, not a stage of the policy: {STAGE_ADDITION}" in text
    assert "Basis of this stage not recorded" in text
    for note in (STAGE_READING, STAGE_ADDITION):
        assert f"“{note}" not in text and f'"{note}' not in text
    assert STAGE_QUOTE not in text, "the record names where a stage comes from, briefly"
