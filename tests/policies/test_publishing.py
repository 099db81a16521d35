"""A policy version is a draft until an admin publishes it; a deploy never undoes what an admin published."""

import copy
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from escalation.audit.models import AuditEvent
from escalation.disputes.permissions import ActionRefused
from escalation.disputes.policy_versions import publish_policy_version
from policies.changes import describe_changes
from policies.models import Policy
from policies.schema import parse_policy, read_policy_file
from policies.services import SEED_DIR, export_policy, load_policy_text, publish_version
from policies.vocabulary import PublicationStatus
from tests.auth_helpers import login
from tests.conftest import london

NOW = london(2026, 3, 2, 10)


def load_policies(*args: str) -> str:
    out = io.StringIO()
    call_command("load_policies", *args, stdout=out)
    return out.getvalue()


def admins_edit(policy: Policy, old: str, new: str):
    """What the admin page does: the published text, changed, saved as a draft."""
    text = export_policy(policy.current_version)
    assert old in text
    version, created = load_policy_text(text.replace(old, new), "policy text", status=PublicationStatus.DRAFT)
    assert created
    return version


# load_policies ---------------------------------------------------------------------------------------------------


def test_audit_finding_today_every_deploy_reverts_admin_edits(bcssp):
    """load_policies never supersedes a version an admin published: the seed file is skipped, and says so."""
    policy = bcssp.partnership.policy
    edited = admins_edit(policy, "name: Manager to manager", "name: Line manager to line manager")
    publish_policy_version(version=edited, by=bcssp.admin, now=NOW)

    said = load_policies(str(SEED_DIR / "bcssp.yaml"))

    policy = Policy.objects.get(pk=policy.pk)
    assert policy.current_version == edited, "the admin's published version stays in force"
    assert policy.versions.count() == 2
    assert "bcssp: skipped" in said and f"version {edited.number} is published by bcssp-admin" in said
    assert "--new-version" in said


def test_new_version_said_out_loud_publishes_the_seed_file_over_an_admins_version(bcssp):
    policy = bcssp.partnership.policy
    edited = admins_edit(policy, "name: Manager to manager", "name: Line manager to line manager")
    publish_policy_version(version=edited, by=bcssp.admin, now=NOW)

    said = load_policies("--new-version", str(SEED_DIR / "bcssp.yaml"))

    current = Policy.objects.get(pk=policy.pk).current_version
    assert current.number == 3 and current.status == PublicationStatus.PUBLISHED
    assert current.stage(2).name == "Manager to manager"
    assert current.published_at is not None
    assert "bcssp: loaded as version 3 (published)" in said


def test_a_seed_file_is_loaded_where_the_policy_has_none_and_changes_nothing_when_unchanged(db):
    first = load_policies()
    slugs = [read_policy_file(path).slug for path in sorted(SEED_DIR.glob("*.yaml"))]
    for slug in slugs:
        assert f"{slug}: loaded as version 1 (published)" in first
        assert Policy.objects.get(slug=slug).current_version.status == PublicationStatus.PUBLISHED
    again = load_policies()
    for slug in slugs:
        assert f"{slug}: unchanged, version 1" in again


def test_an_admins_draft_is_not_superseded_either(bcssp):
    policy = bcssp.partnership.policy
    draft = admins_edit(policy, "name: Manager to manager", "name: Line manager to line manager")
    load_policies(str(SEED_DIR / "bcssp.yaml"))
    policy = Policy.objects.get(pk=policy.pk)
    assert policy.latest_version == draft and policy.versions.count() == 2


# Drafts ----------------------------------------------------------------------------------------------------------


def test_a_draft_does_not_govern_new_disputes(bcssp):
    policy = bcssp.partnership.policy
    published = policy.current_version
    draft = admins_edit(policy, "name: Manager to manager", "name: Line manager to line manager")
    assert draft.status == PublicationStatus.DRAFT and draft.published_at is None
    policy = Policy.objects.get(pk=policy.pk)
    assert policy.current_version == published
    assert policy.latest_version == draft, "a draft can still be named, e.g. to try a scenario on it"
    assert bcssp.raise_dispute(now=NOW).policy_version == published
    publish_policy_version(version=draft, by=bcssp.admin, now=NOW)
    assert bcssp.raise_dispute(now=NOW).policy_version == draft


# Publishing ------------------------------------------------------------------------------------------------------


