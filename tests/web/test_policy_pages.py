"""The policy pages: each partnership's policy step by step, its versions, and the due-date preview."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from escalation.deadlines.models import Deadline
from policies.preview import preview_deadlines
from policies.services import export_policy, load_policy_text
from tests.auth_helpers import login
from tests.conftest import build_world, london


def text_of(response) -> str:
    """The page's text with tags and runs of white space removed, for reading sentences across markup."""
    page = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(page))


@pytest.fixture
def worlds(db):
    bcssp = build_world("bcssp", "BCSSP")
    bcssp.partnership.urgent_contacts = "Call the BCSSP front door on 01225 000 000."
    bcssp.partnership.save()
    tscp = build_world("tscp", "TSCP")
    return bcssp, tscp


def preview_url(slug: str, day: int, month: int, year: int, harm: bool = False) -> str:
    query = f"raised_on_0={day}&raised_on_1={month}&raised_on_2={year}" + ("&immediate_harm=on" if harm else "")
    return f"{reverse('policy-preview', args=[slug])}?{query}"


# Who may see them ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["teacher", "social_worker", "outsider", "business_manager", "chair", "admin"])
def test_any_member_of_the_partnership_reads_its_policy(client, worlds, persona):
    bcssp, _ = worlds
    login(client, getattr(bcssp, persona))
    assert client.get(reverse("policy", args=["bcssp"])).status_code == 200
    assert client.get(preview_url("bcssp", 2, 3, 2026)).status_code == 200


def test_another_partnerships_policy_does_not_exist_for_them(client, worlds):
    bcssp, _ = worlds
    login(client, bcssp.teacher)
    assert client.get(reverse("policy", args=["tscp"])).status_code == 404
    assert client.get(reverse("policy-preview", args=["tscp"])).status_code == 404
    assert client.get(reverse("policy", args=["no-such-policy"])).status_code == 404


def test_the_list_shows_only_the_users_partnerships(client, worlds):
    bcssp, tscp = worlds
    login(client, bcssp.teacher)
    page = client.get(reverse("policies")).content.decode()
    assert reverse("policy", args=["bcssp"]) in page
    assert reverse("policy", args=["tscp"]) not in page
    assert tscp.partnership.name not in page


