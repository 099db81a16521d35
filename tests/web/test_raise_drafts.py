"""Issue 15, finding 3: a dispute being raised survives a sign-out or an idle timeout, for its owner only,
for 24 hours, and goes once the dispute is sent."""

import datetime

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalation.disputes import drafts
from escalation.disputes.models import Dispute
from tests.web.conftest import page_text
from tests.web.test_raise_dispute import CHECK, START, answer, step_url, walk_to_check

SUBJECT = {
    "name": "Child A",
    "date_of_birth_0": "1",
    "date_of_birth_1": "3",
    "date_of_birth_2": "2015",
    "address": "1 High Street",
    "nhs_number": "943 476 5919",
    "other_identifiers": "",
    "circumstances": ["looked_after"],
}


def start_raising(client, world) -> None:
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    if len(world.partnership.policy.current_version.subjects) > 1:
        answer(client, "subject-kind", {"kind": "child"})
    answer(client, "subject", SUBJECT)
    answer(client, "other-agency", {"other_agency": world.social_care.pk})


def test_answers_survive_signing_out_and_in_again_and_the_journey_resumes_where_it_stopped(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)
    client.post(reverse("logout"))
    again = client_for(bcssp.teacher)
    start = page_text(again.get(START))
    assert "Continue where you left off" in start
    assert step_url("decision-maker") in start
    assert again.get(step_url("category"))["Location"] == step_url("decision-maker")
    assert "Child A" in page_text(again.get(step_url("subject")))


def test_an_idle_timeout_keeps_the_answers(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)
    client.session.flush()  # the server ends the session, as SESSION_COOKIE_AGE does
    response = client.post(step_url("decision-maker"), {"other_worker": 0})
    assert response["Location"].startswith(reverse("login"))
    again = client_for(bcssp.teacher)
    assert again.get(START).status_code == 200
    assert "Continue where you left off" in page_text(again.get(START))


def test_a_draft_is_never_shown_to_anyone_else(bcssp, client_for):
    start_raising(client_for(bcssp.teacher), bcssp)
    colleague = client_for(bcssp.head)
    page = page_text(colleague.get(START))
    assert "Continue where you left off" not in page
    assert "Child A" not in page_text(colleague.get(step_url("subject")))


def test_sending_the_dispute_deletes_the_draft(bcssp, client_for):
    client = client_for(bcssp.teacher)
    assert walk_to_check(client, bcssp) == CHECK
    assert drafts.RaiseDraft.objects.filter(owner=bcssp.teacher).exists()
    client.post(CHECK)
    assert Dispute.objects.exists()
    assert not drafts.RaiseDraft.objects.filter(owner=bcssp.teacher).exists()


def test_start_again_deletes_the_draft(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)
    client.post(START)
    assert not drafts.RaiseDraft.objects.exists()


def test_a_draft_older_than_a_day_is_not_offered_and_the_hourly_cleanup_deletes_it(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)
    old = timezone.now() - drafts.DRAFT_KEPT - datetime.timedelta(minutes=1)
    drafts.RaiseDraft.objects.update(updated_at=old)
    assert "Continue where you left off" not in page_text(client.get(START))
    fresh_owner = bcssp.social_worker
    drafts.save_draft(fresh_owner, {"immediate_harm": False}, now=timezone.now())
    assert drafts.clear_stale_drafts(now=timezone.now()) == 1
    assert list(drafts.RaiseDraft.objects.values_list("owner", flat=True)) == [fresh_owner.pk]


def test_the_periodic_session_cleanup_also_clears_stale_drafts(bcssp):
    from escalation import tasks

    drafts.save_draft(bcssp.teacher, {"immediate_harm": False}, now=timezone.now() - datetime.timedelta(days=2))
    tasks.clear_sessions()
    assert not drafts.RaiseDraft.objects.exists()


def test_the_start_page_says_how_long_answers_are_kept_and_for_whom(bcssp, client_for):
    page = page_text(client_for(bcssp.teacher).get(START))
    assert "kept for 24 hours" in page
    assert "even if you sign out" in page
    assert "Only you can see them" in page


def test_a_signed_out_person_has_no_draft_access(bcssp):
    assert Client().get(step_url("subject"))["Location"].startswith(reverse("login"))
