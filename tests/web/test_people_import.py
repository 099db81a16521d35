"""The import pages: upload, the dry run's table and error summary, the import, the template; admins only."""

import csv
import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from agencies.models import Agency
from escalation.accounts import people_import
from escalation.audit.models import AuditEvent
from tests.auth_helpers import login
from tests.escalation.accounts.test_people_import import csv_bytes, people_file


@pytest.fixture
def admin_client(client, bcssp):
    login(client, bcssp.admin)
    return client


def upload(client, data: bytes):
    return client.post(reverse("people-import"), {"file": SimpleUploadedFile("people.csv", data, "text/csv")})


def hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def test_the_upload_page_explains_the_columns_and_offers_the_template(admin_client):
    page = admin_client.get(reverse("people-import")).content.decode()
    for column in people_import.COLUMNS:
        assert column in page
    assert reverse("people-import-template") in page
    assert "Import from a CSV file" in admin_client.get(reverse("people")).content.decode()


def test_the_template_downloads_with_its_columns_and_safe_cells(admin_client):
    response = admin_client.get(reverse("people-import-template"))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == people_import.COLUMNS
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_template_neutralises_formula_cells(admin_client, monkeypatch):
    from escalation.web.views import people_import as view

    monkeypatch.setattr(view, "TEMPLATE_ROWS", [['=HYPERLINK("http://x")', "education", "", "", "", "", ""]])
    text = admin_client.get(reverse("people-import-template")).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][0] == '\'=HYPERLINK("http://x")'


def test_the_template_imports_as_it_is(admin_client, bcssp):
    data = admin_client.get(reverse("people-import-template")).content
    page = upload(admin_client, data).content.decode()
    assert "There is a problem" not in page and "There are problems" not in page
    assert "Import and send 2 invitations" in page


def test_the_dry_run_shows_every_row_and_writes_nothing(admin_client, bcssp):
    before = (Agency.objects.count(), AuditEvent.objects.count())
    page = upload(admin_client, people_file(3, 6)).content.decode()
    assert "Check the import" in page
    assert page.count('id="row-') == 6
    assert "Import and send 6 invitations" in page
    assert (Agency.objects.count(), AuditEvent.objects.count()) == before


def test_problems_are_listed_in_an_error_summary_linking_to_their_rows(admin_client, bcssp):
    data = csv_bytes(
        [
            [bcssp.school.name, "", "good@x.example", "Go", "Od", "practitioner", ""],
            [bcssp.school.name, "", "bad address", "Ba", "Ad", "practitioner", ""],
        ]
    )
    page = upload(admin_client, data).content.decode()
    assert "govuk-error-summary" in page
    assert 'href="#row-3"' in page and 'id="row-3"' in page
    assert "people-import-apply" not in page and reverse("people-import-apply") not in page
    assert "<title>Error:" in page


def test_a_file_that_cannot_be_read_is_an_error_on_the_upload_page(admin_client):
    response = upload(admin_client, b"\xff\xfe\x00garbage")
    assert response.status_code == 200
    assert "UTF-8" in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()


def test_importing_after_the_check(admin_client, bcssp, django_capture_on_commit_callbacks):
    page = upload(admin_client, people_file(2, 3)).content.decode()
    form = {
        "partnership": hidden(page, "partnership"),
        "data": hidden(page, "data"),
        "checked": hidden(page, "checked"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("people-import-apply"), form, follow=True)
    assert response.redirect_chain[-1][0] == reverse("people")
    text = response.content.decode()
    assert "Import finished: 2 agencies added, 3 people invited" in text
    assert len(mail.outbox) == 3
    assert AuditEvent.objects.filter(action="people.imported").count() == 1
    again = upload(admin_client, people_file(2, 3)).content.decode()
    assert "there is nothing to import" in again
    assert reverse("people-import-apply") not in again


def test_a_changed_plan_is_shown_again_and_nothing_is_imported(admin_client, bcssp):
    page = upload(admin_client, people_file(1, 2)).content.decode()
    form = {"partnership": hidden(page, "partnership"), "data": hidden(page, "data"), "checked": "0" * 64}
    response = admin_client.post(reverse("people-import-apply"), form)
    assert "Something changed in your partnership" in response.content.decode()
    assert not AuditEvent.objects.filter(action="people.imported").exists()
    assert not Agency.objects.filter(name="School 00").exists()


def test_a_tampered_file_is_refused(admin_client, bcssp):
    form = {"partnership": bcssp.partnership.pk, "data": "not base64!!", "checked": "0" * 64}
    response = admin_client.post(reverse("people-import-apply"), form)
    assert "upload it again" in response.content.decode()


def test_another_partnership_cannot_be_chosen(admin_client, bcssp, world_for):
    away = world_for("tscp", "AWAY")
    response = admin_client.post(
        reverse("people-import"),
        {"partnership": away.partnership.pk, "file": SimpleUploadedFile("p.csv", people_file(1, 1), "text/csv")},
    )
    assert "Check the import" not in response.content.decode()
    assert "Choose one of the partnerships" in response.content.decode()


@pytest.mark.parametrize("persona", ["teacher", "business_manager", "chair"])
def test_the_pages_do_not_exist_for_anyone_but_an_admin(client, bcssp, persona):
    login(client, getattr(bcssp, persona))
    assert client.get(reverse("people-import")).status_code == 404
    assert client.get(reverse("people-import-template")).status_code == 404
    assert upload(client, people_file(1, 1)).status_code == 404
    assert client.post(reverse("people-import-apply"), {}).status_code == 404


def test_someone_who_administers_several_partnerships_chooses_one(client, bcssp, world_for):
    away = world_for("tscp", "AWAY")
    away.admin.memberships.create(agency=bcssp.office, role="admin")
    login(client, away.admin)
    page = client.get(reverse("people-import")).content.decode()
    assert f'<option value="{bcssp.partnership.pk}"' in page and f'<option value="{away.partnership.pk}"' in page
    response = client.post(
        reverse("people-import"),
        {"partnership": away.partnership.pk, "file": SimpleUploadedFile("p.csv", people_file(1, 1), "text/csv")},
    )
    assert "AWAY partnership" in response.content.decode()
    assert "Import and send 1 invitation" in response.content.decode()
