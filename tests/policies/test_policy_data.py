"""What is particular to a partnership is policy data: categories, record form, notices, urgent wording, the
due-soon window. A file that says nothing gets the defaults; no engine module or template names a partnership.
"""

import re
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from escalation.disputes.permissions import ActionRefused
from escalation.records.render import form_for, render_html
from policies import defaults
from policies.models import DeadlineRule, PolicyVersion
from policies.schema import content_hash, parse_policy
from policies.services import SEED_DIR, export_policy, load_policy, load_policy_text
from tests.auth_helpers import login
from tests.conftest import build_world, london

PROJECT_DIR = Path(__file__).resolve().parents[2]
CATEGORIES = [
    {"key": "housing", "label": "Housing and homelessness"},
    {"key": "levels_of_need", "label": "Thresholds for help"},
]


def seed_document(slug: str = "tscp") -> dict:
    return yaml.safe_load((SEED_DIR / f"{slug}.yaml").read_text(encoding="utf-8"))


def policy_text(**changes) -> str:
    """A seed policy under another slug, with `changes` to its top-level fields (None removes one)."""
    document = {**seed_document(), "slug": "ours", "name": "Our Safeguarding Partnership"}
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    return yaml.safe_dump(document, sort_keys=False)


def load(text: str) -> PolicyVersion:
    return load_policy_text(text, source="ours.yaml")[0]


@pytest.fixture
def ours(db):
    """A partnership whose policy lists its own categories."""
    world = build_world("tscp", "OURS")
    version = load(policy_text(categories=CATEGORIES))
    world.partnership.policy = version.policy
    world.partnership.save(update_fields=["policy"])
    return world


def step_url(step: str) -> str:
    return reverse("raise-step", args=[step])


def answer(client, step: str, data: dict) -> None:
    response = client.post(step_url(step), data)
    assert response.status_code == 302, response.content.decode()


def walk_to_category(client, world) -> str:
    answer(client, "immediate-harm", {"immediate_harm": "no"})
    answer(
        client,
        "subject",
        {"name": "Child A", "date_of_birth_0": "", "date_of_birth_1": "", "date_of_birth_2": "", "address": ""},
    )
    answer(client, "other-agency", {"other_agency": world.social_care.pk})
    answer(client, "decision-maker", {"other_worker": 0})
    return client.get(step_url("category")).content.decode()


# Categories --------------------------------------------------------------------------------------------------


def test_the_raise_form_offers_the_policys_own_categories(ours, client):
    login(client, ours.teacher)
    html = walk_to_category(client, ours)
    assert "Housing and homelessness" in html and "Thresholds for help" in html
    assert 'value="housing"' in html
    assert defaults.CATEGORIES["need_for_action"] not in html, "a default the policy does not list"


