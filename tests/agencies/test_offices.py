"""Partnership offices: the posts outside the two agencies a policy may name, and who holds them.

A partnership admin says who holds each office, for their own partnership only, and every change is audited.
"""

import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse

from agencies.models import OFFICES, Office, OfficeHolder, Role
from escalation.access.services import (
    add_office_holder,
    change_office_holder,
    office_holders,
    remove_office_holder,
)
from escalation.audit.models import AuditEvent
from policies.runtime import ActionRefused
from tests.auth_helpers import login
from tests.conftest import build_world, london
from tests.factories import UserFactory, name_in_html

NOW = london(2026, 5, 1, 9)
SINCE = datetime.date(2026, 4, 1)


@pytest.fixture
def worlds(db):
    home = build_world("bcssp", "HOME")
    away = build_world("tscp", "AWAY")
    for world in (home, away):
        world.admin.is_staff = True
        world.admin.save()
    return home, away


@pytest.fixture
def admin_client(client, worlds):
    login(client, worlds[0].admin)
    return client


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def test_the_offices_a_policy_may_name():
    assert list(Office.values) == [
        "cp_chair",
        "iro",
        "designated_nurse",
        "director_childrens_services",
        "director_adult_social_care",
        "independent_chair",
    ]
    assert frozenset(Office.values) == OFFICES
    assert Office.INDEPENDENT_CHAIR.label == "Independent chair, commissioner or panel convenor"


def test_agencies_gain_a_committee_chair_and_a_nominated_representative():
    assert Role.COMMITTEE_CHAIR == "committee_chair"
    assert Role.NOMINATED_REPRESENTATIVE == "nominated_representative"


def test_an_office_may_have_several_holders_but_each_person_once(worlds):
    home, _ = worlds
    first, second = UserFactory(username="iro-1"), UserFactory(username="iro-2")
    for user in (first, second):
        add_office_holder(
            partnership=home.partnership, office=Office.IRO, user=user, since=SINCE, added_by=home.admin, now=NOW
        )
    assert office_holders(partnership=home.partnership, office=Office.IRO) == [first, second]
    with pytest.raises(ActionRefused, match="already holds"):
        add_office_holder(
            partnership=home.partnership, office=Office.IRO, user=first, since=SINCE, added_by=home.admin, now=NOW
        )
    with pytest.raises(IntegrityError):
        OfficeHolder.objects.create(partnership=home.partnership, office=Office.IRO, user=first)


def test_adding_changing_and_removing_a_holder_is_audited(worlds):
    home, _ = worlds
    nurse, locum = UserFactory(username="nurse"), UserFactory(username="locum")
    holder = add_office_holder(
        partnership=home.partnership,
        office=Office.DESIGNATED_NURSE,
        user=nurse,
        since=SINCE,
        note="ICB",
        added_by=home.admin,
        now=NOW,
    )
    change_office_holder(
        holder=holder,
        office=Office.DESIGNATED_NURSE,
        user=locum,
        since=SINCE,
        note="ICB, covering",
        changed_by=home.admin,
        now=NOW,
    )
    remove_office_holder(holder=holder, removed_by=home.admin, now=NOW)
    events = AuditEvent.objects.filter(partnership=home.partnership, action__startswith="office.").order_by("pk")
    assert [e.action for e in events] == ["office.holder_added", "office.holder_changed", "office.holder_removed"]
    added, changed, removed = events
    assert added.after == {
        "office": "designated_nurse",
        "user_id": nurse.pk,
        "username": "nurse",
        "since": "2026-04-01",
        "note": "ICB",
    }
    assert (changed.before["username"], changed.after["username"]) == ("nurse", "locum")
    assert removed.before["username"] == "locum" and removed.after is None
    assert all(event.actor == home.admin for event in events)
    assert not OfficeHolder.objects.exists()


@pytest.mark.parametrize("who", ["business_manager", "chair", "teacher"])
def test_only_a_partnership_admin_says_who_holds_its_offices(worlds, who):
    home, away = worlds
    for person, partnership in ((getattr(home, who), home.partnership), (away.admin, home.partnership)):
        with pytest.raises(ActionRefused, match="Only an admin of this partnership"):
            add_office_holder(
                partnership=partnership,
                office=Office.CP_CHAIR,
                user=UserFactory(),
                since=SINCE,
                added_by=person,
                now=NOW,
            )
    assert not OfficeHolder.objects.exists()