def test_publishing_is_audited_with_who_when_and_what_changed(bcssp):
    policy = bcssp.partnership.policy
    draft = admins_edit(policy, "name: Manager to manager", "name: Line manager to line manager")
    changes = publish_policy_version(version=draft, by=bcssp.admin, now=NOW)
    draft.refresh_from_db()
    assert (draft.status, draft.published_at, draft.published_by) == (PublicationStatus.PUBLISHED, NOW, bcssp.admin)
    event = AuditEvent.objects.get(action="policy.published")
    assert (event.actor, event.at, event.partnership) == (bcssp.admin, NOW, bcssp.partnership)
    assert event.after == {
        "policy": "bcssp",
        "version": 2,
        "previous_version": 1,
        "changes": ["Stage 2: renamed from 'Manager to manager' to 'Line manager to line manager'"],
    }
    assert changes == event.after["changes"]


def test_only_a_newer_draft_is_published_and_only_by_the_partnerships_admin(bcssp):
    policy = bcssp.partnership.policy
    older = admins_edit(policy, "name: Manager to manager", "name: Line managers")
    newer = admins_edit(policy, "name: Manager to manager", "name: Team managers")
    for person in (bcssp.business_manager, bcssp.teacher):
        with pytest.raises(ActionRefused, match="admin"):
            publish_policy_version(version=newer, by=person, now=NOW)
    publish_policy_version(version=newer, by=bcssp.admin, now=NOW)
    with pytest.raises(ActionRefused, match="already published"):
        publish_policy_version(version=newer, by=bcssp.admin, now=NOW)
    with pytest.raises(ActionRefused, match="older than the published version 3"):
        publish_policy_version(version=older, by=bcssp.admin, now=NOW)
    assert Policy.objects.get(pk=policy.pk).current_version == newer
    assert AuditEvent.objects.filter(action="policy.published").count() == 1


def test_the_policy_layer_publishes_without_auditing(bcssp):
    draft = admins_edit(bcssp.partnership.policy, "name: Manager to manager", "name: Line managers")
    publish_version(version=draft, by=None, now=NOW)
    assert Policy.objects.get(pk=draft.policy_id).current_version == draft


# The changes, in words -------------------------------------------------------------------------------------------


#: A small policy of the tests' own (the seed files change as policies are corrected).
POLICY = """
slug: diff-test
name: Diff test policy
subjects: [child]
stages:
  - {number: 1, name: Worker to worker, raising_side: Practitioner, other_side: Practitioner,
     approval_required: false}
  - {number: 2, name: Manager to manager, raising_side: Manager, other_side: Manager,
     approver_roles: [manager, dsl]}
  - {number: 3, name: Senior managers, raising_side: Senior manager, other_side: Senior manager,
     approver_roles: [manager]}
deadline_rules:
  - {name: stage-1, label: "Stage 1: within 2 working days", stages: [1], anchor: stage_entry,
     kind: working_days, length: 2, remind: [practitioner], on_breach: [manager]}
  - {name: stage-3, label: "Stage 3: within 5 working days", stages: [3], anchor: stage_entry,
     kind: working_days, length: 5, remind: [senior_manager]}
notification_rules:
  - {event: stage_entered, stages: [3], roles: [business_manager], message: Please record it.}
form_requirements:
  - {stage: 3, event: stage_entered, recipient: business_manager}
final_stage: {decision_maker: The partnership chair}
"""


@pytest.fixture
def document():
    return parse_policy(POLICY, source="diff-test.yaml").model_dump(mode="json")


def changed(document, change):
    new = copy.deepcopy(document)
    change(new)
    return new


def stage(document, number):
    return next(stage for stage in document["stages"] if stage["number"] == number)


def rule(document, name):
    return next(rule for rule in document["deadline_rules"] if rule["name"] == name)


def test_the_diff_says_a_stages_approvers_changed(document):
    new = changed(document, lambda d: stage(d, 3).update(approver_roles=["senior_manager"]))
    assert describe_changes(document, new) == [
        "Stage 3 'Senior managers': approver roles changed from manager to senior manager"
    ]


def test_the_diff_says_a_deadlines_length_changed(document):
    new = changed(document, lambda d: rule(d, "stage-1").update(length=3))
    assert describe_changes(document, new) == ["Deadline rule stage-1: length 2 -> 3 working days"]


