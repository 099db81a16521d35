"""The policy page's "Try a scenario": for the partnership's admins only, audited, and nothing kept."""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from escalation.audit.models import AuditEvent
from escalation.disputes.models import Dispute
from tests.auth_helpers import login
from tests.conftest import build_world

SCENARIO = """\
policy: tscp
agencies: {raising: education, other: childrens_social_care}
until: "2026-05-27T09:00:00+01:00"
steps:
  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}
  - {at: "2026-05-18T11:00:00+01:00", do: approve_escalation, by: other.practitioner}
"""


def text_of(response) -> str:
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(page))


@pytest.fixture
def worlds(db):
    return build_world("tscp", "TSCP"), build_world("bcssp", "BCSSP")


def url(slug: str = "tscp") -> str:
    return reverse("policy-try-scenario", args=[slug])


def test_an_admin_plays_a_scenario_and_sees_the_timeline(client, worlds):
    tscp, _ = worlds
    login(client, tscp.admin)
    assert client.get(url()).status_code == 200
    disputes = Dispute.objects.count()
    response = client.post(url(), {"scenario": SCENARIO})
    assert response.status_code == 200
    text = text_of(response)
    assert "What happens" in text
    assert "raising.practitioner raises the dispute (step 1)" in text
    assert "Refused other.practitioner approves the escalation (step 2): refused." in text
    assert "Deadline stages-1-and-2 missed" in text
    assert '{"at": "2026-05-18T10:00:00+01:00", "step": 1, "do": "raise"' in html.unescape(response.content.decode())
    assert Dispute.objects.count() == disputes
    event = AuditEvent.objects.get(action="policy.scenario_tried")
    assert event.actor == tscp.admin
    assert event.partnership == tscp.partnership
    assert event.after == {"policy": "tscp", "version": 1, "steps": 2, "lines": event.after["lines"]}


def test_the_policy_page_links_to_it_for_admins_only(client, worlds):
    tscp, _ = worlds
    login(client, tscp.admin)
    assert url() in client.get(reverse("policy", args=["tscp"])).content.decode()
    login(client, tscp.teacher)
    assert url() not in client.get(reverse("policy", args=["tscp"])).content.decode()


def test_an_uploaded_file_is_played(client, worlds):
    tscp, _ = worlds
    login(client, tscp.admin)
    upload = SimpleUploadedFile("scenario.yaml", SCENARIO.encode(), content_type="application/x-yaml")
    response = client.post(url(), {"scenario": "", "scenario_file": upload})
    assert "raising.practitioner raises the dispute (step 1)" in text_of(response)


def test_a_bad_scenario_is_shown_with_what_was_typed(client, worlds):
    tscp, _ = worlds
    login(client, tscp.admin)
    typed = SCENARIO.replace("by: other.practitioner", "by: other.chief")
    response = client.post(url(), {"scenario": typed})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "There is a problem with the scenario" in page
    assert "Step 2 (approve_escalation): by: 'other.chief': an agency has no role 'chief'" in page
    assert "by: other.chief}" in page  # what was typed, kept in the box
    assert "What happens" not in page
    assert not AuditEvent.objects.filter(action="policy.scenario_tried").exists()


def test_an_empty_form_asks_for_a_scenario(client, worlds):
    tscp, _ = worlds
    login(client, tscp.admin)
    response = client.post(url(), {"scenario": "  "})
    assert "Paste a scenario or choose a file to upload" in text_of(response)


def test_another_policy_or_a_file_path_cannot_be_named(client, worlds):
    tscp, _ = worlds
    login(client, tscp.admin)
    for named in ("bcssp", "../seed/tscp.yaml"):
        response = client.post(url(), {"scenario": SCENARIO.replace("policy: tscp", f"policy: {named}")})
        assert "Policy: here a scenario plays tscp" in text_of(response)


@pytest.mark.parametrize("persona", ["teacher", "head", "business_manager", "chair", "outsider"])
def test_everyone_else_in_the_partnership_gets_404(client, worlds, persona):
    tscp, _ = worlds
    login(client, getattr(tscp, persona))
    assert client.get(url()).status_code == 404
    assert client.post(url(), {"scenario": SCENARIO}).status_code == 404
    assert not AuditEvent.objects.filter(action="policy.scenario_tried").exists()


def test_another_partnerships_admin_gets_404(client, worlds):
    _, bcssp = worlds
    login(client, bcssp.admin)
    assert client.get(url("tscp")).status_code == 404
    assert client.get(url("bcssp")).status_code == 200


def test_a_superuser_may_try_any_policy(client, worlds):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "correct horse battery staple")
    login(client, root)
    assert client.get(url("tscp")).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, worlds):
    response = client.get(url())
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
