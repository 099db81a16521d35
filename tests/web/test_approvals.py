"""The approvals queue: escalations waiting for this person's decision, and nobody else's."""

from django.test import Client
from django.urls import reverse

from escalation.disputes import services
from tests.conftest import build_world
from tests.web.conftest import messages_of, page_text

QUEUE = reverse("approvals")


def propose(world, dispute=None, by=None, reason="No agreement at this stage."):
    dispute = dispute or world.raise_dispute()
    services.propose_escalation(dispute=dispute, proposed_by=by or world.teacher, reason=reason)
    dispute.refresh_from_db()
    return dispute


def test_a_manager_of_the_escalating_agency_sees_the_request_with_its_reason(bcssp, client_for):
    dispute = propose(bcssp, reason="Two e-mails unanswered.")
    html = page_text(client_for(bcssp.head).get(QUEUE))
    assert dispute.reference in html
    assert "Two e-mails unanswered." in html
    assert "to stage 2: Manager to manager" in html
    assert f'action="{reverse("dispute-decide", args=[dispute.reference])}"' in html
    assert f"{reverse('dispute-decide', args=[dispute.reference])}?decision=decline&amp;return_to=approvals" in html


def test_nobody_else_sees_the_request(bcssp, client_for):
    dispute = propose(bcssp)
    away = build_world("tscp", "AWAY")
    for user in (
        bcssp.teacher,
        bcssp.social_worker,
        bcssp.team_manager,
        bcssp.outsider,
        bcssp.business_manager,
        away.business_manager,
    ):
        html = page_text(client_for(user).get(QUEUE))
        assert dispute.reference not in html
        assert "Nothing is waiting for your approval." in html


def test_the_other_agencys_managers_see_requests_from_their_own_side(bcssp, client_for):
    dispute = propose(bcssp, by=bcssp.social_worker)
    assert dispute.reference in page_text(client_for(bcssp.team_manager).get(QUEUE))
    assert dispute.reference not in page_text(client_for(bcssp.head).get(QUEUE))


def test_the_business_manager_sees_requests_for_a_stage_the_partnership_approves(tscp, client_for):
    dispute = tscp.raise_dispute(immediate_harm=True, start_stage=4)
    propose(tscp, dispute=dispute)
    html = page_text(client_for(tscp.business_manager).get(QUEUE))
    assert dispute.reference in html
    assert "Referred via the TSCP to the Chair of the Executive Group" in html
    assert dispute.reference not in page_text(client_for(tscp.head).get(QUEUE))


def test_approving_from_the_queue_moves_the_dispute_and_comes_back(bcssp, client_for):
    dispute = propose(bcssp)
    client = client_for(bcssp.head)
    response = client.post(
        reverse("dispute-decide", args=[dispute.reference]), {"decision": "approve", "return_to": "approvals"}
    )
    assert response["Location"] == QUEUE
    assert f"{dispute.reference} has moved to stage 2" in messages_of(response)[0]
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == ("in_discussion", 2)
    html = page_text(client.get(QUEUE))
    assert f'id="approval-{dispute.reference}"' not in html
    assert "Nothing is waiting for your approval." in html


def test_declining_from_the_queue_opens_the_decision_with_decline_chosen(bcssp, client_for):
    dispute = propose(bcssp)
    client = client_for(bcssp.head)
    page = page_text(
        client.get(
            reverse("dispute-decide", args=[dispute.reference]), {"decision": "decline", "return_to": "approvals"}
        )
    )
    assert 'name="return_to" value="approvals"' in page
    assert "checked" in page.split('value="decline"')[1][:60]
    response = client.post(
        reverse("dispute-decide", args=[dispute.reference]),
        {"decision": "decline", "reason": "Talk to them again first.", "return_to": "approvals"},
    )
    assert response["Location"] == QUEUE
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == ("in_discussion", 1)


def test_approving_from_the_queue_after_someone_else_did_says_so(bcssp, client_for):
    dispute = propose(bcssp)
    services.approve_escalation(dispute=dispute, approver=bcssp.senior)
    response = client_for(bcssp.head).post(
        reverse("dispute-decide", args=[dispute.reference]), {"decision": "approve", "return_to": "approvals"}
    )
    assert response.status_code == 200
    assert "already been decided" in page_text(response)
    dispute.refresh_from_db()
    assert dispute.current_stage == 2


def test_signed_out_people_are_sent_to_sign_in(db):
    assert Client().get(QUEUE)["Location"].startswith(reverse("login"))
