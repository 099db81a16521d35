"""Moving open disputes to a corrected version of their policy: a preview, then an explicit, audited move."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.disputes import services
from escalation.disputes.models import Dispute
from escalation.disputes.permissions import ActionRefused
from escalation.disputes.policy_versions import (
    apply_version_change,
    disputes_to_move,
    preview_version_change,
    publish_policy_version,
)
from escalation.notifications.models import Notification
from policies.schema import read_policy_file
from policies.services import load_policy, seed_files
from policies.version_change import DeadlineChange
from policies.vocabulary import PublicationStatus
from tests.conftest import london, policy_text_reads

# Raised Monday 2 March 2026 10:00: BCSSP stage 1 (2 working days) is due Wednesday 4 March 17:00.
RAISED = london(2026, 3, 2, 10)
LATER = london(2026, 3, 3, 9)


def bcssp_spec():
    (path,) = [p for p in seed_files() if p.stem == "bcssp"]
    return read_policy_file(path).model_copy(deep=True)


def corrected(world, change, *, publish: bool = True):
    """A new version of the world's policy with `change` made to its spec, published by the admin."""
    spec = bcssp_spec()
    change(spec)
    version, created = load_policy(spec, source_file="corrected.yaml", status=PublicationStatus.DRAFT)
    assert created
    if publish:
        publish_policy_version(version=version, by=world.admin, now=RAISED)
        version.refresh_from_db()
    return version


def rule(spec, name):
    return next(rule for rule in spec.deadline_rules if rule.name == name)


def stage_1_longer(spec):
    rule(spec, "stage-1").length = 7


def open_row(dispute, name):
    return Deadline.objects.get(dispute=dispute, rule__name=name, closed_at__isnull=True)


def test_the_preview_lists_each_moved_deadline_with_its_old_and_new_due(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    version = corrected(bcssp, stage_1_longer)
    move = preview_version_change(dispute, version, LATER)
    assert move.can_move and (move.reference, move.stage, move.from_version, move.to_version) == (
        dispute.reference,
        1,
        1,
        2,
    )
    (moved,) = move.deadlines
    assert (moved.rule, moved.change) == ("stage-1", DeadlineChange.MOVED)
    assert (moved.old_due, moved.new_due) == (london(2026, 3, 4, 17), london(2026, 3, 11, 17))
    assert set(move.people_to_tell) == {"Practitioner", "Manager"}
    dispute.refresh_from_db()
    assert dispute.policy_version.number == 1, "a preview changes nothing"
    assert open_row(dispute, "stage-1").due_at == london(2026, 3, 4, 17)


def test_applying_re_pins_the_dispute_moves_its_deadlines_and_tells_the_people(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    row = open_row(dispute, "stage-1")
    version = corrected(bcssp, stage_1_longer)
    apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=LATER)
    dispute.refresh_from_db()
    assert dispute.policy_version == version
    moved = open_row(dispute, "stage-1")
    assert moved.pk == row.pk, "the same deadline carries on, with what people did to it"
    assert moved.rule.version == version
    assert (moved.due_at, moved.anchor_at) == (london(2026, 3, 11, 17), RAISED)
    assert not Deadline.objects.filter(dispute=dispute, closed_at__isnull=True, rule__version__number=1).exists()
    told = Notification.objects.filter(dispute=dispute, event="deadline_changed")
    assert set(told.values_list("recipient__username", flat=True)) == {
        "bcssp-teacher",
        "bcssp-sw",
        "bcssp-head",
        "bcssp-tm",
    }
    assert all("Child A" not in n.headline + n.message for n in told), "no personal data"
    assert "is now due at 5pm on Wednesday 11 March 2026" in told.first().message


def test_each_move_is_audited_on_its_dispute(bcssp):
    first = bcssp.raise_dispute(now=RAISED)
    second = bcssp.raise_dispute(now=RAISED)
    version = corrected(bcssp, stage_1_longer)
    for dispute in (first, second):
        apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=LATER)
    events = AuditEvent.objects.filter(action="dispute.policy_version_changed").order_by("id")
    assert [event.dispute_reference for event in events] == [first.reference, second.reference]
    event = events.first()
    assert event.actor == bcssp.admin
    assert (event.before["version"], event.after["version"]) == (1, 2)
    assert event.after["deadlines"] == [
        {
            "rule": "stage-1",
            "change": "moved",
            "old_due": london(2026, 3, 4, 17).isoformat(),
            "new_due": london(2026, 3, 11, 17).isoformat(),
        }
    ]
    assert "Moved from version 1 to version 2" in event.after["reason"]


