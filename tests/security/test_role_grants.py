"""Role grants under control (issue 12, F1 and item 3).

F1: a partnership admin could give themselves business manager, chair or a role in any agency in the Django admin,
then read every dispute and export the register, and the change was not audited. Now every grant and removal is a
service (`escalation.accounts.roles`), audited; nobody changes their own roles or offices; business manager and
chair wait for the partnership chair's (or a superuser's) approval, decided by someone other than the person who
asked and the person it is for.
"""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from agencies.models import Membership, Office, OfficeHolder, Role
from escalation.access.services import add_office_holder
from escalation.accounts.models import RoleRequest
from escalation.accounts.roles import (
    approve_role_request,
    grant_role,
    refuse_role_request,
    remove_role,
    requests_for_decider,
)
from escalation.audit.models import AuditEvent
from policies.runtime import ActionRefused
from tests.auth_helpers import login
from tests.conftest import build_world
from tests.factories import UserFactory, name_in_html


@pytest.fixture
def home(db):
    world = build_world("bcssp", "HOME")
    world.admin.is_staff = True
    world.admin.save()
    return world


@pytest.fixture
def admin_client(client, home):
    login(client, home.admin)
    return client


def roles_of(user) -> set[tuple[int, str]]:
    return set(Membership.objects.filter(user=user).values_list("agency_id", "role"))


# F1 in the Django admin ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.BUSINESS_MANAGER, Role.CHAIR, Role.PRACTITIONER, Role.MANAGER])
def test_an_admin_cannot_give_themselves_a_role_in_the_django_admin(admin_client, home, role):
    agency = home.office if role in (Role.BUSINESS_MANAGER, Role.CHAIR) else home.school
    before = roles_of(home.admin)
    admin_client.post(
        reverse("admin:agencies_membership_add"), {"user": home.admin.pk, "agency": agency.pk, "role": role}
    )
    assert roles_of(home.admin) == before, f"the admin gave themselves {role}"
    assert admin_client.get(reverse("register")).status_code == 404
    assert admin_client.get(reverse("register-csv")).status_code == 404


def test_an_admin_cannot_change_or_delete_their_own_membership_in_the_django_admin(admin_client, home):
    own = Membership.objects.get(user=home.admin, role=Role.ADMIN)
    admin_client.post(
        reverse("admin:agencies_membership_change", args=[own.pk]),
        {"user": home.admin.pk, "agency": home.office.pk, "role": Role.BUSINESS_MANAGER},
    )
    own.refresh_from_db()
    assert own.role == Role.ADMIN
    admin_client.post(reverse("admin:agencies_membership_delete", args=[own.pk]), {"post": "yes"})
    assert Membership.objects.filter(pk=own.pk).exists()


def test_the_django_admin_changes_no_role_without_the_service(admin_client, home):
    """A partnership admin reads memberships in the admin; adding, changing and removing are on the People pages."""
    newcomer = UserFactory(username="newcomer")
    response = admin_client.post(
        reverse("admin:agencies_membership_add"),
        {"user": newcomer.pk, "agency": home.school.pk, "role": Role.PRACTITIONER},
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=newcomer).exists()
    assert admin_client.get(reverse("admin:agencies_membership_changelist")).status_code == 200


