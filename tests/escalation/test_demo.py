from agencies.models import Membership, Office, OfficeHolder
from escalation.demo import DEMO_PASSWORD, OFFICE_PEOPLE, demo_logins, load_demo
from escalation.disputes.models import Dispute, Outcome, StageVisit
from policies.schema import read_policy_file
from policies.services import load_policy, seed_files
from policies.vocabulary import DisputeState
from tests.conftest import london


def test_demo_loads_two_partnerships_once_with_disputes_at_different_stages(db):
    for path in seed_files():
        load_policy(read_policy_file(path))
    load_demo(now=london(2026, 11, 20, 10))
    assert load_demo(now=london(2026, 11, 20, 10))["disputes"] == 0, "running it again changes nothing"
    disputes = Dispute.objects.all()
    assert disputes.values("partnership").distinct().count() == 2
    assert set(disputes.values_list("policy_version__policy__slug", flat=True)) == {"bcssp", "tscp"}
    assert disputes.count() == 24
    assert len(set(disputes.values_list("current_stage", flat=True))) >= 3
    assert disputes.filter(state=DisputeState.RESOLVED).exists()
    assert disputes.filter(immediate_harm=True).exists()
    overdue_by_now = [
        d for d in disputes if d.deadlines.filter(closed_at__isnull=True, due_at__lt=london(2026, 11, 20, 10)).exists()
    ]
    assert overdue_by_now, "some demo disputes are past a deadline"
    logins = demo_logins()
    assert {"bcssp-teacher", "bcssp-bm", "tscp-chair", "tscp-admin"} <= {name for name, _, _ in logins}
    assert all(password == DEMO_PASSWORD for _, password, _ in logins)


def test_demo_disputes_are_walked_as_their_policies_require(db):
    for path in seed_files():
        load_policy(read_policy_file(path))
    load_demo(now=london(2026, 11, 20, 10))
    disputes = Dispute.objects.all()
    # Every office is held in each partnership, by someone outside its agencies who gets a printed sign-in.
    for partnership_id in disputes.values_list("partnership", flat=True).distinct():
        held = OfficeHolder.objects.filter(partnership_id=partnership_id)
        assert set(held.values_list("office", flat=True)) == set(Office.values)
        assert not Membership.objects.filter(user__in=held.values("user")).exists()
    signed_in = {name for name, _, _ in demo_logins()}
    assert {f"{prefix}-{suffix}" for prefix in ("bcssp", "tscp") for suffix, *_ in OFFICE_PEOPLE} <= signed_in
    # Each approval was given by someone holding one of the entered stage's approver roles, not the proposer.
    approved = StageVisit.objects.filter(approved_by__isnull=False).select_related("dispute__policy_version")
    assert approved.exists()
    for visit in approved:
        stage = visit.dispute.policy_version.stage(visit.stage_number)
        roles = Membership.objects.filter(user=visit.approved_by, agency__partnership=visit.dispute.partnership_id)
        assert set(roles.values_list("role", flat=True)) & set(stage.approver_roles), visit
        assert visit.approved_by != visit.entered_by, visit
    # Disputes stand at different points: waiting for the other side to confirm, resolved, closed.
    states = set(disputes.values_list("state", flat=True))
    assert {DisputeState.AWAITING_CONFIRMATION, DisputeState.RESOLVED, DisputeState.CLOSED} <= states
    confirmed = Outcome.objects.filter(raising_confirmed_at__isnull=False, other_confirmed_at__isnull=False)
    assert confirmed.exists(), "a resolution both sides confirmed"
    # BCSSP's final and binding stage ends in the independent chair's decision.
    decision = Outcome.objects.get(binding=True)
    assert (decision.dispute.reference.startswith("BCSSP"), decision.recorded_by.username) == (True, "bcssp-ic")
    assert disputes.filter(policy_version__policy__slug="tscp", current_stage=5).exists()
