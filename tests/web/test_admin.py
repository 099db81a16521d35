"""The Django admin: a partnership admin sees and changes only their own partnership's set-up."""

import pytest
from django.urls import NoReverseMatch, reverse

from agencies.models import Agency, ClosureDay, Membership, Role
from escalation.audit.models import AuditEvent
from escalation.disputes.models import Dispute
from policies.models import Policy, PolicyVersion
from policies.services import export_policy
from tests.auth_helpers import login
from tests.conftest import build_world
from tests.factories import UserFactory


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


@pytest.fixture
def worlds(db):
    home = build_world("bcssp", "HOME")
    away = build_world("tscp", "AWAY")
    for world in (home, away):
        world.admin.is_staff = True
        world.admin.save()
    home.closure = ClosureDay.objects.create(partnership=home.partnership, date="2026-12-24", reason="Home closed")
    away.closure = ClosureDay.objects.create(partnership=away.partnership, date="2026-12-29", reason="Away closed")
    return home, away


@pytest.fixture
def admin_client(client, worlds):
    home, _ = worlds
    login(client, home.admin)
    return client


def changelist_text(client, name: str) -> str:
    response = client.get(admin_url(f"{name}_changelist"))
    assert response.status_code == 200, name
    return response.content.decode()


def test_the_admin_index_offers_only_partnership_set_up(admin_client):
    page = admin_client.get(admin_url("index")).content.decode()
    for model in ["Partnerships", "Agencies", "Memberships", "Closure days", "Policies"]:
        assert model in page, model
    assert "Audit events" not in page
    assert "Users" not in page


def test_changelists_show_only_their_own_partnership(admin_client, worlds):
    home, away = worlds
    partnerships = changelist_text(admin_client, "agencies_partnership")
    assert home.partnership.name in partnerships
    assert away.partnership.name not in partnerships
    agencies = changelist_text(admin_client, "agencies_agency")
    assert home.school.name in agencies
    assert away.school.name not in agencies
    memberships = changelist_text(admin_client, "agencies_membership")
    assert "home-teacher" in memberships
    assert "away-teacher" not in memberships
    closures = changelist_text(admin_client, "agencies_closureday")
    assert "Home closed" in closures
    assert "Away closed" not in closures
    policies = changelist_text(admin_client, "policies_policy")
    assert "Bath &amp; North East Somerset" in policies
    assert "Torbay" not in policies
    versions = changelist_text(admin_client, "policies_policyversion")
    assert "Torbay" not in versions


def test_the_agency_filter_lists_only_their_agencies(admin_client, worlds):
    _, away = worlds
    assert away.school.name not in changelist_text(admin_client, "agencies_membership")


def test_another_partnerships_objects_are_404(admin_client, worlds):
    _, away = worlds
    membership = Membership.objects.filter(agency=away.school).first()
    version = away.partnership.policy.current_version
    for name, obj in [
        ("agencies_partnership", away.partnership),
        ("agencies_agency", away.school),
        ("agencies_membership", membership),
        ("agencies_closureday", away.closure),
        ("policies_policy", away.partnership.policy),
        ("policies_policyversion", version),
    ]:
        for view in ("change", "delete", "history"):
            assert admin_client.get(admin_url(f"{name}_{view}", obj.pk)).status_code == 404, (name, view)


def test_another_partnerships_agency_cannot_be_changed_by_post(admin_client, worlds):
    _, away = worlds
    response = admin_client.post(
        admin_url("agencies_agency_change", away.school.pk),
        {"name": "Renamed", "sector": "education", "partnership": away.partnership.pk},
    )
    assert response.status_code == 404
    away.school.refresh_from_db()
    assert away.school.name == "AWAY Primary School"