def test_a_superusers_grant_in_the_django_admin_is_audited(client, home):
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    login(client, superuser)
    newcomer = UserFactory(username="newcomer")
    response = client.post(
        reverse("admin:agencies_membership_add"),
        {"user": newcomer.pk, "agency": home.office.pk, "role": Role.BUSINESS_MANAGER, "designation": ""},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(user=newcomer, role=Role.BUSINESS_MANAGER).exists()
    event = AuditEvent.objects.get(action="role.granted")
    assert event.actor == superuser
    assert event.after["user_id"] == newcomer.pk and event.after["role"] == Role.BUSINESS_MANAGER


def test_an_admin_cannot_make_themselves_an_office_holder(admin_client, home):
    admin_client.post(
        reverse("admin:agencies_officeholder_add"),
        {
            "partnership": home.partnership.pk,
            "office": Office.CP_CHAIR,
            "user": home.admin.pk,
            "since": "2026-01-05",
        },
    )
    assert not OfficeHolder.objects.filter(user=home.admin).exists()
    with pytest.raises(ActionRefused):
        add_office_holder(
            partnership=home.partnership,
            office=Office.CP_CHAIR,
            user=home.admin,
            since=timezone.localdate(),
            added_by=home.admin,
            now=timezone.now(),
        )


# The services ------------------------------------------------------------------------------------------------------


def test_a_grant_and_a_removal_are_audited_who_whom_which_role_when(home):
    now = timezone.now()
    newcomer = UserFactory(username="newcomer")
    membership = grant_role(user=newcomer, agency=home.school, role=Role.MANAGER, granted_by=home.admin, now=now)
    assert isinstance(membership, Membership)
    granted = AuditEvent.objects.get(action="role.granted")
    assert (granted.actor, granted.at, granted.partnership) == (home.admin, now, home.partnership)
    assert granted.after == {
        "user_id": newcomer.pk,
        "username": "newcomer",
        "agency_id": home.school.pk,
        "agency": home.school.name,
        "role": Role.MANAGER,
        "requested_by": None,
    }
    remove_role(membership=membership, removed_by=home.admin, now=now)
    removed = AuditEvent.objects.get(action="role.removed")
    assert removed.actor == home.admin and removed.before["role"] == Role.MANAGER
    assert not Membership.objects.filter(user=newcomer).exists()


def test_nobody_changes_their_own_roles(home):
    now = timezone.now()
    with pytest.raises(ActionRefused, match="your own roles"):
        grant_role(user=home.admin, agency=home.school, role=Role.PRACTITIONER, granted_by=home.admin, now=now)
    own = Membership.objects.get(user=home.admin, role=Role.ADMIN)
    with pytest.raises(ActionRefused, match="your own roles"):
        remove_role(membership=own, removed_by=home.admin, now=now)
    assert not AuditEvent.objects.filter(action__startswith="role.").exists()


def test_an_admin_of_another_partnership_or_a_non_admin_changes_nothing(home, world_for):
    away = world_for("tscp", "AWAY")
    now = timezone.now()
    for outsider in (away.admin, home.business_manager, home.chair, home.head):
        with pytest.raises(ActionRefused):
            grant_role(user=home.teacher, agency=home.school, role=Role.MANAGER, granted_by=outsider, now=now)
    assert (home.school.pk, Role.MANAGER) not in roles_of(home.teacher)


@pytest.mark.parametrize("role", [Role.BUSINESS_MANAGER, Role.CHAIR])
def test_business_manager_and_chair_wait_for_the_chairs_approval(home, role):
    now = timezone.now()
    newcomer = UserFactory(username="newcomer")
    request = grant_role(user=newcomer, agency=home.office, role=role, granted_by=home.admin, now=now)
    assert isinstance(request, RoleRequest) and request.status == RoleRequest.Status.PENDING
    assert not Membership.objects.filter(user=newcomer).exists(), "nothing is given before approval"
    assert AuditEvent.objects.get(action="role.requested").after["request_id"] == request.pk
    assert grant_role(user=newcomer, agency=home.office, role=role, granted_by=home.admin, now=now) == request

    assert list(requests_for_decider(home.chair)) == [request]
    assert not requests_for_decider(home.admin).exists()
    with pytest.raises(ActionRefused):
        approve_role_request(request=request, approved_by=home.admin, now=now)
    with pytest.raises(ActionRefused):
        approve_role_request(request=request, approved_by=home.business_manager, now=now)

    membership = approve_role_request(request=request, approved_by=home.chair, now=now)
    assert membership.role == role and membership.user == newcomer
    granted = AuditEvent.objects.get(action="role.granted")
    assert granted.actor == home.chair and granted.after["requested_by"] == home.admin.get_username()
    with pytest.raises(ActionRefused, match="already been decided"):
        refuse_role_request(request=request, refused_by=home.chair, now=now)


def test_the_chair_cannot_approve_a_grant_to_themselves_or_one_they_asked_for(home):
    now = timezone.now()
    home.chair.memberships.create(agency=home.office, role=Role.ADMIN)
    for_the_chair = grant_role(
        user=home.chair, agency=home.office, role=Role.BUSINESS_MANAGER, granted_by=home.admin, now=now
    )
    newcomer = UserFactory(username="newcomer")
    asked_by_the_chair = grant_role(
        user=newcomer, agency=home.office, role=Role.BUSINESS_MANAGER, granted_by=home.chair, now=now
    )
    for request in (for_the_chair, asked_by_the_chair):
        with pytest.raises(ActionRefused, match="Someone else must decide"):
            approve_role_request(request=request, approved_by=home.chair, now=now)
    assert not requests_for_decider(home.chair).exists()
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    approve_role_request(request=asked_by_the_chair, approved_by=superuser, now=now)
    refuse_role_request(request=for_the_chair, refused_by=superuser, now=now)
    assert Membership.objects.filter(user=newcomer, role=Role.BUSINESS_MANAGER).exists()
    assert not Membership.objects.filter(user=home.chair, role=Role.BUSINESS_MANAGER).exists()
    assert AuditEvent.objects.get(action="role.request_refused").actor == superuser


def test_the_admin_role_lets_into_the_django_admin_and_losing_it_lets_out(home):
    now = timezone.now()
    newcomer = UserFactory(username="newcomer")
    membership = grant_role(user=newcomer, agency=home.office, role=Role.ADMIN, granted_by=home.admin, now=now)
    newcomer.refresh_from_db()
    assert newcomer.is_staff
    remove_role(membership=membership, removed_by=home.admin, now=now)
    newcomer.refresh_from_db()
    assert not newcomer.is_staff


# On the People pages -----------------------------------------------------------------------------------------------


def test_an_admin_posting_a_role_for_themselves_on_the_people_page_is_refused(admin_client, home):
    before = roles_of(home.admin)
    response = admin_client.post(
        reverse("person-add-role", args=[home.admin.pk]),
        {"agency": home.office.pk, "role": Role.BUSINESS_MANAGER},
    )
    assert response.status_code == 200
    assert "You cannot change your own roles" in response.content.decode()
    assert roles_of(home.admin) == before
    assert not RoleRequest.objects.exists()
    own = Membership.objects.get(user=home.admin, role=Role.ADMIN)
    admin_client.post(reverse("person-remove-role", args=[home.admin.pk]), {"membership": own.pk})
    assert Membership.objects.filter(pk=own.pk).exists()


def test_the_chair_approves_on_the_role_approvals_page(client, admin_client, home):
    newcomer = UserFactory(username="newcomer")
    newcomer.memberships.create(agency=home.school, role=Role.PRACTITIONER)
    response = admin_client.post(
        reverse("person-add-role", args=[newcomer.pk]), {"agency": home.office.pk, "role": Role.CHAIR}
    )
    assert response.status_code == 302
    request = RoleRequest.objects.get(user=newcomer)
    assert admin_client.get(reverse("role-requests")).status_code == 404, "an admin decides nothing"
    login(client, home.chair)
    page = client.get(reverse("role-requests")).content.decode()
    assert "Partnership chair" in page and name_in_html(newcomer) in page
    client.post(reverse("role-requests"), {"request": request.pk, "decision": "approve"})
    request.refresh_from_db()
    assert request.status == RoleRequest.Status.APPROVED and request.decided_by == home.chair
    assert get_user_model().objects.get(pk=newcomer.pk).memberships.filter(role=Role.CHAIR).exists()