# The admin ---------------------------------------------------------------------------------------------------------


def test_the_admin_sets_holders_in_their_own_partnership_only(admin_client, worlds):
    home, away = worlds
    chair = UserFactory(username="cp-chair-new")
    url = admin_url("agencies_officeholder_add")
    fields = {"office": Office.CP_CHAIR, "user": chair.pk, "since": "2026-04-01", "note": "Reviewing service"}
    response = admin_client.post(url, {**fields, "partnership": away.partnership.pk})
    assert "Select a valid choice" in response.content.decode()
    response = admin_client.post(url, {**fields, "partnership": home.partnership.pk, "user": away.teacher.pk})
    assert "Select a valid choice" in response.content.decode(), "a person of another partnership is not offered"
    assert not OfficeHolder.objects.exists()
    response = admin_client.post(url, {**fields, "partnership": home.partnership.pk})
    assert response.status_code == 302
    holder = OfficeHolder.objects.get()
    assert (holder.partnership, holder.office, holder.user) == (home.partnership, "cp_chair", chair)
    added = AuditEvent.objects.get(action="office.holder_added")
    assert added.actor == home.admin and added.after["username"] == "cp-chair-new"


def test_the_admin_sees_changes_and_removes_only_their_own_holders(admin_client, worlds):
    home, away = worlds
    mine = add_office_holder(
        partnership=home.partnership,
        office=Office.IRO,
        user=UserFactory(username="home-iro"),
        since=SINCE,
        added_by=home.admin,
        now=NOW,
    )
    theirs = add_office_holder(
        partnership=away.partnership,
        office=Office.IRO,
        user=UserFactory(username="away-iro"),
        since=SINCE,
        added_by=away.admin,
        now=NOW,
    )
    listing = admin_client.get(admin_url("agencies_officeholder_changelist")).content.decode()
    assert "home-iro" in listing and "away-iro" not in listing
    for view in ("change", "delete", "history"):
        assert admin_client.get(admin_url(f"agencies_officeholder_{view}", theirs.pk)).status_code == 404, view
    response = admin_client.post(
        admin_url("agencies_officeholder_change", mine.pk),
        {"office": Office.IRO, "user": mine.user.pk, "since": "2026-04-02", "note": "Team B"},
    )
    assert response.status_code == 302
    changed = AuditEvent.objects.get(action="office.holder_changed")
    assert (changed.before["since"], changed.after["since"], changed.after["note"]) == (
        "2026-04-01",
        "2026-04-02",
        "Team B",
    )
    response = admin_client.post(admin_url("agencies_officeholder_delete", mine.pk), {"post": "yes"})
    assert response.status_code == 302
    assert list(OfficeHolder.objects.all()) == [theirs]
    assert AuditEvent.objects.filter(action="office.holder_removed", partnership=home.partnership).count() == 1


def test_bulk_removal_in_the_admin_is_audited_per_holder(admin_client, worlds):
    home, _ = worlds
    holders = [
        add_office_holder(
            partnership=home.partnership,
            office=Office.IRO,
            user=UserFactory(username=f"iro-{n}"),
            since=SINCE,
            added_by=home.admin,
            now=NOW,
        )
        for n in (1, 2)
    ]
    response = admin_client.post(
        admin_url("agencies_officeholder_changelist"),
        {"action": "delete_selected", "_selected_action": [h.pk for h in holders], "post": "yes"},
    )
    assert response.status_code == 302
    assert not OfficeHolder.objects.exists()
    assert AuditEvent.objects.filter(action="office.holder_removed").count() == 2


def test_the_add_page_chooses_the_admins_only_partnership_and_names_people(admin_client, worlds):
    mine = worlds[0]
    page = admin_client.get(admin_url("agencies_officeholder_add")).content.decode()
    assert f'<option value="{mine.partnership.pk}" selected>' in page
    assert "Person:" in page
    chair = mine.chair
    assert f"{name_in_html(chair)} ({chair.get_username()})" in page