@pytest.mark.parametrize("url", [reverse("policies"), reverse("policy", args=["bcssp"])])
def test_signed_out_visitors_are_sent_to_sign_in(client, worlds, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# The policy page ----------------------------------------------------------------------------------------------


def test_the_policy_step_by_step(client, worlds):
    bcssp, _ = worlds
    login(client, bcssp.teacher)
    response = client.get(reverse("policy", args=["bcssp"]))
    text = text_of(response)
    assert "Stage 1: Worker to worker (identify the concern)" in text
    assert "Stage 4: Referred to the BCSSP" in text
    assert "Worker in the other agency" in text, "who acts for the other agency"
    assert "Needs approval by Manager, Senior manager, Director and Designated safeguarding lead" in text
    assert "Final and binding on every agency involved" in text
    assert "Stage 2: within 3 working days of stage 1" in text
    assert "24 hours, counting every hour" in text
    assert "Only when: risk of immediate harm" in text
    assert "Appendix 2: Registration of use of Escalation Procedure Pro-forma" in text
    # "Complete Appendix 2 ... for any professional disagreements beyond Stage 1" (bath:67): a dispute started
    # above stage 2 has passed it, so the form is sent when stage 2 is reached or passed, not only entered.
    assert "When stage 2 is reached or passed The partnership business manager" in text
    assert "Only when: a health agency is involved" in text
    assert (
        "When resolved at stage 2 The partnership business manager “The manager who resolved the issue must notify "
        "the BCSSP Business Manager using Appendix 2.” Policy, bath:67"
    ) in text, "who receives the form at a resolution, with the policy's own words and where they are"
    assert "Call the BCSSP front door on 01225 000 000." in text
    # "everyone must take action to escalate to an appropriate level" (bath:56) limits no level: stage 4 too.
    assert "a dispute may start at stage 1, 2, 3 or 4" in text
    assert "Three BCSSP member agencies, including the agencies in the dispute" in text
    assert "close of business (5pm)" in text
    assert 'class="app-ladder"' in response.content.decode()


def test_a_policy_with_no_timescales_shows_the_partnerships_default_not_the_policys_words(client, db):
    world = build_world("banwell-buddies", "BANW")
    world.partnership.default_stage_working_days = 7
    world.partnership.save()
    login(client, world.teacher)
    text = text_of(client.get(reverse("policy", args=["banwell-buddies"])))
    assert text.count("The partnership's default of 7 working days (this policy gives no timescale)") == 5


def test_versions_are_listed_and_an_earlier_one_can_be_read(client, worlds):
    bcssp, _ = worlds
    version_one = bcssp.partnership.policy.current_version
    changed = export_policy(version_one).replace("name: Manager to manager", "name: Line manager to line manager")
    version_two, created = load_policy_text(changed, "edited.yaml")
    assert created
    login(client, bcssp.teacher)
    current = text_of(client.get(reverse("policy", args=["bcssp"])))
    assert "Stage 2: Line manager to line manager" in current
    assert "Version 2 (shown) – current" in current
    earlier = text_of(client.get(reverse("policy", args=["bcssp"]) + "?version=1"))
    assert "Stage 2: Manager to manager" in earlier
    assert "This is version 1, an earlier version." in earlier
    assert client.get(reverse("policy", args=["bcssp"]) + "?version=3").status_code == 404
    assert client.get(reverse("policy", args=["bcssp"]) + "?version=one").status_code == 404


# The preview --------------------------------------------------------------------------------------------------


def test_preview_of_every_due_date(client, worlds):
    bcssp, _ = worlds
    login(client, bcssp.teacher)
    text = text_of(client.get(preview_url("bcssp", 2, 3, 2026)))
    assert "For a dispute raised on Monday 2 March 2026 at 10am" in text
    # Stage 1 runs 2 working days; stage 2 is taken as entered when it runs out, and so on.
    assert "Stage 1: within 2 working days Stage 1 2 working days Wednesday 4 March 2026 at 5pm" in text
    assert "Stage 2: Manager to manager Wednesday 4 March 2026 at 5pm When stage 1's deadline runs out" in text
    assert "Monday 9 March 2026 at 5pm" in text  # stage 2: 3 working days
    assert "Friday 13 March 2026 at 5pm" in text  # stage 3: 4 working days, before the 10-day rule
    assert "Monday 16 March 2026 at 5pm" in text  # the overall 10 working days from raising
    assert "Stage 4: Referred to the BCSSP Friday 13 March 2026 at 5pm" in text
    assert "Friday 20 March 2026 at 5pm" in text  # stage 4: 5 working days
    assert "Does not apply without a risk of immediate harm" in text


def test_preview_with_immediate_harm(client, worlds):
    bcssp, _ = worlds
    login(client, bcssp.teacher)
    text = text_of(client.get(preview_url("bcssp", 2, 3, 2026, harm=True)))
    assert "with a risk of immediate harm" in text
    assert "Tuesday 3 March 2026 at 10am" in text
    assert "Does not apply" not in text


def test_preview_raised_on_a_weekend_starts_the_clock_on_the_next_working_day(worlds):
    bcssp, _ = worlds
    version = bcssp.partnership.policy.current_version
    result = preview_deadlines(version, bcssp.partnership, datetime.date(2026, 3, 7))
    due = {item.rule.name: item.due_at for item in result.rules}
    assert due["stage-1"] == london(2026, 3, 10, 17, 0)


def test_preview_agrees_with_a_real_dispute(worlds):
    bcssp, _ = worlds
    dispute = bcssp.raise_dispute(now=london(2026, 4, 2, 10, 0))  # the day before Good Friday
    version = bcssp.partnership.policy.current_version
    result = preview_deadlines(version, bcssp.partnership, datetime.date(2026, 4, 2))
    previewed = {item.rule.name: item.due_at for item in result.rules}
    for row in Deadline.objects.filter(dispute=dispute).select_related("rule"):
        assert previewed[row.rule.name] == row.due_at, row.rule.name
    assert previewed["stage-1"] == london(2026, 4, 8, 17, 0), "Good Friday and Easter Monday are not working days"


def test_preview_uses_the_partnerships_own_default_and_closure_days(db):
    from agencies.models import ClosureDay

    world = build_world("banwell-buddies", "BANW")
    world.partnership.default_stage_working_days = 3
    world.partnership.save()
    ClosureDay.objects.create(partnership=world.partnership, date=datetime.date(2026, 3, 4), reason="Inset day")
    version = world.partnership.policy.current_version
    result = preview_deadlines(version, world.partnership, datetime.date(2026, 3, 2))
    due = {item.rule.name: item.due_at for item in result.rules}
    assert due["stage-1"] == london(2026, 3, 6, 17, 0)  # Tue 3, (Wed 4 closed), Thu 5, Fri 6


def test_preview_of_a_stage_set_by_hand_and_of_stages_run_together(client, worlds):
    _, tscp = worlds
    login(client, tscp.teacher)
    text = text_of(client.get(preview_url("tscp", 2, 3, 2026)))
    assert "Pre-escalation" not in text.split("When each stage would start")[1], "stage 0 is guidance only"
    assert "Stage 2: Manager to manager Monday 2 March 2026 at 10am At the same time as stage 1" in text
    assert "Stage 3: Senior manager to senior manager Monday 9 March 2026 at 5pm" in text
    assert "Stage 5: as agreed by the Chair of the TSCP Executive Group (set by hand)" in text
    assert "Set by hand by the partnership chair" in text


@pytest.mark.parametrize(
    "query, message",
    [
        ("raised_on_0=30&raised_on_1=2&raised_on_2=2026", "Date the dispute is raised must be a real date"),
        ("raised_on_0=&raised_on_1=&raised_on_2=", "Enter date the dispute is raised"),
        ("raised_on_0=1&raised_on_1=3&raised_on_2=", "Date the dispute is raised must include a year"),
        ("raised_on_0=1&raised_on_1=3&raised_on_2=1850", "must be between 2000 and 2100"),
    ],
)
def test_preview_explains_a_bad_date_and_keeps_what_was_typed(client, worlds, query, message):
    bcssp, _ = worlds
    login(client, bcssp.teacher)
    page = client.get(f"{reverse('policy-preview', args=['bcssp'])}?{query}").content.decode()
    assert "<title>Error: " in page
    assert message in page
    assert "When each stage would start" not in page
    day = query.split("&")[0].split("=")[1]
    if day:
        assert f'value="{day}"' in page


def test_preview_form_alone_shows_no_errors(client, worlds):
    bcssp, _ = worlds
    login(client, bcssp.teacher)
    page = client.get(reverse("policy-preview", args=["bcssp"])).content.decode()
    assert "govuk-error-summary" not in page
    assert "<title>Work out due dates" in page


def test_a_draft_is_shown_to_the_partnerships_admin_as_a_draft_and_to_nobody_else(client, worlds):
    bcssp, _ = worlds
    published = bcssp.partnership.policy.current_version
    changed = export_policy(published).replace("name: Manager to manager", "name: Draft manager stage")
    draft, _ = load_policy_text(changed, "draft.yaml")
    draft.status = "draft"
    draft.save(update_fields=["status"])
    login(client, bcssp.teacher)
    page = text_of(client.get(reverse("policy", args=["bcssp"])))
    assert "Draft manager stage" not in page, "members read the published version"
    assert client.get(reverse("policy", args=["bcssp"]) + f"?version={draft.number}").status_code == 404
    client.logout()
    login(client, bcssp.admin)
    page = text_of(client.get(reverse("policy", args=["bcssp"]) + f"?version={draft.number}"))
    assert "Draft manager stage" in page and f"This is version {draft.number}, a draft." in page
    assert "Draft manager stage" not in text_of(client.get(reverse("policy", args=["bcssp"])))
