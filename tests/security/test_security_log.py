"""Every read of a dispute's pages is audited, and every refused request goes to the security log (issue 12, F8).

Before: the action forms, the deadline page and the approvals queue left no read in the audit trail, and 13,000
refused requests left no trace. Now each refusal is one `security.request_refused` event: who, what (method, path
without its query, the page's name), why, and from where (the client's address and browser), never the body.
"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from escalation.audit.events import AuditEventType
from escalation.audit.models import AuditEvent
from escalation.audit.viewers import viewers_of
from escalation.disputes import services
from tests.auth_helpers import login
from tests.factories import UserFactory

REFUSED = AuditEventType.REQUEST_REFUSED.value


def refusals():
    return AuditEvent.objects.filter(action=REFUSED).order_by("id")


@pytest.fixture
def dispute(bcssp):
    return bcssp.raise_dispute()


def signed_in(user, **kwargs) -> Client:
    client = Client(REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Test browser/1.0", **kwargs)
    login(client, user)
    return client


# Reads of a dispute's pages.


@pytest.mark.parametrize(
    ("url_name", "action"),
    [
        ("dispute-add-entry", "add_entry"),
        ("dispute-escalate", "propose_escalation"),
        ("dispute-withdraw", "withdraw"),
        ("dispute-flag-harm", "flag_immediate_harm"),
    ],
)
def test_opening_an_action_form_is_audited_as_a_read_of_the_dispute(bcssp, dispute, url_name, action):
    client = signed_in(bcssp.teacher)
    response = client.get(reverse(url_name, args=[dispute.reference]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEventType.DISPUTE_ACTION_FORM_VIEWED, dispute_id_value=dispute.pk)
    assert (event.actor, event.after, event.ip_address) == (bcssp.teacher, {"action": action}, "203.0.113.7")
    assert event in viewers_of(dispute)


def test_opening_a_deadline_is_audited_as_a_read_of_the_dispute(bcssp, dispute):
    deadline = dispute.deadlines.select_related("rule").first()
    client = signed_in(bcssp.business_manager)
    response = client.get(reverse("dispute-deadline", args=[dispute.reference, deadline.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEventType.DISPUTE_DEADLINE_VIEWED)
    assert event.actor == bcssp.business_manager and event.dispute_id_value == dispute.pk
    assert event.after == {"deadline": deadline.pk, "rule": deadline.rule.name}
    assert event in viewers_of(dispute)


def test_each_dispute_in_the_approvals_queue_is_audited_as_read(bcssp):
    first, second = bcssp.raise_dispute(), bcssp.raise_dispute()
    for dispute in (first, second):
        services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.")
    approver = bcssp.approver_for(first)
    response = signed_in(approver).get(reverse("approvals"))
    assert response.status_code == 200
    listed = AuditEvent.objects.filter(action=AuditEventType.DISPUTE_LISTED_FOR_APPROVAL, actor=approver)
    assert sorted(listed.values_list("dispute_id_value", flat=True)) == sorted([first.pk, second.pk])


# Refused requests.


@pytest.mark.parametrize("url_name", ["dispute", "dispute-add-entry", "dispute-escalate", "dispute-audit"])
def test_a_dispute_outside_the_access_rule_is_a_404_and_the_attempt_is_logged(bcssp, dispute, url_name):
    client = signed_in(bcssp.outsider)
    path = reverse(url_name, args=[dispute.reference])
    assert client.get(path + "?q=Child+A").status_code == 404
    event = refusals().get()
    assert event.actor == bcssp.outsider
    assert (event.ip_address, event.user_agent) == ("203.0.113.7", "Test browser/1.0")
    assert event.after == {"reason": "not_found", "status": 404, "method": "GET", "path": path, "view": url_name}
    assert event.dispute_id_value is None, "a refusal is not a read of the dispute"


def test_a_refused_post_is_logged_without_what_was_typed(bcssp, dispute):
    client = signed_in(bcssp.outsider)
    path = reverse("dispute-withdraw", args=[dispute.reference])
    assert client.post(path, {"reason": "a secret reason"}).status_code == 404
    event = refusals().get()
    assert event.after["method"] == "POST" and event.after["path"] == path
    assert "a secret reason" not in str(event.after)


def test_a_csrf_failure_is_logged_as_such(bcssp, dispute):
    client = signed_in(bcssp.teacher, enforce_csrf_checks=True)
    path = reverse("dispute-withdraw", args=[dispute.reference])
    assert client.post(path, {"reason": "Not needed"}).status_code == 403
    event = refusals().get()
    assert (event.actor, event.after["reason"], event.after["status"]) == (bcssp.teacher, "csrf", 403)


def test_a_person_sent_to_two_factor_before_a_page_is_logged(bcssp):
    client = Client()
    client.force_login(bcssp.business_manager)
    assert client.get(reverse("register")).status_code == 302
    event = refusals().get()
    assert (event.actor, event.after["reason"], event.after["view"]) == (
        bcssp.business_manager,
        "two_factor_required",
        "register",
    )


def test_a_locked_out_sign_in_is_logged(bcssp):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": bcssp.teacher.username, "password": "wrong"})
    event = refusals().last()
    assert (event.actor, event.after["reason"], event.after["status"]) == (None, "locked_out", 429)


def test_a_hostile_path_is_logged_and_never_a_server_error(bcssp):
    client = signed_in(bcssp.teacher)
    response = client.get("/disputes/%00abc/" + "x" * 2000)
    assert response.status_code == 404
    event = refusals().get()
    assert len(event.after["path"]) == 500 and "\x00" not in event.after["path"]


def test_every_refusal_is_one_row(bcssp, dispute):
    client = signed_in(UserFactory())
    for _ in range(40):
        client.get(reverse("dispute", args=[dispute.reference]))
    assert refusals().count() == 40


def test_an_allowed_page_logs_no_refusal(bcssp, dispute):
    assert signed_in(bcssp.teacher).get(reverse("dispute", args=[dispute.reference])).status_code == 200
    assert not refusals().exists()