def test_a_rule_the_correction_removes_stops_and_one_it_adds_starts(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    old_row = open_row(dispute, "stage-1")

    def rename(spec):
        rule(spec, "stage-1").name = "stage-one"

    version = corrected(bcssp, rename)
    move = preview_version_change(dispute, version, LATER)
    changes = {(item.rule, item.change) for item in move.deadlines}
    assert changes == {("stage-1", DeadlineChange.STOPS), ("stage-one", DeadlineChange.STARTS)}
    apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=LATER)
    old_row.refresh_from_db()
    assert old_row.closed_at == LATER and old_row.met is None
    started = open_row(dispute, "stage-one")
    assert started.due_at == london(2026, 3, 4, 17), "counted from entering stage 1, as before"


def test_a_deadline_the_correction_no_longer_runs_stops_neither_met_nor_missed(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    row = open_row(dispute, "stage-1")

    def only_for_immediate_harm(spec):
        rule(spec, "stage-1").condition = "immediate_harm"

    version = corrected(bcssp, only_for_immediate_harm)
    (stops,) = preview_version_change(dispute, version, LATER).deadlines
    assert (stops.rule, stops.change, stops.old_due, stops.new_due) == (
        "stage-1",
        DeadlineChange.STOPS,
        london(2026, 3, 4, 17),
        None,
    )
    apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=LATER)
    row.refresh_from_db()
    assert (row.closed_at, row.met) == (LATER, None)


def test_a_missed_deadline_given_more_time_is_no_longer_missed(bcssp):
    from escalation.deadlines.sweep import sweep

    dispute = bcssp.raise_dispute(now=RAISED)
    sweep(now=london(2026, 3, 4, 17, 1))
    assert open_row(dispute, "stage-1").breached_at is not None
    version = corrected(bcssp, stage_1_longer)
    apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=london(2026, 3, 5, 9))
    row = open_row(dispute, "stage-1")
    assert row.breached_at is None and row.due_at == london(2026, 3, 11, 17)


def test_an_escalation_waiting_for_approval_waits_on_the_corrected_approvers(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No reply.", now=RAISED)

    def only_senior_managers(spec):
        spec.stages[[s.number for s in spec.stages].index(2)].approver_roles = ["senior_manager"]

    version = corrected(bcssp, only_senior_managers)
    apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=LATER)
    roles = set(Dispute.objects.get(pk=dispute.pk).waiting_on.values_list("role", flat=True))
    assert roles == {"senior_manager"}


def test_a_closed_dispute_is_never_moved(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.teacher, reason="Settled.", now=RAISED)
    version = corrected(bcssp, stage_1_longer)
    assert dispute not in disputes_to_move(version)
    move = preview_version_change(Dispute.objects.get(pk=dispute.pk), version, LATER)
    assert not move.can_move and "closed" in move.refusal
    with pytest.raises(ActionRefused, match="closed"):
        apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=LATER)
    dispute.refresh_from_db()
    assert dispute.policy_version.number == 1
    assert not AuditEvent.objects.filter(action="dispute.policy_version_changed").exists()


def test_only_to_a_newer_published_version_and_only_by_the_partnerships_admin(bcssp):
    dispute = bcssp.raise_dispute(now=RAISED)
    draft = corrected(bcssp, stage_1_longer, publish=False)
    with pytest.raises(ActionRefused, match="draft"):
        apply_version_change(dispute=dispute, version=draft, by=bcssp.admin, now=LATER)
    publish_policy_version(version=draft, by=bcssp.admin, now=RAISED)
    for person in (bcssp.business_manager, bcssp.teacher):
        with pytest.raises(ActionRefused, match="admin"):
            apply_version_change(dispute=dispute, version=draft, by=person, now=LATER)
    apply_version_change(dispute=dispute, version=draft, by=bcssp.admin, now=LATER)
    with pytest.raises(ActionRefused, match="already on version 2"):
        apply_version_change(dispute=dispute, version=draft, by=bcssp.admin, now=LATER)


