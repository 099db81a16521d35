from escalation.demo import DEMO_PASSWORD, demo_logins, load_demo
from escalation.disputes.models import Dispute
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
