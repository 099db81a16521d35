"""The partnership's register: who may read it, its filters, sorting, pages, query count and CSV export."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Sector
from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.disputes.models import Dispute
from escalation.web.views import register as register_views
from escalation.web.views.register import safe_cell
from policies.vocabulary import DisputeState
from tests.auth_helpers import login
from tests.conftest import build_world, london
from tests.factories import AgencyFactory, member

REGISTER = reverse("register")
CSV = reverse("register-csv")


def csv_rows(response) -> list[list[str]]:
    assert response.streaming, "the export is streamed"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def references(response) -> list[str]:
    """Dispute references in the register table, in the order shown."""
    return re.findall(
        r'<th scope="row" class="govuk-table__header"><a class="govuk-link[^"]*" href="[^"]+">([^<]+)</a>',
        response.content.decode(),
    )


@pytest.fixture
def world(bcssp):
    """Four disputes in BCSSP, differing in every filtered field, and one in another partnership."""
    w = bcssp
    w.health = AgencyFactory(partnership=w.partnership, name="BCSSP Health Visiting", sector=Sector.HEALTH)
    w.health_visitor = member(w.health, "practitioner", username="bcssp-hv")
    w.first = w.raise_dispute(now=london(2026, 3, 2, 10, 0), description="Referral closed with no assessment.")
    w.second = w.raise_dispute(
        now=london(2026, 3, 9, 10, 0),
        category="communication",
        description="Strategy meeting minutes never shared.",
        subject={"kind": "adult", "name": "Adult B"},
    )
    w.third = w.raise_dispute(
        now=london(2026, 4, 14, 10, 0),
        raised_by=w.health_visitor,
        raising_agency=w.health,
        other_agency=w.bystander,
        category="need_for_action",
        description="Police did not attend the home visit.",
    )
    w.fourth = w.raise_dispute(now=london(2026, 5, 5, 10, 0), description="Plan not progressed for weeks.")
    Dispute.objects.filter(pk=w.second.pk).update(state=DisputeState.IN_DISCUSSION)
    Dispute.objects.filter(pk=w.fourth.pk).update(state=DisputeState.RESOLVED, current_stage=2)
    Deadline.objects.filter(dispute=w.third, closed_at__isnull=True).update(breached_at=london(2026, 4, 20, 17, 0))
    w.away = build_world("tscp", "AWAY")
    w.away_dispute = w.away.raise_dispute(now=london(2026, 3, 3, 10, 0), description="Referral closed.")
    return w


@pytest.fixture
def manager_client(client, world):
    login(client, world.business_manager)
    return client


# Who may read it ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [REGISTER, CSV, reverse("themes")])
@pytest.mark.parametrize("persona", ["teacher", "head", "social_worker", "team_manager", "outsider", "admin"])
def test_people_who_are_not_partnership_staff_are_told_it_does_not_exist(client, world, url, persona):
    login(client, getattr(world, persona))
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action__in=["register.viewed", "register.exported"]).exists()


@pytest.mark.parametrize("url", [REGISTER, CSV, reverse("themes")])
def test_signed_out_visitors_are_sent_to_sign_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["business_manager", "chair"])
def test_partnership_staff_see_every_dispute_of_their_partnership_and_no_other(client, world, persona):
    login(client, getattr(world, persona))
    response = client.get(REGISTER)
    assert response.status_code == 200
    shown = references(response)
    assert sorted(shown) == sorted(d.reference for d in (world.first, world.second, world.third, world.fourth))
    assert world.away_dispute.reference not in response.content.decode()


def test_another_partnerships_register_cannot_be_asked_for_by_name(client, world):
    login(client, world.business_manager)
    assert client.get(REGISTER, {"partnership": world.away.partnership.slug}).status_code == 404
    assert client.get(CSV, {"partnership": world.away.partnership.slug}).status_code == 404


def test_someone_overseeing_two_partnerships_chooses_which(client, world):
    member(world.away.office, "business_manager", username="bcssp-bm", first_name="Same")
    login(client, world.business_manager)
    home = client.get(REGISTER)
    assert world.away.partnership.name in home.content.decode()
    away = client.get(REGISTER, {"partnership": world.away.partnership.slug})
    assert references(away) == [world.away_dispute.reference]


def test_each_view_is_audited_with_its_filters(manager_client, world):
    manager_client.get(REGISTER, {"state": "raised", "q": "referral", "page": "1"})
    event = AuditEvent.objects.get(action="register.viewed")
    assert event.actor == world.business_manager
    assert event.partnership == world.partnership
    assert event.after["filters"] == {"text": "referral", "state": "raised"}
    assert event.after["page"] == 1


# Filters and search --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"stage": "2"}, ["fourth"]),
        ({"state": "in_discussion"}, ["second"]),
        ({"state": "raised"}, ["third", "first"]),
        ({"category": "communication"}, ["second"]),
        ({"subject_kind": "adult"}, ["second"]),
        ({"overdue": "on"}, ["third"]),
        ({"sector": Sector.HEALTH}, ["third"]),
        ({"sector": Sector.POLICE}, ["third"]),
        ({"raised_from_0": "9", "raised_from_1": "3", "raised_from_2": "2026"}, ["fourth", "third", "second"]),
        ({"raised_to_0": "9", "raised_to_1": "3", "raised_to_2": "2026"}, ["second", "first"]),
        (
            {
                "raised_from_0": "3",
                "raised_from_1": "3",
                "raised_from_2": "2026",
                "raised_to_0": "14",
                "raised_to_1": "4",
                "raised_to_2": "2026",
            },
            ["third", "second"],
        ),
        ({"q": "minutes never"}, ["second"]),
        ({"q": "REFERRAL"}, ["first"]),
        ({"state": "raised", "category": "levels_of_need"}, ["first"]),
    ],
)
def test_filters_narrow_the_register(manager_client, world, params, expected):
    response = manager_client.get(REGISTER, params)
    assert response.status_code == 200
    assert references(response) == [getattr(world, name).reference for name in expected]


def test_agency_filter_matches_either_side(manager_client, world):
    raising = references(manager_client.get(REGISTER, {"agency": world.health.pk}))
    other = references(manager_client.get(REGISTER, {"agency": world.bystander.pk}))
    assert raising == other == [world.third.reference]
    both = references(manager_client.get(REGISTER, {"agency": world.social_care.pk}))
    assert sorted(both) == sorted(d.reference for d in (world.first, world.second, world.fourth))


def test_search_finds_a_reference(manager_client, world):
    assert references(manager_client.get(REGISTER, {"q": world.second.reference.lower()})) == [world.second.reference]
    partial = world.second.reference.rsplit("-", 1)[0]  # BCSSP-2026: every dispute raised that year
    assert len(references(manager_client.get(REGISTER, {"q": partial}))) == 4
    assert references(manager_client.get(REGISTER, {"q": "BCSSP-2026-9999"})) == []


def test_an_agency_of_another_partnership_is_not_a_valid_choice(manager_client, world):
    response = manager_client.get(REGISTER, {"agency": world.away.school.pk})
    assert "Select a valid choice" in response.content.decode()
    assert len(references(response)) == 4, "the bad filter is left out, not applied"


def test_chosen_filters_stay_chosen_and_a_wrong_one_is_marked_and_described(manager_client, world):
    html = manager_client.get(REGISTER, {"state": DisputeState.IN_DISCUSSION, "agency": world.away.school.pk}).content
    page = html.decode()
    assert f'<option value="{DisputeState.IN_DISCUSSION}" selected>' in page
    chosen = re.findall(r'<option value="([^"]+)" selected>', page)
    assert chosen == [DisputeState.IN_DISCUSSION], "only the state asked for is chosen; the wrong agency is not"
    agency = re.search(r'<div id="div_id_agency" class="([^"]+)">(.*?)</div>\s*</div>', page, re.S)
    assert "govuk-form-group--error" in agency.group(1)
    assert 'id="id_agency_1_error"' in agency.group(2) and "Select a valid choice" in agency.group(2)
    assert 'aria-describedby="id_agency_hint id_agency_1_error" aria-invalid="true"' in agency.group(2)
    assert "govuk-select--error" in agency.group(2)
    # A select without a hint names its error alone.
    stage = manager_client.get(REGISTER, {"stage": "99"}).content.decode()
    assert 'aria-describedby="id_stage_1_error" aria-invalid="true"' in stage


def test_the_filter_form_is_drawn_in_as_many_templates_however_many_agencies_it_lists(manager_client, world):
    """Each option of a select drawn by crispy-forms was a template of its own (the filter form was about half the
    time it took to draw the page), so the page grew with every agency, stage and category it listed."""
    drawn = len(manager_client.get(REGISTER).templates)
    for i in range(40):
        AgencyFactory(partnership=world.partnership, name=f"BCSSP School {i}", sector=Sector.EDUCATION)
    page = manager_client.get(REGISTER)
    assert "BCSSP School 39" in page.content.decode()
    assert len(page.templates) == drawn


def test_a_date_that_does_not_exist_is_explained_and_kept(manager_client, world):
    response = manager_client.get(
        REGISTER, {"raised_from_0": "31", "raised_from_1": "2", "raised_from_2": "2026", "state": "raised"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert "Raised from must be a real date" in page
    assert 'href="#id_raised_from_0"' in page or 'href="#id_raised_from"' in page, "the summary links to the field"
    assert 'value="31"' in page, "what was typed is kept"
    assert references(response) == [world.third.reference, world.first.reference], "the valid filter still applies"


@pytest.mark.parametrize(
    "params, message",
    [
        ({"raised_from_0": "1", "raised_from_1": "", "raised_from_2": "2026"}, "Raised from must include a month"),
        ({"raised_to_0": "1", "raised_to_1": "13", "raised_to_2": "2026"}, "Raised to must be a real date"),
        ({"raised_to_0": "1", "raised_to_1": "1", "raised_to_2": "26"}, "Raised to: enter the year as 4 digits"),
        (
            {
                "raised_from_0": "2",
                "raised_from_1": "3",
                "raised_from_2": "2026",
                "raised_to_0": "1",
                "raised_to_1": "3",
                "raised_to_2": "2026",
            },
            "Raised to must be the same as or after raised from",
        ),
    ],
)
def test_date_range_messages(manager_client, world, params, message):
    assert message in manager_client.get(REGISTER, params).content.decode()


# Sorting and pages --------------------------------------------------------------------------------------------


def test_newest_first_by_default_and_headers_say_how_it_is_sorted(manager_client, world):
    response = manager_client.get(REGISTER)
    page = response.content.decode()
    assert references(response) == [
        world.fourth.reference,
        world.third.reference,
        world.second.reference,
        world.first.reference,
    ]
    assert re.search(r'aria-sort="descending">\s*<a class="govuk-link" href="\?sort=raised">Raised', page)
    assert page.count('aria-sort="none"') == 3


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("reference", ["first", "second", "third", "fourth"]),
        ("-reference", ["fourth", "third", "second", "first"]),
        ("raised", ["first", "second", "third", "fourth"]),
        ("-stage", ["fourth", "third", "second", "first"]),
        ("state", ["second", "first", "third", "fourth"]),
        ("nonsense", ["fourth", "third", "second", "first"]),
    ],
)
def test_sorting_by_column(manager_client, world, sort, expected):
    response = manager_client.get(REGISTER, {"sort": sort})
    assert references(response) == [getattr(world, name).reference for name in expected]


def test_sort_links_keep_the_filters_and_go_back_to_page_one(manager_client, world):
    page = manager_client.get(REGISTER, {"state": "raised", "page": "1", "sort": "reference"}).content.decode()
    assert 'href="?state=raised&amp;sort=-reference"' in page, "clicking the sorted column reverses it"
    assert 'aria-sort="ascending"' in page


def bulk_disputes(world, count: int, start: int = 0) -> None:
    """Cheap disputes straight into the table, as the register reads them (no services, no side effects)."""
    from escalation.disputes.models import Subject

    version = world.partnership.policy.current_version
    subjects = Subject.objects.bulk_create(
        Subject(partnership=world.partnership, kind="child", name=f"Child {i}") for i in range(start, start + count)
    )
    Dispute.objects.bulk_create(
        Dispute(
            reference=f"BULK-{i:05d}",
            partnership=world.partnership,
            policy_version=version,
            subject=subject,
            raising_agency=world.school,
            other_agency=world.social_care,
            raised_by=world.teacher,
            category="levels_of_need",
            description=f"Bulk dispute {i}",
            raised_at=london(2025, 1, 1, 9, 0) + datetime.timedelta(hours=i),
            current_stage=1,
        )
        for i, subject in zip(range(start, start + count), subjects, strict=True)
    )


def test_pages_of_the_register(manager_client, world):
    bulk_disputes(world, 26)  # 30 in all
    first = manager_client.get(REGISTER, {"per_page": "25", "sort": "reference"})
    second = manager_client.get(REGISTER, {"per_page": "25", "sort": "reference", "page": "2"})
    assert len(references(first)) == 25
    assert len(references(second)) == 5
    assert not set(references(first)) & set(references(second))
    assert "30 disputes" in first.content.decode()
    assert 'aria-label="Register pages"' in first.content.decode()
    assert 'href="?per_page=25&amp;sort=reference&amp;page=2"' in first.content.decode()


def test_past_the_count_cap_the_page_says_more_than(manager_client, world, monkeypatch):
    monkeypatch.setattr(register_views, "COUNT_CAP", 3)
    response = manager_client.get(REGISTER, {"per_page": "25"})
    assert "More than 3 disputes" in response.content.decode()
    assert len(references(response)) == 3, "pages stop at the cap"


def register_queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(REGISTER, params).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_page_size_or_disputes(manager_client, world, django_assert_max_num_queries):
    manager_client.get(REGISTER)  # the session's first request does its own one-off work
    small = register_queries(manager_client, per_page=25)
    bulk_disputes(world, 120)
    Deadline.objects.filter(dispute__in=Dispute.objects.all()).update(breached_at=london(2026, 6, 1, 17, 0))
    assert register_queries(manager_client, per_page=25) == small
    assert register_queries(manager_client, per_page=100) == small
    assert register_queries(manager_client, per_page=100, sort="stage", overdue="on", q="closed") == small
    # The register's own eleven (partnerships, stages, agencies, category labels of the policy's versions, that the
    # reader oversees this partnership, count, page ids, rows, the partnership's closure days for the next-deadline
    # column, audit row, when deadlines were last checked) plus the session, user, two-factor, navigation and
    # notification-count queries every page makes.
    with django_assert_max_num_queries(21):
        manager_client.get(REGISTER, {"per_page": "100"})


# CSV export ---------------------------------------------------------------------------------------------------


def test_csv_export_has_the_filtered_disputes_and_is_audited(manager_client, world):
    response = manager_client.get(CSV, {"state": "raised", "sort": "reference"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    rows = csv_rows(response)
    assert rows[0][0] == "Reference"
    assert [row[0] for row in rows[1:]] == [world.first.reference, world.third.reference]
    third = dict(zip(rows[0], rows[2], strict=True))
    assert third["Raising agency"] == "BCSSP Health Visiting"
    assert third["Other agency sector"] == "Police"
    assert third["Overdue"] == "Yes"
    assert third["Raised (UK time)"] == "2026-04-14 10:00"
    event = AuditEvent.objects.get(action="register.exported")
    assert event.after == {"filters": {"state": "raised"}, "sort": "reference", "rows": 2}
    assert event.partnership == world.partnership


def test_csv_leaves_out_the_childs_details(manager_client, world):
    text = "\n".join(",".join(row) for row in csv_rows(manager_client.get(CSV)))
    assert "Child A" not in text
    assert "Adult B" not in text


def test_csv_cells_that_a_spreadsheet_would_run_are_made_safe(manager_client, world):
    Dispute.objects.filter(pk=world.first.pk).update(description='=HYPERLINK("http://evil.example","Click")')
    Dispute.objects.filter(pk=world.second.pk).update(description="@SUM(A1:A9)")
    world.health.name = "+44 Health"
    world.health.save()
    rows = {row[0]: row for row in csv_rows(manager_client.get(CSV))}
    assert rows[world.first.reference][-1] == '\'=HYPERLINK("http://evil.example","Click")'
    assert rows[world.second.reference][-1] == "'@SUM(A1:A9)"
    assert rows[world.third.reference][2] == "'+44 Health"


@pytest.mark.parametrize(
    "value, safe",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (2, "2"),
    ],
)
def test_safe_cell(value, safe):
    assert safe_cell(value) == safe


def test_csv_of_another_partnership_is_not_reachable_by_a_chair_of_this_one(client, world):
    login(client, world.chair)
    rows = csv_rows(client.get(CSV))
    assert world.away_dispute.reference not in {row[0] for row in rows}
    assert len(rows) == 5
