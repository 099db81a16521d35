"""Who decides, through the services and the dispute page: binding decisions (policy-audit §9 item 4),
resolutions both sides confirm, moving on a dispute that got no response (§9 item 7) and a setting's internal
stages (W10/S12). The policy is the small file in tests/policies/runtime/who_decides.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import OfficeHolder
from escalation.access.services import grant_access
from escalation.audit.events import AuditEventType
from escalation.audit.models import AuditEvent
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.disputes.models import Dispute, Outcome, WaitingOn
from escalation.disputes.permissions import ActionRefused
from escalation.disputes.selectors import disputes_for
from escalation.disputes.worklists import waiting_for
from escalation.notifications.models import Notification
from policies.loading import actor_for
from policies.services import load_policy
from policies.vocabulary import DisputeState
from tests.conftest import build_world, london
from tests.factories import UserFactory
from tests.policies.runtime.who_decides import who_decides
from tests.web.conftest import page_text

MONDAY = london(2026, 3, 2, 10, 0)
CONFIRM_BUTTON = ">Confirm the resolution</a>"
DISAGREE_BUTTON = ">Do not agree</a>"


@pytest.fixture
def who(db):
    load_policy(who_decides())
    world = build_world("who-decides", "WHO")
    world.independent_chair = UserFactory(username="who-independent-chair")
    OfficeHolder.objects.create(partnership=world.partnership, office="independent_chair", user=world.independent_chair)
    return world


def _at_panel(world) -> Dispute:
    """A dispute started at the binding stage 5 (the policy allows it for immediate harm), the chair let in."""
    dispute = world.raise_dispute(now=MONDAY, immediate_harm=True, start_stage=5)
    grant_access(dispute=dispute, user=world.independent_chair, reason="Panel", office="independent_chair", now=MONDAY)
    return dispute


def _events(dispute: Dispute, kind: AuditEventType) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(dispute_id_value=dispute.pk, action=kind))


def _told(dispute: Dispute, event: str) -> set[str]:
    return set(Notification.objects.filter(dispute=dispute, event=event).values_list("recipient__username", flat=True))


def _resolve(world, dispute, by, now=None):
    return services.record_resolution(
        dispute=dispute,
        recorded_by=by,
        agreed_outcome="An assessment will be opened this week.",
        decided_on=datetime.date(2026, 3, 3),
        now=now or london(2026, 3, 3, 11),
    )


# Policy-audit §9 item 4: the binding decision is recorded by the decision-maker alone.


def test_audit_9_4_no_party_and_no_partnership_officer_can_resolve_a_binding_stage(who):
    dispute = _at_panel(who)
    for person in (who.teacher, who.head, who.social_worker, who.sc_director, who.business_manager, who.chair):
        with pytest.raises(ActionRefused, match="final and binding: only the independent chair"):
            _resolve(who, dispute, person)
        with pytest.raises(ActionRefused, match="only the independent chair can record its decision"):
            services.record_decision(
                dispute=dispute, recorded_by=person, agreed_outcome="We decide.", decided_on=MONDAY.date()
            )
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RAISED and not Outcome.objects.filter(dispute=dispute).exists()


def test_audit_9_4_the_decision_maker_records_the_binding_decision_and_both_agencies_are_told(who):
    dispute = _at_panel(who)
    now = london(2026, 3, 4, 15)
    outcome = services.record_decision(
        dispute=dispute,
        recorded_by=who.independent_chair,
        agreed_outcome="The panel decided a section 47 enquiry is needed.",
        decided_on=now.date(),
        convened="panel",
        now=now,
    )
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED
    assert (outcome.binding, outcome.recorded_by, outcome.stage_number) == (True, who.independent_chair, 5)
    assert not dispute.stage_visits.filter(left_at__isnull=True).exists()
    assert [e.after["state"] for e in _events(dispute, AuditEventType.DECISION_RECORDED)] == ["resolved"]
    # Both agencies hear it: the raiser, and the other agency's manager (nobody there had taken part yet).
    assert {who.teacher.username, who.team_manager.username} <= _told(dispute, "resolved_at_stage")


def test_audit_9_4_the_page_offers_the_decision_to_the_decision_maker_alone(who, client_for):
    dispute = _at_panel(who)
    url = reverse("dispute-record-decision", args=[dispute.reference])
    page = reverse("dispute", args=[dispute.reference])
    chair_page = page_text(client_for(who.independent_chair).get(page))
    assert "Record the decision" in chair_page and "Record the resolution" not in chair_page
    head_page = page_text(client_for(who.head).get(page))
    assert "Record the decision" not in head_page and "Record the resolution" not in head_page
    typed = {
        "agreed_outcome": "The head decides alone.",
        "outstanding_actions": "",
        "convened": "neither",
        "decided_on_0": "3",
        "decided_on_1": "3",
        "decided_on_2": "2026",
    }
    refused = client_for(who.head).post(url, typed)
    assert refused.status_code == 200
    text = page_text(refused)
    assert "govuk-error-summary" in text and "only the independent chair" in text
    assert "The head decides alone." in text, "what was typed is kept"
    done = client_for(who.independent_chair).post(url, {**typed, "agreed_outcome": "The panel decides."})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED and dispute.outcome.binding


def test_audit_9_4_outsiders_get_404_from_the_decision_page(who, client_for):
    dispute = _at_panel(who)
    url = reverse("dispute-record-decision", args=[dispute.reference])
    stranger = UserFactory(username="who-other-independent-chair")
    OfficeHolder.objects.create(partnership=who.partnership, office="cp_chair", user=stranger)
    for person in (who.outsider, who.admin, stranger):
        client = client_for(person)
        assert client.get(url).status_code == 404
        assert client.post(url, {"agreed_outcome": "x"}).status_code == 404


# A resolution both sides confirm.


def test_a_resolution_one_side_records_waits_for_the_other_sides_confirmation_in_their_needs_you(who):
    dispute = who.raise_dispute(now=MONDAY)
    outcome = _resolve(who, dispute, who.teacher)
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.AWAITING_CONFIRMATION
    assert (outcome.raising_confirmed_by, outcome.other_confirmed_by) == (who.teacher, None)
    assert dispute.stage_visits.filter(left_at__isnull=True).exists(), "the stage is not left until confirmed"
    assert set(WaitingOn.objects.filter(dispute=dispute).values_list("agency_id", "role", "reason")) == {
        (who.social_care.pk, "practitioner", "confirmation")
    }
    assert disputes_for(who.social_worker).filter(waiting_for(who.social_worker), pk=dispute.pk).exists()
    assert not disputes_for(who.teacher).filter(waiting_for(who.teacher), pk=dispute.pk).exists()
    assert _told(dispute, "resolution_to_confirm") == {who.social_worker.username}
    assert not _told(dispute, "resolved_at_stage"), "nobody is told it is resolved before it is"
    assert [e.after["side"] for e in _events(dispute, AuditEventType.RESOLUTION_AWAITING_CONFIRMATION)] == ["raising"]


def test_a_resolution_to_confirm_shows_on_the_home_page_of_the_other_sides_actors(who, client_for):
    dispute = who.raise_dispute(now=MONDAY)
    link = reverse("dispute", args=[dispute.reference])
    _resolve(who, dispute, who.teacher)
    assert link in page_text(client_for(who.social_worker).get(reverse("home")))
    assert link not in page_text(client_for(who.outsider).get(reverse("home")))


def test_the_recorders_side_cannot_confirm_its_own_resolution_and_the_other_side_confirms_it(who):
    dispute = who.raise_dispute(now=MONDAY)
    _resolve(who, dispute, who.teacher)
    for person in (who.teacher, who.head, who.business_manager):
        with pytest.raises(ActionRefused):
            services.confirm_resolution(dispute=dispute, confirmed_by=person)
    now = london(2026, 3, 4, 9)
    outcome = services.confirm_resolution(dispute=dispute, confirmed_by=who.team_manager, now=now)
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED
    assert (outcome.other_confirmed_by, outcome.other_confirmed_at) == (who.team_manager, now)
    assert not WaitingOn.objects.filter(dispute=dispute).exists()
    assert not dispute.stage_visits.filter(left_at__isnull=True).exists()
    assert [e.after["side"] for e in _events(dispute, AuditEventType.RESOLUTION_CONFIRMED)] == ["other"]
    assert who.teacher.username in _told(dispute, "resolved_at_stage")


def test_a_resolution_the_business_manager_records_needs_both_sides(who):
    dispute = who.raise_dispute(now=MONDAY)
    _resolve(who, dispute, who.business_manager)
    assert {row.agency_id for row in WaitingOn.objects.filter(dispute=dispute)} == {who.school.pk, who.social_care.pk}
    services.confirm_resolution(dispute=dispute, confirmed_by=who.social_worker)
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.AWAITING_CONFIRMATION
    assert {row.agency_id for row in WaitingOn.objects.filter(dispute=dispute)} == {who.school.pk}
    services.confirm_resolution(dispute=dispute, confirmed_by=who.teacher)
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED


def test_a_side_that_does_not_agree_sends_the_dispute_back_to_discussion_and_the_outcome_is_removed(who):
    dispute = who.raise_dispute(now=MONDAY)
    _resolve(who, dispute, who.teacher)
    with pytest.raises(ActionRefused, match="Say why"):
        services.reject_resolution(dispute=dispute, rejected_by=who.social_worker, reason="  ")
    services.reject_resolution(dispute=dispute, rejected_by=who.social_worker, reason="No assessment is planned.")
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == (DisputeState.IN_DISCUSSION, 1)
    assert not Outcome.objects.filter(dispute=dispute).exists()
    reasons = set(WaitingOn.objects.filter(dispute=dispute).values_list("reason", flat=True))
    assert reasons == {"stage"}, "nobody is asked to confirm any more: the stage's actors carry on"
    [event] = _events(dispute, AuditEventType.RESOLUTION_REJECTED)
    assert event.before["agreed_outcome"] == "An assessment will be opened this week."
    assert (event.after["side"], event.after["reason"]) == ("other", "No assessment is planned.")
    assert _told(dispute, "resolution_rejected") == {who.teacher.username}
    again = _resolve(who, dispute, who.social_worker, now=london(2026, 3, 5, 9))
    assert again.other_confirmed_by == who.social_worker, "a new resolution can be recorded"


def test_the_page_offers_confirm_and_do_not_agree_as_the_runtime_allows(who, client_for):
    dispute = who.raise_dispute(now=MONDAY)
    _resolve(who, dispute, who.teacher)
    page = reverse("dispute", args=[dispute.reference])
    other = page_text(client_for(who.social_worker).get(page))
    assert CONFIRM_BUTTON in other and DISAGREE_BUTTON in other
    assert "It counts once" in other
    own = page_text(client_for(who.teacher).get(page))
    assert CONFIRM_BUTTON not in own and DISAGREE_BUTTON in own
    refused = client_for(who.teacher).post(reverse("dispute-confirm-resolution", args=[dispute.reference]), {})
    assert refused.status_code == 200 and "it is for the other agency to confirm it" in page_text(refused)
    reject_url = reverse("dispute-reject-resolution", args=[dispute.reference])
    empty = client_for(who.social_worker).post(reject_url, {"reason": ""})
    assert empty.status_code == 200 and "Enter why your agency does not agree" in page_text(empty)
    confirm_page = page_text(
        client_for(who.social_worker).get(reverse("dispute-confirm-resolution", args=[dispute.reference]))
    )
    assert "An assessment will be opened this week." in confirm_page
    done = client_for(who.social_worker).post(reverse("dispute-confirm-resolution", args=[dispute.reference]), {})
    assert done.status_code == 302
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED
    assert client_for(who.outsider).get(reject_url).status_code == 404


# Policy-audit §9 item 7: on no response the business manager "will escalate matters accordingly".


def test_audit_9_7_the_business_manager_moves_on_a_dispute_that_got_no_response(who):
    dispute = who.raise_dispute(now=MONDAY)  # a reply is due by Monday 9 March, 5pm
    with pytest.raises(ActionRefused, match="No deadline that lets the dispute be moved on"):
        services.escalate_no_response(dispute=dispute, escalated_by=who.business_manager, now=london(2026, 3, 9, 9))
    sweep(now=london(2026, 3, 10, 9))
    assert dispute.deadlines.get(rule__name="reply").breached_at is not None
    for person in (who.head, who.teacher, who.chair):
        with pytest.raises(ActionRefused, match="Only the partnership business manager"):
            services.escalate_no_response(dispute=dispute, escalated_by=person)
    now = london(2026, 3, 10, 10)
    services.escalate_no_response(dispute=dispute, escalated_by=who.business_manager, reason="Chased twice.", now=now)
    dispute.refresh_from_db()
    assert (dispute.state, dispute.current_stage) == (DisputeState.IN_DISCUSSION, 2)
    visit = dispute.stage_visits.get(left_at__isnull=True)
    assert (visit.stage_number, visit.entered_by, visit.approved_by, visit.reason) == (
        2,
        who.business_manager,
        None,
        "No response in time: Chased twice.",
    )
    [event] = _events(dispute, AuditEventType.DISPUTE_ESCALATED_NO_RESPONSE)
    assert (event.after["rules"], event.after["stage"], event.actor) == (["reply"], 2, who.business_manager)


def test_audit_9_7_a_reply_in_time_leaves_nothing_to_move_on(who):
    dispute = who.raise_dispute(now=MONDAY)
    services.add_record_entry(
        dispute=dispute,
        author=who.social_worker,
        kind="discussion",
        text="We replied.",
        occurred_on=datetime.date(2026, 3, 3),
        now=london(2026, 3, 3, 9),
    )
    sweep(now=london(2026, 3, 10, 9))
    with pytest.raises(ActionRefused, match="No deadline"):
        services.escalate_no_response(dispute=dispute, escalated_by=who.business_manager)


def test_audit_9_7_the_page_offers_the_business_manager_escalate_no_response(who, client_for):
    dispute = who.raise_dispute(now=MONDAY)
    page = reverse("dispute", args=[dispute.reference])
    assert "Escalate: no response" not in page_text(client_for(who.business_manager).get(page))
    sweep(now=london(2026, 3, 10, 9))
    assert "Escalate: no response" in page_text(client_for(who.business_manager).get(page))
    assert "Escalate: no response" not in page_text(client_for(who.head).get(page))
    url = reverse("dispute-escalate-no-response", args=[dispute.reference])
    refused = client_for(who.head).get(url)
    assert refused.status_code == 302 and refused["Location"] == page
    assert client_for(who.business_manager).post(url, {"reason": ""}).status_code == 302
    dispute.refresh_from_db()
    assert dispute.current_stage == 2


# Policy-audit W10/S12: a setting's internal stage is acted on by that setting only.


def test_w10_s12_the_other_agency_is_not_asked_at_the_raising_agencys_internal_stage(who, client_for):
    dispute = who.raise_dispute(now=MONDAY)
    services.propose_escalation(dispute=dispute, proposed_by=who.teacher, reason="To our leader.")
    dispute.refresh_from_db()
    assert dispute.current_stage == 2
    with pytest.raises(ActionRefused, match="Stage 2 is internal to the raising agency"):
        services.add_record_entry(
            dispute=dispute, author=who.social_worker, kind="discussion", text="x", occurred_on=MONDAY.date()
        )
    for person in (who.team_manager, who.sc_director):
        with pytest.raises(ActionRefused, match="internal to the raising agency"):
            _resolve(who, dispute, person)
    page = page_text(client_for(who.social_worker).get(reverse("dispute", args=[dispute.reference])))
    assert "Add a record" not in page and "Record the resolution" not in page
    _resolve(who, dispute, who.head)
    dispute.refresh_from_db()
    assert dispute.state == DisputeState.RESOLVED


def test_a_persons_roles_and_offices_are_read_in_one_query(who):
    OfficeHolder.objects.create(partnership=who.partnership, office="designated_nurse", user=who.head)
    with CaptureQueriesContext(connection) as queries:
        actor = actor_for(who.head, who.partnership.pk)
    assert len(queries.captured_queries) == 1
    assert actor.offices == frozenset({"designated_nurse"})
    assert actor.roles_in(who.school.pk) == frozenset({"manager", "dsl"})
    assert actor.partnership_roles == frozenset()