def test_the_diff_says_when_a_clock_starts_and_who_is_reminded(document):
    def change(new):
        rule(new, "stage-3")["anchor"] = "raised"
        rule(new, "stage-3")["remind"].append(
            {"raiser": True, "stage_actors": None, "role": None, "sides": "both", "office": None, "any_of": None}
        )

    assert describe_changes(document, changed(document, change)) == [
        "Deadline rule stage-3: clock starts at entry into the current stage -> dispute raised",
        "Deadline rule stage-3: reminded senior manager -> senior manager, the raiser",
    ]


def test_the_diff_says_what_rules_were_added_and_removed(document):
    def change(new):
        new["deadline_rules"] = [r for r in new["deadline_rules"] if r["name"] != "stage-3"]
        new["deadline_rules"].append({**rule(document, "stage-1"), "name": "stage-2", "stages": [2, 3]})
        new["notification_rules"].append(
            {
                "event": "stage_reached",
                "stages": [3],
                "roles": [],
                "sides": "both",
                "to": [{"office": "designated_nurse", "sides": "both"}],
                "condition": "health_agency",
                "message": "",
            }
        )
        new["form_requirements"] = []

    assert describe_changes(document, changed(document, change)) == [
        "Deadline rule removed: stage-3 'Stage 3: within 5 working days'",
        "Deadline rule added: stage-2 'Stage 1: within 2 working days' (stages 2-3, 2 working days)",
        "Notification rule added: on stage reached or passed at stage 3 (a health agency is involved), tell "
        "designated nurse",
        "Form requirement removed: general on stage entered at stage 3, to partnership business manager",
    ]


def test_the_diff_pairs_a_notification_rule_changed(document):
    new = changed(document, lambda d: d["notification_rules"][0].update(roles=["business_manager", "chair"]))
    assert describe_changes(document, new) == [
        "Notification rule on stage entered at stage 3: recipients changed from partnership business manager to "
        "partnership business manager, partnership chair"
    ]


def test_the_diff_of_the_same_document_is_empty_and_a_field_added_since_is_no_change(document):
    assert describe_changes(document, copy.deepcopy(document)) == []
    older = copy.deepcopy(document)
    for item in older["stages"]:
        for key in ("sides", "actors", "outcome_roles", "decision_maker", "confirm_both_sides", "basis"):
            item.pop(key)
    for item in older["deadline_rules"]:
        for key in ("strength", "able_roles", "escalate_on_breach", "basis", "length_basis"):
            item.pop(key)
    older.pop("due_soon_working_days")
    assert describe_changes(older, document) == []


def test_the_first_version_says_what_it_holds(document):
    assert describe_changes(None, document) == ["First published version: 3 stages and 2 deadline rules."]


# The admin's pages -----------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, bcssp):
    bcssp.admin.is_staff = True
    bcssp.admin.save()
    login(client, bcssp.admin)
    return client


def test_saving_in_the_admin_makes_a_draft_and_publishing_shows_the_diff_first(admin_client, bcssp):
    policy = bcssp.partnership.policy
    text = export_policy(policy.current_version).replace("name: Manager to manager", "name: Line managers")
    form = {
        "text": text,
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }
    response = admin_client.post(reverse("admin:policies_policy_change", args=[policy.pk]), form, follow=True)
    assert "Saved as draft version 2" in response.content.decode()
    draft = Policy.objects.get(pk=policy.pk).latest_version
    assert draft.status == PublicationStatus.DRAFT
    assert Policy.objects.get(pk=policy.pk).current_version.number == 1

    url = reverse("admin:policies_policyversion_publish", args=[draft.pk])
    page = admin_client.get(url).content.decode()
    assert "Stage 2: renamed from &#x27;Manager to manager&#x27; to &#x27;Line managers&#x27;" in page
    assert "replaces version 1 for new disputes" in page
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT, "the confirmation page publishes nothing"

    admin_client.post(url)
    assert Policy.objects.get(pk=policy.pk).current_version == draft
    assert AuditEvent.objects.filter(action="policy.published", actor=bcssp.admin).exists()


def test_another_partnerships_version_cannot_be_published(admin_client, world_for):
    away = world_for("tscp", "AWAY")
    draft = admins_edit(away.partnership.policy, "name: Manager to manager", "name: Line managers")
    url = reverse("admin:policies_policyversion_publish", args=[draft.pk])
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url).status_code == 404
    draft.refresh_from_db()
    assert draft.status == PublicationStatus.DRAFT
