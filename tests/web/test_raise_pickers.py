"""Issue 15, finding 5: choosing an agency or a person scales to 300 agencies and 3,000 staff.

Long lists are a plain <select> (works without JavaScript) that static/js/autocomplete.js turns into GOV.UK's
accessible autocomplete; short lists stay radios, as the Design System advises. The number of queries a
picker page makes does not grow with the list.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, Membership, Role, Sector
from escalation.web.forms import PICKER_RADIOS_UP_TO
from tests.web.conftest import page_text
from tests.web.test_raise_dispute import answer, step_url
from tests.web.test_raise_drafts import start_raising


def add_agencies(world, count: int) -> None:
    Agency.objects.bulk_create(
        Agency(partnership=world.partnership, name=f"School number {n:03d}", sector=Sector.EDUCATION)
        for n in range(count)
    )


def add_staff(agency, count: int, start: int = 0) -> None:
    password = make_password(None)
    users = get_user_model().objects.bulk_create(
        get_user_model()(
            username=f"staff-{agency.pk}-{n}@example.org",
            first_name=f"Person{n:04d}",
            last_name="Example",
            password=password,
        )
        for n in range(start, start + count)
    )
    Membership.objects.bulk_create(
        Membership(user=user, agency=agency, role=Role.PRACTITIONER, designation="Social worker") for user in users
    )


def queries_for(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), page_text(response)


def test_short_lists_stay_radios(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)
    for step in ("other-agency", "decision-maker"):
        page = page_text(client.get(step_url(step)))
        assert 'type="radio"' in page and "<select" not in page, step


def test_300_agencies_are_a_select_with_autocomplete_and_the_queries_stay_flat(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)
    url = step_url("other-agency")
    add_agencies(bcssp, PICKER_RADIOS_UP_TO + 1)
    few, page = queries_for(client, url)
    assert '<select name="other_agency"' in page and 'data-module="app-autocomplete"' in page
    add_agencies_more = 300 - (PICKER_RADIOS_UP_TO + 1)
    Agency.objects.bulk_create(
        Agency(partnership=bcssp.partnership, name=f"Nursery {n:03d}", sector=Sector.EARLY_YEARS)
        for n in range(add_agencies_more)
    )
    many, page = queries_for(client, url)
    assert many == few, "the picker's queries do not grow with the number of agencies"
    assert page.count("<option") >= 300 + 1
    assert 'type="radio"' not in page
    chosen = Agency.objects.get(partnership=bcssp.partnership, name="Nursery 123")
    assert answer(client, "other-agency", {"other_agency": chosen.pk}) == step_url("decision-maker")


def test_3000_staff_are_a_select_with_i_do_not_know_and_the_queries_stay_flat(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)  # the other agency is social care
    url = step_url("decision-maker")
    add_staff(bcssp.social_care, PICKER_RADIOS_UP_TO + 1)
    few, page = queries_for(client, url)
    assert '<select name="other_worker"' in page
    add_staff(bcssp.social_care, 3000 - (PICKER_RADIOS_UP_TO + 1), start=PICKER_RADIOS_UP_TO + 1)
    many, page = queries_for(client, url)
    assert many == few, "the picker's queries do not grow with the number of staff"
    assert page.count("<option") >= 3000
    assert "I do not know" in page
    assert "Person2999 Example (Social worker)" in page
    person = Membership.objects.get(user__first_name="Person1234", agency=bcssp.social_care).user
    assert answer(client, "decision-maker", {"other_worker": person.pk}) == step_url("category")
    check_queries, _ = queries_for(client, step_url("category"))
    assert check_queries < 40


def test_an_empty_choice_from_the_select_is_an_error_named_in_the_summary(bcssp, client_for):
    client = client_for(bcssp.teacher)
    start_raising(client, bcssp)
    add_staff(bcssp.social_care, PICKER_RADIOS_UP_TO + 1)
    response = client.post(step_url("decision-maker"), {"other_worker": ""})
    page = page_text(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert 'href="#id_other_worker"' in page
    assert 'aria-invalid="true"' in page.split("<select")[1].split(">")[0]
