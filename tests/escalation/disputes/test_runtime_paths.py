"""Every path asks the policy runtime: the services, the approvals queue, the navigation and the pages agree."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Role
from escalation.disputes import services
from escalation.disputes.models import WaitingOn
from escalation.disputes.permissions import allowed_actions, can_approve
from escalation.disputes.worklists import involving
from tests.conftest import london
from tests.factories import member
from tests.web.conftest import page_text

QUEUE = reverse("approvals")


def _propose(world, dispute=None, by=None, now=None):
    dispute = dispute or world.raise_dispute(now=now)
    services.propose_escalation(dispute=dispute, proposed_by=by or world.teacher, reason="No agreement.", now=now)
    dispute.refresh_from_db()
    return dispute


def _name_approvers(world, stage_number: int, roles: list[str]) -> None:
    stage = world.partnership.policy.current_version.stages.get(number=stage_number)
    stage.approver_roles = roles
    stage.save(update_fields=["approver_roles"])


def test_a_designated_nurse_the_policy_names_as_approver_sees_the_queue_and_approves_from_it(bcssp, client_for):
    _name_approvers(bcssp, 2, [Role.DESIGNATED_NURSE])
    nurse = member(bcssp.school, Role.DESIGNATED_NURSE, username="school-nurse")
    dispute = _propose(bcssp)
    client = client_for(nurse)
    home = page_text(client.get(reverse("home")))
    assert f'href="{QUEUE}"' in home, "the navigation offers the approvals queue"
    assert dispute.reference in page_text(client.get(QUEUE))
    assert dispute.reference not in page_text(client_for(bcssp.head).get(QUEUE)), "a manager is not named here"
    client.post(reverse("dispute-decide", args=[dispute.reference]), {"decision": "approve", "return_to": "approvals"})
    dispute.refresh_from_db()
    assert dispute.current_stage == 2


def test_whose_move_it_is_is_stored_with_the_dispute_and_cleared_when_decided(bcssp):
    dispute = _propose(bcssp)
    assert set(WaitingOn.objects.filter(dispute=dispute).values_list("agency_id", "role", "reason")) == {
        (bcssp.school.pk, role, "approval") for role in dispute.next_stage().approver_roles
    }
    approver = next(u for u in (bcssp.head, bcssp.senior, bcssp.director) if can_approve(u, dispute))
    services.approve_escalation(dispute=dispute, approver=approver)
    assert not WaitingOn.objects.filter(dispute=dispute, reason="approval").exists()
    assert WaitingOn.objects.filter(dispute=dispute, reason="stage").exists(), "now the stage's actors move"


def test_a_partnership_level_stage_waits_on_the_partnership(tscp, client_for):
    dispute = tscp.raise_dispute(immediate_harm=True, start_stage=4)
    _propose(tscp, dispute=dispute)
    assert set(WaitingOn.objects.filter(dispute=dispute).values_list("agency_id", flat=True)) == {None}
    assert dispute.reference in page_text(client_for(tscp.business_manager).get(QUEUE))


def test_the_page_the_service_and_the_queue_give_the_same_answer(bcssp, client_for):
    dispute = _propose(bcssp)
    for user in (bcssp.head, bcssp.senior, bcssp.teacher, bcssp.team_manager, bcssp.business_manager):
        may = "approve_escalation" in allowed_actions(user, dispute)
        listed = dispute.reference in page_text(client_for(user).get(QUEUE))
        assert may == listed, user.username


def _queries(client, url) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return queries


def _count(client, url) -> int:
    return len(_queries(client, url).captured_queries)


def test_the_approvals_queue_and_home_page_take_the_same_queries_for_1_and_50_waiting(bcssp, client_for):
    client = client_for(bcssp.head)
    _propose(bcssp, now=london(2026, 3, 2, 10))
    one = {url: _count(client, url) for url in (QUEUE, reverse("home"))}
    for day in range(49):
        _propose(bcssp, now=london(2026, 3, 3, 9) + day * (london(2026, 3, 3, 10) - london(2026, 3, 3, 9)))
    fifty = {url: _count(client, url) for url in (QUEUE, reverse("home"))}
    assert fifty == one


def test_a_persons_roles_are_read_once_per_request(bcssp, client_for):
    dispute = _propose(bcssp)
    queries = _queries(client_for(bcssp.head), reverse("dispute", args=[dispute.reference]))
    membership_reads = [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().startswith('SELECT "agencies_membership"')
    ]
    assert len(membership_reads) <= 2, membership_reads  # the person's roles, and the navigation's


def test_an_approval_reads_the_policys_stages_once(bcssp):
    dispute = _propose(bcssp)
    with CaptureQueriesContext(connection) as queries:
        services.approve_escalation(dispute=dispute, approver=bcssp.head)
    stage_reads = [q["sql"] for q in queries.captured_queries if 'FROM "policies_stage"' in q["sql"]]
    assert len(stage_reads) <= 1, stage_reads
    assert len(queries.captured_queries) <= 40


def test_the_dispute_page_asks_the_database_a_small_fixed_number_of_times(bcssp, client_for):
    dispute = _propose(bcssp)
    # "What happens next" adds three: whose move (waiting rows, their holders) and the partnership's closure days;
    # the access rule one (the person's agencies, partnerships overseen and disputes brought into, read first).
    assert len(_queries(client_for(bcssp.head), reverse("dispute", args=[dispute.reference])).captured_queries) <= 27


def test_a_policys_own_due_soon_window_decides_when_a_deadline_shows_as_due_soon(bcssp, client_for):
    version = bcssp.partnership.policy.current_version
    version.due_soon_working_days = 3
    version.save(update_fields=["due_soon_working_days"])
    dispute = bcssp.raise_dispute(now=london(2026, 3, 2, 10))  # stage 1: due Wednesday 4 March, 5pm
    row = dispute.deadlines.get(rule__name="stage-1")
    assert row.soon_at == london(2026, 3, 2, 9), "due within 3 working days (Mon, Tue, Wed) from Monday morning"
    version.due_soon_working_days = 1
    version.save(update_fields=["due_soon_working_days"])
    other = bcssp.raise_dispute(now=london(2026, 3, 2, 10))
    assert other.deadlines.get(rule__name="stage-1").soon_at == london(2026, 3, 4, 9), "due today"


def test_the_other_agencys_stage_2_manager_sees_the_dispute_in_needs_you_once_it_reaches_them(bcssp, client_for):
    dispute = _propose(bcssp)
    approver = next(u for u in (bcssp.head, bcssp.senior, bcssp.director) if can_approve(u, dispute))
    assert dispute not in involving(bcssp.team_manager), "waiting on the raising side's approval, not on them"
    services.approve_escalation(dispute=dispute, approver=approver)
    dispute.refresh_from_db()
    waiting = set(WaitingOn.objects.filter(dispute=dispute).values_list("agency_id", "role", "reason"))
    stage = dispute.stage()
    for role in stage.actors.get("other") or stage.approver_roles:
        assert (bcssp.social_care.pk, role, "stage") in waiting
    assert dispute in involving(bcssp.team_manager)
    home = page_text(client_for(bcssp.team_manager).get(reverse("home")))
    assert dispute.reference in home.split('id="needs-you"')[1].split("</table>")[0]


def test_whose_move_it_is_at_the_start_names_both_sides_actors(bcssp):
    dispute = bcssp.raise_dispute()
    agencies = set(WaitingOn.objects.filter(dispute=dispute, reason="stage").values_list("agency_id", flat=True))
    assert agencies == {bcssp.school.pk, bcssp.social_care.pk}