def test_the_disputes_to_move_are_the_open_ones_on_earlier_versions(bcssp, world_for):
    on_first = bcssp.raise_dispute(now=RAISED)
    version = corrected(bcssp, stage_1_longer)
    on_second = bcssp.raise_dispute(now=RAISED)
    assert on_second.policy_version == version
    assert list(disputes_to_move(version)) == [on_first]


# The admin's page ------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, bcssp):
    from tests.auth_helpers import login

    bcssp.admin.is_staff = True
    bcssp.admin.save()
    login(client, bcssp.admin)
    return client


def test_the_admin_previews_each_open_dispute_without_case_details_then_moves_the_chosen(admin_client, bcssp):
    from django.urls import reverse

    first = bcssp.raise_dispute(now=RAISED)
    second = bcssp.raise_dispute(now=RAISED)
    version = corrected(bcssp, stage_1_longer)
    url = reverse("admin:policies_policyversion_move_disputes", args=[version.pk])
    page = admin_client.get(url).content.decode()
    assert first.reference in page and second.reference in page
    assert "1: Worker to worker" in page
    assert "4 March 2026 at 5pm &rarr; 11 March 2026 at 5pm" in page
    assert "Practitioner, Manager" in page
    for private in ("Child A", "referral was closed", "bcssp-teacher"):
        assert private not in page, "no case details on the admin's page"
    assert Dispute.objects.get(pk=first.pk).policy_version.number == 1, "the preview moves nothing"

    page = admin_client.post(url, {"dispute": [first.pk]}, follow=True).content.decode()
    assert f"Moved to version 2: {first.reference}." in page
    assert Dispute.objects.get(pk=first.pk).policy_version == version
    assert Dispute.objects.get(pk=second.pk).policy_version.number == 1, "only the chosen are moved"
    assert AuditEvent.objects.filter(action="dispute.policy_version_changed").count() == 1
    page = admin_client.get(url).content.decode()
    assert first.reference not in page and second.reference in page


def test_the_version_pages_offer_the_next_step(admin_client, bcssp):
    from django.urls import reverse

    draft = corrected(bcssp, stage_1_longer, publish=False)
    page = admin_client.get(reverse("admin:policies_policyversion_change", args=[draft.pk])).content.decode()
    assert reverse("admin:policies_policyversion_publish", args=[draft.pk]) in page
    page = admin_client.get(reverse("admin:policies_policyversion_move_disputes", args=[draft.pk])).content.decode()
    assert "publish it before moving disputes" in page
    publish = reverse("admin:policies_policyversion_publish", args=[draft.pk])
    response = admin_client.post(publish)
    assert response.status_code == 302
    page = admin_client.get(reverse("admin:policies_policy_change", args=[draft.policy_id])).content.decode()
    assert reverse("admin:policies_policyversion_move_disputes", args=[draft.pk]) in page


def test_the_move_shows_on_the_disputes_timeline(bcssp, client_for):
    from django.urls import reverse

    dispute = bcssp.raise_dispute(now=RAISED)
    version = corrected(bcssp, stage_1_longer)
    apply_version_change(dispute=dispute, version=version, by=bcssp.admin, now=LATER)
    page = client_for(bcssp.teacher).get(reverse("dispute", args=[dispute.reference])).content.decode()
    assert "Moved to a corrected version of the policy" in page
    assert "Moved from version 1 to version 2 of the policy." in page


def test_the_disputes_to_move_are_listed_without_reading_the_policy_text(bcssp):
    """A version's stored text is the whole policy as loaded (tens of kilobytes of JSON): a list of open disputes
    that read it decoded it once a row."""
    for _ in range(3):
        bcssp.raise_dispute(now=RAISED)
    version = corrected(bcssp, stage_1_longer)
    with CaptureQueriesContext(connection) as queries:
        assert len(list(disputes_to_move(version))) == 3
    assert not policy_text_reads(queries)