def test_an_agency_cannot_be_added_to_another_partnership(admin_client, worlds):
    home, away = worlds
    url = admin_url("agencies_agency_add")
    response = admin_client.post(url, {"name": "Sneaky", "sector": "education", "partnership": away.partnership.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Agency.objects.filter(name="Sneaky").exists()
    response = admin_client.post(
        url, {"name": "New Nursery", "sector": "early_years", "partnership": home.partnership.pk}
    )
    assert response.status_code == 302
    assert Agency.objects.get(name="New Nursery").partnership == home.partnership


def test_memberships_are_read_here_and_changed_on_the_people_pages(admin_client, worlds):
    """Roles change through the audited service on the People pages (issue 12, F1), never in the admin."""
    home, _ = worlds
    url = admin_url("agencies_membership_add")
    newcomer = UserFactory(username="newcomer")
    response = admin_client.post(url, {"user": newcomer.pk, "agency": home.school.pk, "role": Role.PRACTITIONER})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=newcomer).exists()
    membership = Membership.objects.get(user=home.teacher)
    assert admin_client.get(admin_url("agencies_membership_change", membership.pk)).status_code == 200
    admin_client.post(admin_url("agencies_membership_delete", membership.pk), {"post": "yes"})
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_they_can_edit_their_partnership_but_not_its_reference_prefix(admin_client, worlds):
    home, _ = worlds
    page = admin_client.get(admin_url("agencies_partnership_change", home.partnership.pk)).content.decode()
    assert 'name="reference_prefix"' not in page
    assert 'name="closure_days-0-date"' in page, "closure days are edited with the partnership"
    assert admin_client.get(admin_url("agencies_partnership_add")).status_code == 403


def test_closure_days_are_added_for_their_partnership_only(admin_client, worlds):
    home, away = worlds
    url = admin_url("agencies_closureday_add")
    response = admin_client.post(url, {"partnership": away.partnership.pk, "date": "2026-12-30", "reason": "x"})
    assert "Select a valid choice" in response.content.decode()
    response = admin_client.post(url, {"partnership": home.partnership.pk, "date": "2026-12-30", "reason": "Inset"})
    assert response.status_code == 302
    assert ClosureDay.objects.filter(partnership=home.partnership, date="2026-12-30").exists()


# Policies ------------------------------------------------------------------------------------------------------


def test_policy_yaml_with_errors_shows_the_schema_message(admin_client, worlds):
    home, _ = worlds
    policy = home.partnership.policy
    text = export_policy(policy.current_version).replace("start_stage: 1", "start_stage: 9")
    response = admin_client.post(admin_url("policies_policy_change", policy.pk), {"text": text, **empty_inline()})
    page = response.content.decode()
    assert response.status_code == 200
    assert "start_stage: there is no stage 9" in page
    assert policy.versions.count() == 1


def test_policy_text_that_is_not_yaml_is_explained(admin_client, worlds):
    home, _ = worlds
    policy = home.partnership.policy
    response = admin_client.post(
        admin_url("policies_policy_change", policy.pk), {"text": "stages: [unclosed", **empty_inline()}
    )
    assert "not valid YAML" in response.content.decode()


def empty_inline() -> dict:
    """The management form of the read-only versions inline on the policy page."""
    return {
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "0",
    }


def test_saving_a_policy_makes_a_new_draft_version_and_leaves_disputes_on_theirs(admin_client, worlds):
    home, _ = worlds
    dispute = home.raise_dispute()
    policy = home.partnership.policy
    first = policy.current_version
    url = admin_url("policies_policy_change", policy.pk)
    form_page = admin_client.get(url).content.decode()
    assert "name: Manager to manager" in form_page, "the form starts from the current version's text"
    text = export_policy(first).replace("name: Manager to manager", "name: Line manager to line manager")
    response = admin_client.post(url, {"text": text, **empty_inline()})
    assert response.status_code == 302
    assert Policy.objects.get(pk=policy.pk).current_version == first, "a draft governs nothing until published"
    second = Policy.objects.get(pk=policy.pk).latest_version
    assert (second.number, second.status) == (2, "draft")
    assert second.stage(2).name == "Line manager to line manager"
    assert first.stage(2).name == "Manager to manager", "the old version is untouched"
    assert Dispute.objects.get(pk=dispute.pk).policy_version == first
    event = AuditEvent.objects.get(action="policy.version_created")
    assert event.actor == home.admin
    assert event.after["version"] == 2
    admin_client.post(url, {"text": text, **empty_inline()})
    assert policy.versions.count() == 2, "the same text again is not another version"


def test_the_policy_slug_cannot_be_changed_by_editing(admin_client, worlds):
    home, _ = worlds
    policy = home.partnership.policy
    text = export_policy(policy.current_version).replace("slug: bcssp", "slug: tscp")
    response = admin_client.post(admin_url("policies_policy_change", policy.pk), {"text": text, **empty_inline()})
    assert "keep it as bcssp" in response.content.decode()
    assert Policy.objects.get(slug="tscp").versions.count() == 1


def test_a_stored_version_is_read_only(admin_client, worlds):
    home, _ = worlds
    version = home.partnership.policy.current_version
    url = admin_url("policies_policyversion_change", version.pk)
    page = admin_client.get(url).content.decode()
    assert "Worker to worker (identify the concern)" in page, "its stages are shown"
    assert "Stage 1: within 2 working days" in page, "and its deadline rules"
    assert 'type="submit"' not in page or 'name="_save"' not in page
    assert admin_client.post(url, {"label": "hacked"}).status_code == 403
    assert PolicyVersion.objects.get(pk=version.pk).label == "V5"
    assert admin_client.get(admin_url("policies_policy_add")).status_code == 403


def test_a_shared_policy_is_read_only_for_each_partnership(admin_client, worlds):
    home, away = worlds
    away.partnership.policy = home.partnership.policy
    away.partnership.save()
    policy = home.partnership.policy
    response = admin_client.get(admin_url("policies_policy_change", policy.pk))
    assert response.status_code == 200
    assert 'name="text"' not in response.content.decode()
    response = admin_client.post(admin_url("policies_policy_change", policy.pk), {"text": "x", **empty_inline()})
    assert response.status_code == 403


# Who may enter, and what is never there -------------------------------------------------------------------------


def test_an_admin_without_staff_status_is_not_let_in(client, worlds):
    home, _ = worlds
    home.admin.is_staff = False
    home.admin.save()
    login(client, home.admin)
    response = client.get(admin_url("agencies_agency_changelist"))
    assert response.status_code == 302
    assert "login" in response.url


@pytest.mark.parametrize("persona", ["business_manager", "chair", "head"])
def test_staff_without_an_admin_role_see_nothing(client, worlds, persona):
    home, _ = worlds
    user = getattr(home, persona)
    user.is_staff = True
    user.save()
    login(client, user)
    assert client.get(admin_url("agencies_agency_changelist")).status_code == 403
    assert client.get(admin_url("agencies_agency_change", home.school.pk)).status_code in (403, 404)


def test_disputes_are_not_in_the_admin():
    with pytest.raises(NoReverseMatch):
        admin_url("escalation_dispute_changelist")
    with pytest.raises(NoReverseMatch):
        admin_url("escalation_subject_changelist")


def test_the_audit_trail_is_for_superusers_and_read_only(client, admin_client, worlds):
    home, _ = worlds
    home.raise_dispute()
    assert admin_client.get(admin_url("escalation_auditevent_changelist")).status_code == 403
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.logout()
    login(client, superuser)
    assert client.get(admin_url("escalation_auditevent_changelist")).status_code == 200
    event = AuditEvent.objects.first()
    assert client.get(admin_url("escalation_auditevent_change", event.pk)).status_code == 200
    assert client.post(admin_url("escalation_auditevent_delete", event.pk), {"post": "yes"}).status_code == 403
    assert client.get(admin_url("escalation_auditevent_add")).status_code == 403


def test_a_superuser_sees_every_partnership(client, worlds):
    home, away = worlds
    login(client, UserFactory(username="root", is_staff=True, is_superuser=True))
    page = changelist_text(client, "agencies_partnership")
    assert home.partnership.name in page
    assert away.partnership.name in page
