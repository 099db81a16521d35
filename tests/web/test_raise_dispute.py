"""Raising a dispute: one question a page, immediate harm first, check your answers, nothing lost."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from agencies.models import Membership, Role
from escalation.audit.models import AuditEvent
from escalation.disputes import drafts, services
from escalation.disputes.models import Dispute
from escalation.disputes.permissions import ActionRefused
from escalation.notifications.models import Notification
from escalation.web.forms import nhs_number_is_valid, parse_time
from tests.conftest import build_world
from tests.factories import name_in_html
from tests.web.conftest import page_text

START = reverse("raise-start")
CHECK = reverse("raise-check")


def draft_of(user) -> dict:
    """The answers kept for `user` (escalation.disputes.drafts): with the person, not the session."""
    return drafts.draft_for(user, now=timezone.now())


def step_url(step: str, change: bool = False) -> str:
    url = reverse("raise-step", args=[step])
    return f"{url}?change=1" if change else url


def answer(client, step, data, change=False) -> str:
    response = client.post(step_url(step, change), data)
    assert response.status_code == 302, page_text(response)
    return response["Location"]


def walk_to_check(client, world, *, harm="no", start_stage=None, kind="child", worker=0, outset=None):
    """Answers every question for `world`'s teacher, returning where the last answer leads."""
    assert answer(client, "immediate-harm", {"immediate_harm": harm}) == step_url(
        "urgent"
        if harm == "yes"
        else ("subject-kind" if len(world.partnership.policy.current_version.subjects) > 1 else "subject")
    )
    if harm == "yes":
        answer(client, "urgent", {"start_stage": start_stage})
    if len(world.partnership.policy.current_version.subjects) > 1:
        assert answer(client, "subject-kind", {"kind": kind}) == step_url("subject")
    subject = {
        "name": "Child A",
        "date_of_birth_0": "1",
        "date_of_birth_1": "3",
        "date_of_birth_2": "2015",
        "address": "1 High Street",
        "nhs_number": "943 476 5919",
        "other_identifiers": "",
    }
    if kind == "child":
        subject["circumstances"] = ["looked_after"]
    assert answer(client, "subject", subject) == step_url("other-agency")
    assert answer(client, "other-agency", {"other_agency": world.social_care.pk}) == step_url("decision-maker")
    assert answer(client, "decision-maker", {"other_worker": worker}) == step_url("category")
    assert answer(client, "category", {"category": "need_for_action"}) == step_url("disagreement")
    assert answer(client, "disagreement", {"description": "They closed the referral."}) == step_url("tried")
    assert answer(client, "tried", {"attempts_so_far": "Rang the duty worker."}) == step_url("outset")
    return answer(client, "outset", outset or {})


def test_the_whole_journey_raises_the_dispute_with_every_answer(bcssp, client_for):
    client = client_for(bcssp.teacher)
    assert client.get(START).status_code == 200
    assert walk_to_check(client, bcssp, worker=bcssp.social_worker.pk) == CHECK
    check = page_text(client.get(CHECK))
    for shown in ("Child A", "1 March 2015", "943 476 5919", "The need for action", "They closed the referral."):
        assert shown in check
    response = client.post(CHECK)
    dispute = Dispute.objects.get()
    assert response["Location"] == reverse("dispute", args=[dispute.reference])
    assert dispute.raised_by == bcssp.teacher
    assert dispute.raising_agency == bcssp.school and dispute.other_agency == bcssp.social_care
    assert dispute.current_stage == 1 and not dispute.immediate_harm
    assert dispute.category == "need_for_action"
    assert dispute.attempts_so_far == "Rang the duty worker."
    subject = dispute.subject
    assert (subject.kind, subject.name, subject.nhs_number) == ("child", "Child A", "9434765919")
    assert subject.date_of_birth.isoformat() == "2015-03-01"
    assert subject.looked_after and not subject.child_protection_plan
    assert Notification.objects.filter(dispute=dispute, recipient=bcssp.social_worker).exists()
    assert AuditEvent.objects.filter(action="dispute.raised", dispute_reference=dispute.reference).exists()
    assert client.get(CHECK)["Location"] == step_url("immediate-harm"), "the answers are cleared once sent"