def test_a_category_the_policy_does_not_list_is_refused_on_the_form(ours, client):
    login(client, ours.teacher)
    walk_to_category(client, ours)
    response = client.post(step_url("category"), {"category": "need_for_action"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    answer(client, "category", {"category": "housing"})


def test_the_service_refuses_a_category_the_policy_does_not_list(ours):
    with pytest.raises(ActionRefused):
        ours.raise_dispute(category="need_for_action")


def test_a_dispute_shows_its_category_in_its_policys_words_everywhere(ours, client):
    dispute = ours.raise_dispute(category="levels_of_need")
    assert dispute.category_label == "Thresholds for help"
    login(client, ours.business_manager)
    register = client.get(reverse("register")).content.decode()
    assert '<option value="housing">Housing and homelessness</option>' in register
    assert "Thresholds for help" in register
    assert defaults.CATEGORIES["levels_of_need"] not in register
    csv = b"".join(client.get(reverse("register-csv")).streaming_content).decode()
    assert "Thresholds for help" in csv
    themes = client.get(reverse("themes")).content.decode()
    assert "Thresholds for help" in themes
    html = render_html(dispute, form=form_for(dispute.policy_version), now=london(2026, 3, 3, 9))
    assert "Thresholds for help" in html


def test_a_bare_key_names_a_default_category_with_its_default_label(db):
    version = load(policy_text(categories=["communication", {"key": "housing", "label": "Housing"}]))
    assert version.category_choices == [("communication", "Communication"), ("housing", "Housing")]
    assert version.has_category("housing") and not version.has_category("need_for_action")


def test_a_policy_that_lists_no_categories_gets_the_default_ones(db):
    version = load(policy_text(categories=None))
    assert version.category_choices == list(defaults.CATEGORIES.items())
    assert version.category_label("need_for_action") == "The need for action"


# The record form ---------------------------------------------------------------------------------------------


def test_the_record_form_is_the_template_and_title_the_policy_names(db):
    form = {"title": "Our escalation record", "template": "records/appendix_2.html"}
    requirement = {"stage": 3, "event": "stage_entered", "recipient": "business_manager"}
    world = build_world("tscp", "REC")
    version = load(policy_text(record_form=form, form_requirements=[requirement]))
    world.partnership.policy = version.policy
    world.partnership.save(update_fields=["policy"])
    assert (version.record_form, version.record_form_title) == ("appendix_2", "Our escalation record")
    assert [(r.form, r.title) for r in version.form_requirements.all()] == [("appendix_2", "Our escalation record")]
    dispute = world.raise_dispute()
    assert form_for(dispute.policy_version) == "appendix_2"
    html = render_html(dispute, form=form_for(dispute.policy_version), now=london(2026, 3, 3, 9))
    assert "<title>Our escalation record " in html
    assert '<h1 class="title-string">Our escalation record</h1>' in html
    assert "Area of disagreement:" in html, "the pro-forma's own fields"


def test_a_policy_that_names_no_record_form_gets_the_general_record(db):
    world = build_world("chscp", "GEN")
    dispute = world.raise_dispute()
    assert form_for(dispute.policy_version) == "general"
    html = render_html(dispute, form="general", now=london(2026, 3, 3, 9))
    assert '<h1 class="title-string">Record of a professional disagreement</h1>' in html


# Notices, urgent wording and the due-soon window -------------------------------------------------------------


def test_notices_default_to_the_apps_own_words(db):
    version = load(policy_text(notices=None))
    assert version.notice("raised").headline == "a professional disagreement has been raised with your agency"
    assert version.notice("resolved").headline == "the disagreement has been resolved"
    assert version.notice("withdrawn").headline == "the dispute has been withdrawn"
    assert version.notice("raised").message == ""
    assert version.notice("raised").headline_for("OURS-2026-0001") == (
        "OURS-2026-0001: a professional disagreement has been raised with your agency"
    )


def test_a_policy_can_word_its_own_notices(db):
    notices = {"raised": {"headline": "the escalation policy has been invoked", "message": "Reply within 5 days."}}
    version = load(policy_text(notices=notices))
    assert version.notice("raised").headline == "the escalation policy has been invoked"
    assert version.notice("raised").message == "Reply within 5 days."
    assert version.notice("withdrawn").headline == "the dispute has been withdrawn", "the others keep the default"


def test_a_version_loaded_without_notices_still_has_them(db):
    version = load(policy_text())
    PolicyVersion.objects.filter(pk=version.pk).update(notices={})
    version.refresh_from_db()
    assert version.notice("resolved").headline == "the disagreement has been resolved"


def test_the_due_soon_window_is_two_working_days_unless_the_policy_says(db):
    assert load(policy_text()).due_soon_working_days == 2
    assert load(policy_text(due_soon_working_days=5)).due_soon_working_days == 5


def test_the_urgent_wording_names_the_hours_of_the_policys_own_rule(db):
    bcssp = build_world("bcssp", "HRS").partnership.policy.current_version
    assert bcssp.urgent_heading == "The 24-hour route"
    assert "within 24 hours" in bcssp.urgent_text and "in the next 24 hours" in bcssp.urgent_hint
    tscp = build_world("tscp", "NOH").partnership.policy.current_version
    assert tscp.urgent_heading == "The urgent route"
    assert "24" not in tscp.urgent_text + tscp.urgent_hint


def test_a_policy_can_word_the_urgent_route_itself(db):
    harm = {
        **seed_document()["immediate_harm"],
        "question_hint": "Harm is immediate if it could happen before the next working day.",
        "route_heading": "Act today",
        "route_text": "Call the duty team first.",
    }
    version = load(policy_text(immediate_harm=harm))
    assert version.urgent_heading == "Act today"
    assert version.urgent_text == "Call the duty team first."
    assert version.urgent_hint == "Harm is immediate if it could happen before the next working day."


def test_everything_new_survives_export_and_load(db):
    text = policy_text(
        categories=CATEGORIES,
        record_form={"title": "Our record", "template": "records/record_of_escalation.html"},
        notices={"resolved": {"headline": "sorted"}},
        due_soon_working_days=3,
    )
    version = load(text)
    exported = export_policy(version)
    again = parse_policy(exported, source="exported.yaml")
    assert content_hash(again) == version.content_hash
    reloaded, created = load_policy(again)
    assert not created and reloaded == version
    document = yaml.safe_load(exported)
    assert document["categories"] == CATEGORIES
    assert document["record_form"] == {"title": "Our record", "template": "records/record_of_escalation.html"}
    assert document["notices"]["resolved"] == {"headline": "sorted", "message": ""}
    assert document["due_soon_working_days"] == 3


# No partnership in the engine --------------------------------------------------------------------------------

#: Words that name a seed partnership (or its place); only the seed files, the demo and tests may use them.
PARTNERSHIP_NAMES = re.compile(
    r"\b(torbay|tscp|bcssp|bath|b&nes|somerset|hackney|chscp|banwell|bs3)\b", flags=re.IGNORECASE
)


def engine_files() -> list[Path]:
    files = [*PROJECT_DIR.joinpath("escalation").rglob("*.py"), *PROJECT_DIR.joinpath("templates").rglob("*.html")]
    files += [path for path in PROJECT_DIR.joinpath("policies").rglob("*.py") if "seed" not in path.parts]
    return sorted(path for path in files if path.name != "demo.py" or path.parent.name != "escalation")


def test_no_engine_module_or_template_names_a_partnership():
    found = []
    for path in engine_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if PARTNERSHIP_NAMES.search(line):
                found.append(f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}")
    assert not found, "partnership names in engine code:\n" + "\n".join(found)


def test_a_calendar_hours_rule_is_named_by_its_own_length():
    assert DeadlineRule(kind="calendar_hours", length=48, label="Act on the risk").short_name == "the 48-hour deadline"
    assert DeadlineRule(kind="working_days", length=5, label="Stage 1: 5 days").short_name == (
        "the deadline “Stage 1: 5 days”"
    )
