"""'What happens next' at the top of a dispute, and the same words in the home page's "needs you" list (issue 15:
findings 1, 2 and 6)."""

import time_machine
from django.urls import reverse

from escalation.disputes import services
from tests.conftest import london
from tests.factories import name_in_html
from tests.web.conftest import page_text

HOME = reverse("home")
RAISED = london(2026, 3, 2, 10, 0)  # a Monday


def url(dispute) -> str:
    return reverse("dispute", args=[dispute.reference])


def panel(html: str) -> str:
    assert 'id="what-happens-next"' in html, "the dispute page has no 'What happens next' panel"
    return html.split('id="what-happens-next"')[1].split("</section>")[0]


def needs_you(html: str) -> str:
    assert 'id="needs-you"' in html, "the home page has no 'needs you' list"
    return html.split('id="needs-you"')[1].split("</table>")[0]


def name(user) -> str:
    return name_in_html(user)


def test_the_panel_comes_before_everything_else_the_page_shows(bcssp, client_for):
    dispute = bcssp.raise_dispute(now=RAISED)
    with time_machine.travel(london(2026, 3, 3, 9, 0), tick=False):
        html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert html.index('id="what-happens-next"') < html.index('id="disagreement"')
    assert html.index('id="what-happens-next"') < html.index('id="deadlines"')
    words = panel(html)
    assert "Stage 1: Worker to worker" in words
    assert "Raised with BCSSP Children&#x27;s Services, which has not responded yet." in words


def test_whose_move_names_the_person_and_agency_on_each_side(bcssp, client_for):
    dispute = bcssp.raise_dispute(now=RAISED)
    words = panel(page_text(client_for(bcssp.head).get(url(dispute))))
    assert f"Practitioner at BCSSP Primary School ({name(bcssp.teacher)}), to act at this stage" in words
    assert f"Practitioner at BCSSP Children&#x27;s Services ({name(bcssp.social_worker)}), to act at this stage" in (
        words
    )


def test_after_an_approved_escalation_the_other_agencys_manager_is_waited_on_and_told_so(bcssp, client_for):
    """Finding 1: the other agency's stage-2 manager must find the dispute as theirs, on the page and at home."""
    dispute = bcssp.raise_dispute(now=RAISED)
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=RAISED)
    services.approve_escalation(dispute=dispute, approver=bcssp.head, now=london(2026, 3, 2, 11, 0))
    client = client_for(bcssp.team_manager)
    with time_machine.travel(london(2026, 3, 3, 9, 0), tick=False):
        page = panel(page_text(client.get(url(dispute))))
        home = page_text(client.get(HOME))
    assert "Stage 2: Manager to manager" in page
    assert "Yours: you hold a role that is waited on." in page
    assert f"Manager at BCSSP Children&#x27;s Services ({name(bcssp.team_manager)})" in page
    assert "Add a record" in page.split('id="next-actions"')[1]
    assert "Nothing needs you right now" not in home
    listed = needs_you(home)
    assert dispute.reference in listed
    assert "Stage 2: Manager to manager" in listed


def test_the_next_deadline_is_said_in_working_days(bcssp, client_for):
    """Finding 6: a working-day deadline reads in working days, never '32 hours left' or 'overdue by 16 hours'."""
    dispute = bcssp.raise_dispute(now=RAISED)
    with time_machine.travel(london(2026, 3, 3, 9, 0), tick=False):
        words = panel(page_text(client_for(bcssp.teacher).get(url(dispute))))
    assert "1 working day left" in words
    assert "due 5pm on Wednesday 4 March 2026" in words
    with time_machine.travel(london(2026, 3, 5, 9, 0), tick=False):
        html = page_text(client_for(bcssp.teacher).get(url(dispute)))
    assert "Overdue by 1 working day" in panel(html)
    assert "hours" not in html.split('id="deadlines"')[1].split("</table>")[0]


def test_a_missed_immediate_harm_clock_shows_at_the_top_in_hours(bcssp, client_for):
    """Finding 2: a missed 24-hour immediate-harm deadline is said at the top of the page."""
    dispute = bcssp.raise_dispute(now=RAISED, immediate_harm=True)
    with time_machine.travel(london(2026, 3, 3, 16, 0), tick=False):
        words = panel(page_text(client_for(bcssp.head).get(url(dispute))))
    harm = words.split('id="next-harm"')[1].split("</dd>")[0]
    assert "Risk of immediate harm" in harm
    assert "Reported 2 March 2026 at 10am." in harm
    assert "Overdue by 6 hours" in harm
    assert "due 10am on Tuesday 3 March 2026" in harm
    assert "app-next-steps--overdue" in page_text(client_for(bcssp.head).get(url(dispute)))


def test_the_panel_offers_the_approver_the_decision_first(bcssp, client_for):
    dispute = bcssp.raise_dispute(now=RAISED)
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=RAISED)
    words = panel(page_text(client_for(bcssp.head).get(url(dispute))))
    actions = words.split('id="next-actions"')[1]
    assert actions.index("Approve or decline the escalation") < actions.index("Add a record")
    assert actions.count('role="button"') == 2
    assert "Escalation to stage 2 is waiting for approval." in words
    assert "to approve or decline the escalation" in words


def test_the_panel_of_a_closed_dispute_says_nothing_more_happens(bcssp, client_for):
    dispute = bcssp.raise_dispute(now=RAISED)
    bcssp.close(dispute, london(2026, 3, 3, 10, 0))
    words = panel(page_text(client_for(bcssp.teacher).get(url(dispute))))
    assert "Resolved and closed: nothing more happens." in words
    assert "Whose move" not in words and 'id="next-actions"' not in words


def test_needs_you_lists_the_soonest_due_first(bcssp, client_for):
    later = bcssp.raise_dispute(now=london(2026, 3, 4, 10, 0))
    sooner = bcssp.raise_dispute(now=RAISED, immediate_harm=True)
    middle = bcssp.raise_dispute(now=london(2026, 3, 3, 10, 0))
    with time_machine.travel(london(2026, 3, 4, 12, 0), tick=False):
        listed = needs_you(page_text(client_for(bcssp.social_worker).get(HOME)))
    positions = [listed.index(d.reference) for d in (sooner, middle, later)]
    assert positions == sorted(positions), "sorted by the moment each falls due"
    assert "Overdue by 26 hours</strong>: immediate harm" in listed, "the immediate-harm clock, in hours"
    assert "1 working day left" in listed
    assert "2 working days left" in listed