def test_immediate_harm_is_asked_before_anything_else(bcssp, client_for):
    client = client_for(bcssp.teacher)
    for later in ("subject", "other-agency", "category", "tried"):
        response = client.get(step_url(later))
        assert response["Location"] == step_url("immediate-harm")
    assert client.get(CHECK)["Location"] == step_url("immediate-harm")


def test_immediate_harm_shows_urgent_contacts_first_and_allows_a_higher_start(tscp, client_for):
    tscp.partnership.urgent_contacts = "Call 999. MASH: 01803 000 000."
    tscp.partnership.save()
    version = tscp.partnership.policy.current_version
    version.urgent_contacts = "Out of hours: Emergency Duty Team 01454 615 165."
    version.save(update_fields=["urgent_contacts"])
    client = client_for(tscp.teacher)
    assert answer(client, "immediate-harm", {"immediate_harm": "yes"}) == step_url("urgent")
    html = page_text(client.get(step_url("urgent")))
    contacts = html.index("MASH: 01803 000 000")
    # The policy has no deadline in calendar hours, so nothing speaks of a 24-hour route.
    assert contacts < html.index("Emergency Duty Team 01454 615 165") < html.index("The urgent route")
    assert contacts < html.index("The urgent route") < html.index('name="start_stage"')
    assert "must be taken straight away" in html and "24 hours" not in html and "24-hour" not in html
    assert tscp.partnership.policy.current_version.immediate_harm_guidance[:40] in html
    # "discretion should be used as to which stage is initiated" (torbay:24): any stage of the dispute, the
    # Chair's stage 5 included, but not stage 0, which comes before a dispute exists.
    assert 'value="1"' in html and 'value="5"' in html and 'value="0"' not in html
    assert walk_to_check(client, tscp, harm="yes", start_stage=3) == CHECK
    client.post(CHECK)
    dispute = Dispute.objects.get()
    assert dispute.immediate_harm
    assert dispute.current_stage == 3


@pytest.mark.parametrize(
    ("slug", "stage"),
    [
        ("tscp", 0),  # Torbay's stage 0 is consulting your own supervisor, before there is a dispute
        ("tscp", 6),  # no such stage
        ("chscp", 2),  # City & Hackney gives no discretion: immediate harm still starts at stage 1
    ],
)
def test_a_start_stage_the_policy_does_not_allow_is_refused(world_for, client_for, slug, stage):
    world = world_for(slug, slug.upper())
    client = client_for(world.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "yes"})
    response = client.post(step_url("urgent"), {"start_stage": stage})
    assert response.status_code == 200
    assert "govuk-error-summary" in page_text(response)
    assert "start_stage" not in draft_of(world.teacher)


def test_a_policy_that_gives_no_discretion_does_not_speak_of_a_higher_start(world_for, client_for):
    """City & Hackney starts every dispute at stage 1, immediate harm or not: the urgent page must not say otherwise."""
    for slug, higher in (("chscp", False), ("tscp", True)):
        world = world_for(slug, slug.upper())
        client = client_for(world.teacher)
        answer(client, "immediate-harm", {"immediate_harm": "yes"})
        html = page_text(client.get(step_url("urgent")))
        assert "must be taken straight away" in html
        assert ("You can start the dispute at a higher stage" in html) is higher, slug


def test_answering_no_harm_skips_the_urgent_page_and_forgets_a_chosen_stage(tscp, client_for):
    client = client_for(tscp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "yes"})
    answer(client, "urgent", {"start_stage": 3})
    assert answer(client, "immediate-harm", {"immediate_harm": "no"}) == step_url("subject")
    assert client.get(step_url("urgent"))["Location"] == step_url("subject")
    assert "start_stage" not in draft_of(tscp.teacher)


