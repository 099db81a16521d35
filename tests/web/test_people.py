"""The People pages: a partnership admin's list, search, invitation, roles and suspension; nobody else's."""

import pytest
from django.core import mail
from django.urls import reverse

from agencies.models import Membership, Role
from escalation.accounts.models import RoleRequest
from tests.auth_helpers import login
from tests.factories import name_in_html


@pytest.fixture
def admin_client(client, bcssp):
    login(client, bcssp.admin)
    return client


def test_the_list_shows_the_partnerships_people_only(admin_client, bcssp, world_for):
    away = world_for("tscp", "AWAY")
    page = admin_client.get(reverse("people")).content.decode()
    assert name_in_html(bcssp.teacher) in page
    assert bcssp.school.name in page
    assert name_in_html(away.teacher) not in page
    assert admin_client.get(reverse("person", args=[away.teacher.pk])).status_code == 404


def test_search_by_name_address_or_agency(admin_client, bcssp):
    page = admin_client.get(reverse("people"), {"q": bcssp.teacher.last_name}).content.decode()
    assert reverse("person", args=[bcssp.teacher.pk]) in page
    page = admin_client.get(reverse("people"), {"q": "Children's Services"}).content.decode()
    assert reverse("person", args=[bcssp.social_worker.pk]) in page
    assert reverse("person", args=[bcssp.teacher.pk]) not in page
    assert admin_client.get(reverse("people"), {"q": "x" * 5000 + "\x00"}).status_code == 200


@pytest.mark.parametrize("persona", ["teacher", "head", "business_manager", "chair"])
def test_the_pages_do_not_exist_for_anyone_but_an_admin(client, bcssp, persona):
    login(client, getattr(bcssp, persona))
    for url in (reverse("people"), reverse("people-invite"), reverse("person", args=[bcssp.teacher.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("person-suspend", args=[bcssp.teacher.pk])).status_code == 404
    bcssp.teacher.refresh_from_db()
    assert bcssp.teacher.is_active


def test_inviting_on_the_page(admin_client, bcssp, django_capture_on_commit_callbacks):
    url = reverse("people-invite")
    assert "Invite a person" in admin_client.get(url).content.decode()
    empty = admin_client.post(url, {})
    assert "Enter their work e-mail address" in empty.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "first_name": "Nia",
                "last_name": "Jones",
                "email": "nia.jones@school.example",
                "agency": bcssp.school.pk,
                "role": Role.PRACTITIONER,
                "designation": "Class teacher",
            },
        )
    assert response.status_code == 302
    assert mail.outbox[0].to == ["nia.jones@school.example"]
    person_page = admin_client.get(response["Location"]).content.decode()
    assert "Invited" in person_page and "Send a new invitation" in person_page
    again = admin_client.post(
        url,
        {
            "first_name": "Nia",
            "last_name": "Jones",
            "email": "nia.jones@school.example",
            "agency": bcssp.school.pk,
            "role": Role.PRACTITIONER,
        },
    )
    assert "already has an account" in again.content.decode()


def test_roles_change_on_the_person_page(admin_client, bcssp):
    url = reverse("person-add-role", args=[bcssp.teacher.pk])
    admin_client.post(url, {"agency": bcssp.school.pk, "role": Role.DSL})
    assert Membership.objects.filter(user=bcssp.teacher, role=Role.DSL).exists()
    admin_client.post(url, {"agency": bcssp.office.pk, "role": Role.BUSINESS_MANAGER})
    assert not Membership.objects.filter(user=bcssp.teacher, role=Role.BUSINESS_MANAGER).exists()
    assert RoleRequest.objects.filter(user=bcssp.teacher, role=Role.BUSINESS_MANAGER).exists()
    page = admin_client.get(reverse("person", args=[bcssp.teacher.pk])).content.decode()
    assert "Waiting for the partnership chair" in page
    dsl = Membership.objects.get(user=bcssp.teacher, role=Role.DSL)
    admin_client.post(reverse("person-remove-role", args=[bcssp.teacher.pk]), {"membership": dsl.pk})
    assert not Membership.objects.filter(pk=dsl.pk).exists()


def test_their_own_page_offers_no_changes(admin_client, bcssp):
    page = admin_client.get(reverse("person", args=[bcssp.admin.pk])).content.decode()
    assert "This is you" in page
    assert "Give the role" not in page and "Suspend" not in page.split("This is you")[1]


def test_the_people_pages_show_no_case_data(admin_client, bcssp):
    dispute = bcssp.raise_dispute()
    for url in (reverse("people"), reverse("person", args=[bcssp.teacher.pk])):
        body = admin_client.get(url).content.decode()
        assert dispute.reference not in body and "Child A" not in body


def test_the_agency_is_chosen_with_the_autocomplete_over_a_plain_select(admin_client, bcssp):
    """A partnership has hundreds of agencies: a select GOV.UK's accessible autocomplete enhances, usable without it."""
    for url in (reverse("people-invite"), reverse("person", args=[bcssp.teacher.pk])):
        page = admin_client.get(url).content.decode()
        assert 'data-module="app-autocomplete"' in page and "<select" in page, url
        assert "js/autocomplete" in page, url


def test_the_invitation_pages_give_the_links_lifetime_from_its_one_setting(admin_client, settings, monkeypatch):
    from escalation.accounts import invitations

    monkeypatch.setattr(invitations, "INVITATION_DAYS", 3)
    assert "It works once and for 3 days." in admin_client.get(reverse("people-invite")).content.decode()
    unusable = admin_client.get(reverse("invitation-accept", kwargs={"token": "not-a-real-token"}))
    assert "works once and for 3 days" in unusable.content.decode()