def test_an_error_shows_the_message_and_keeps_everything_typed(bcssp, client_for):
    client = client_for(bcssp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    answer(client, "subject-kind", {"kind": "child"})
    response = client.post(
        step_url("subject"),
        {
            "name": "Typed Name",
            "date_of_birth_0": "31",
            "date_of_birth_1": "2",
            "date_of_birth_2": "2015",
            "address": "Typed address",
            "nhs_number": "123",
        },
    )
    html = page_text(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in html
    assert "Date of birth must be a real date" in html
    assert "NHS number must be 10 digits" in html
    assert 'value="Typed Name"' in html and "Typed address" in html and 'value="31"' in html
    assert "<title>Error: " in html


def test_a_date_of_birth_in_the_future_and_a_bad_nhs_number_are_refused(bcssp, client_for):
    client = client_for(bcssp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    answer(client, "subject-kind", {"kind": "adult"})
    html = page_text(
        client.post(
            step_url("subject"),
            {
                "name": "A",
                "date_of_birth_0": "1",
                "date_of_birth_1": "1",
                "date_of_birth_2": "2999",
                "nhs_number": "943 476 5918",
            },
        )
    )
    assert "Date of birth must be today or in the past" in html
    assert "Enter a valid NHS number" in html
    assert "Which of these apply to the child?" not in html, "an adult has no child protection plan question"


def test_the_other_agency_is_never_ones_own_nor_the_partnership_office(bcssp, client_for):
    client = client_for(bcssp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    answer(client, "subject-kind", {"kind": "child"})
    answer(client, "subject", {"name": "Child A"})
    html = page_text(client.get(step_url("other-agency")))
    assert escape(bcssp.social_care.name) in html and escape(bcssp.bystander.name) in html
    assert escape(bcssp.office.name) not in html
    assert f'value="{bcssp.school.pk}"' not in html
    for refused in (bcssp.school.pk, bcssp.office.pk):
        response = client.post(step_url("other-agency"), {"other_agency": refused})
        assert response.status_code == 200
        assert "govuk-error-summary" in page_text(response)


def test_the_decision_maker_is_chosen_from_the_other_agency_or_left_unknown(bcssp, client_for):
    client = client_for(bcssp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    answer(client, "subject-kind", {"kind": "child"})
    answer(client, "subject", {"name": "Child A"})
    answer(client, "other-agency", {"other_agency": bcssp.social_care.pk})
    html = page_text(client.get(step_url("decision-maker")))
    assert name_in_html(bcssp.social_worker) in html
    assert name_in_html(bcssp.head) not in html
    response = client.post(step_url("decision-maker"), {"other_worker": bcssp.head.pk})
    assert response.status_code == 200, "someone outside the other agency is not a choice"


def test_only_the_policys_categories_are_offered(tscp, client_for):
    client = client_for(tscp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    answer(client, "subject", {"name": "Child A"})
    answer(client, "other-agency", {"other_agency": tscp.social_care.pk})
    answer(client, "decision-maker", {"other_worker": 0})
    html = page_text(client.get(step_url("category")))
    assert 'value="communication"' not in html, "TSCP's policy has no 'communication' category"
    assert client.post(step_url("category"), {"category": "communication"}).status_code == 200


def test_a_policy_for_children_only_does_not_ask_who_the_dispute_is_about(tscp, client_for):
    client = client_for(tscp.teacher)
    assert answer(client, "immediate-harm", {"immediate_harm": "no"}) == step_url("subject")
    assert client.get(step_url("subject-kind"))["Location"] == step_url("subject")


def test_someone_in_two_agencies_of_one_partnership_says_which_after_the_harm_question(bcssp, client_for):
    Membership.objects.create(user=bcssp.teacher, agency=bcssp.bystander, role=Role.PRACTITIONER)
    client = client_for(bcssp.teacher)
    assert client.get(step_url("agency"))["Location"] == step_url("immediate-harm")
    assert answer(client, "immediate-harm", {"immediate_harm": "no"}) == step_url("agency")
    html = page_text(client.get(step_url("agency")))
    assert bcssp.school.name in html and bcssp.bystander.name in html
    answer(client, "agency", {"agency": bcssp.bystander.pk})
    answer(client, "subject-kind", {"kind": "adult"})
    answer(client, "subject", {"name": "Adult B"})
    other = page_text(client.get(step_url("other-agency")))
    assert f'value="{bcssp.bystander.pk}"' not in other and f'value="{bcssp.school.pk}"' in other


def test_someone_in_two_partnerships_says_which_agency_first(bcssp, client_for):
    away = build_world("tscp", "AWAY")
    Membership.objects.create(user=bcssp.teacher, agency=away.school, role=Role.PRACTITIONER)
    client = client_for(bcssp.teacher)
    assert client.get(step_url("immediate-harm"))["Location"] == step_url("agency")
    assert answer(client, "agency", {"agency": away.school.pk}) == step_url("immediate-harm")


def test_people_with_no_agency_to_raise_for_are_told_so(bcssp, client_for):
    for person in (bcssp.business_manager, bcssp.admin):
        client = client_for(person)
        for url in (START, step_url("immediate-harm"), CHECK):
            response = client.get(url)
            assert response.status_code == 403
            assert "You cannot raise a dispute" in page_text(response)


def test_change_links_come_back_to_the_check_page(bcssp, client_for):
    client = client_for(bcssp.teacher)
    walk_to_check(client, bcssp)
    html = page_text(client.get(CHECK))
    assert step_url("category", change=True) in html
    assert answer(client, "category", {"category": "communication"}, change=True) == CHECK
    assert "Communication" in page_text(client.get(CHECK))


def test_changing_to_immediate_harm_from_the_check_page_asks_for_the_start_stage(bcssp, client_for):
    client = client_for(bcssp.teacher)
    walk_to_check(client, bcssp)
    assert answer(client, "immediate-harm", {"immediate_harm": "yes"}, change=True) == step_url("urgent", True)
    assert answer(client, "urgent", {"start_stage": 2}, change=True) == CHECK


def test_a_refusal_from_the_service_is_shown_and_the_answers_are_kept(bcssp, client_for, monkeypatch):
    client = client_for(bcssp.teacher)
    walk_to_check(client, bcssp)

    def refuse(**kwargs):
        raise ActionRefused("Bath has no escalation policy loaded yet.")

    monkeypatch.setattr(services, "raise_dispute", refuse)
    response = client.post(CHECK)
    assert response.status_code == 200
    html = page_text(response)
    assert "govuk-error-summary" in html and "Bath has no escalation policy loaded yet." in html
    assert "Child A" in html, "the answers are still there"
    assert not Dispute.objects.exists()
    assert draft_of(bcssp.teacher)["description"] == "They closed the referral."


def test_raising_needs_the_csrf_token(bcssp, client_for):
    client = client_for(bcssp.teacher, enforce_csrf_checks=True)
    assert client.post(step_url("immediate-harm"), {"immediate_harm": "no"}).status_code == 403
    assert client.post(CHECK).status_code == 403
    assert not Dispute.objects.exists()


def test_start_offers_to_continue_or_start_again(bcssp, client_for):
    client = client_for(bcssp.teacher)
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    html = page_text(client.get(START))
    assert "Continue where you left off" in html and step_url("subject-kind") in html
    assert client.post(START)["Location"] == step_url("immediate-harm")
    assert draft_of(bcssp.teacher) == {}


def test_unknown_questions_are_not_found(bcssp, client_for):
    assert client_for(bcssp.teacher).get(step_url("favourite-colour")).status_code == 404


def test_signed_out_people_are_sent_to_sign_in(db):
    response = Client().get(START)
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "digits, valid", [("9434765919", True), ("9434765918", False), ("4857773456", False), ("4010232137", True)]
)
def test_nhs_number_check_digit(digits, valid):
    assert nhs_number_is_valid(digits) is valid


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5pm", (17, 0)),
        ("5:30pm", (17, 30)),
        ("17:00", (17, 0)),
        ("9.15am", (9, 15)),
        ("12am", (0, 0)),
        ("midday", (12, 0)),
        ("25pm", None),
        ("17", None),
        ("13pm", None),
        ("soon", None),
    ],
)
def test_times_are_read_as_people_write_them(text, expected):
    result = parse_time(text)
    assert (None if result is None else (result.hour, result.minute)) == expected
