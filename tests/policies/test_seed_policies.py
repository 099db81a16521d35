"""The five seed policies parse, and say what their documents say (and nothing they do not).

The documents are in /work/shared/seeds/; seed-policies.md reads them as rules. No database is needed.
"""

import re

import pytest
import yaml

from policies.models import DeadlineRule, NotificationRule, Policy, PolicyVersion, Stage
from policies.schema import PolicySpec, content_hash, parse_policy, read_policy_file
from policies.services import SEED_DIR, seed_files

SLUGS = ["banwell-buddies", "bcssp", "bs3-early-education", "chscp", "tscp"]
SOURCES = {
    "banwell-buddies": "banwell-buddies.txt",
    "bcssp": "bath-ne-somerset-bcssp.txt",
    "bs3-early-education": "bs3-early-education.txt",
    "chscp": "city-and-hackney-chscp.txt",
    "tscp": "torbay-tscp.txt",
}
AGENCY_APPROVERS = ["manager", "senior_manager", "director", "dsl"]
#: Personal names printed in the documents; the seeds notify by role only.
PERSONAL_NAMES = ["zywek", "kirstie", "webb", "leigh", "cotton", "neil"]


def load(slug: str) -> PolicySpec:
    return read_policy_file(SEED_DIR / f"{slug}.yaml")


def keys(categories) -> list[str]:
    return [category.key for category in categories]


def rules(spec: PolicySpec) -> dict:
    return {rule.name: rule for rule in spec.deadline_rules}


def stages(spec: PolicySpec) -> dict:
    return {stage.number: stage for stage in spec.stages}


def notifications(spec: PolicySpec, event: str) -> list:
    return [n for n in spec.notification_rules if n.event == event]


def who(recipients) -> set[str]:
    """Recipients as words: "raiser", "manager" (a role), "office:iro", "any_of:cp_chair|iro"."""
    words = set()
    for recipient in recipients:
        if recipient.raiser:
            words.add("raiser")
        elif recipient.role:
            words.add(recipient.role)
        elif recipient.office:
            words.add(f"office:{recipient.office}")
        elif recipient.any_of:
            words.add("any_of:" + "|".join(r.office or r.role or "" for r in recipient.any_of))
        else:
            words.add(f"stage_actors:{recipient.stage_actors}")
    return words


# --- every seed ------------------------------------------------------------------------------------------------


def test_the_five_seeds_are_the_seed_files():
    assert [path.name for path in seed_files()] == [f"{slug}.yaml" for slug in SLUGS]


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_parses_with_its_own_slug_and_source(slug):
    spec = load(slug)
    assert spec.slug == slug
    assert spec.source == SOURCES[slug]
    assert spec.start_stage == 1
    assert spec.name


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_opens_with_a_comment_citing_its_document(slug):
    text = (SEED_DIR / f"{slug}.yaml").read_text(encoding="utf-8")
    header = text.split("\nslug:", 1)[0]
    assert header.startswith("#")
    assert all(line.startswith("#") or not line.strip() for line in header.splitlines())
    assert SOURCES[slug] in header


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_has_no_email_addresses_or_personal_names(slug):
    text = (SEED_DIR / f"{slug}.yaml").read_text(encoding="utf-8")
    assert "@" not in text
    lowered = text.lower()
    for name in PERSONAL_NAMES:
        assert not re.search(rf"\b{name}\b", lowered), name


@pytest.mark.parametrize("slug", SLUGS)
def test_stage_1_needs_no_approval_and_later_agency_stages_need_a_manager(slug):
    for stage in load(slug).stages:
        if stage.pre_escalation:
            assert stage.number == 0
            assert stage.approval_required is False
        elif stage.number == 1:
            assert stage.approval_required is False
        else:
            assert stage.approval_required is True
            assert stage.approver_roles, stage.number


@pytest.mark.parametrize("slug", SLUGS)
def test_every_stage_has_guidance_and_someone_acting(slug):
    for stage in load(slug).stages:
        assert stage.guidance, stage.number
        assert stage.raising_side, stage.number


@pytest.mark.parametrize("slug", SLUGS)
def test_every_stage_past_pre_escalation_has_a_deadline(slug):
    spec = load(slug)
    covered = {n for rule in spec.deadline_rules if rule.condition == "always" for n in rule.stages}
    assert covered == {s.number for s in spec.stages if not s.pre_escalation}


@pytest.mark.parametrize("slug", SLUGS)
def test_partnership_defaults_say_so_in_their_label(slug):
    for rule in load(slug).deadline_rules:
        if rule.length == "partnership_default":
            assert rule.kind == "working_days"
            assert "partnership's default" in rule.label
            assert "states no timescale" in rule.label


@pytest.mark.parametrize(
    ("slug", "start_stages"),
    [
        # "discretion should be used as to which stage is initiated": any stage of the dispute.
        ("banwell-buddies", [1, 2, 3, 4, 5]),
        ("tscp", [1, 2, 3, 4, 5]),
        # "escalate to an appropriate level": any level, the BCSSP's stage 4 included.
        ("bcssp", [1, 2, 3, 4]),
        # "do not wait to escalate": any management level; not the partnership's added stage 4.
        ("bs3-early-education", [1, 2, 3]),
        # Tell the DSL at once; no discretion over the stage.
        ("chscp", [1]),
    ],
)
def test_immediate_harm_starts_where_the_document_allows_and_never_at_pre_escalation(slug, start_stages):
    spec = load(slug)
    assert spec.immediate_harm.start_stages == start_stages
    assert spec.immediate_harm.guidance
    for number in spec.immediate_harm.start_stages:
        assert not stages(spec)[number].pre_escalation


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_strings_fit_the_database_columns(slug):
    """check_policy passing must mean the load fits the columns (PostgreSQL enforces max_length)."""

    def fits(model, field, value):
        limit = model._meta.get_field(field).max_length
        assert len(value) <= limit, f"{model.__name__}.{field}: {len(value)} > {limit}: {value!r}"

    spec = load(slug)
    fits(Policy, "slug", spec.slug)
    fits(Policy, "name", spec.name)
    fits(PolicyVersion, "label", spec.version_label)
    fits(PolicyVersion, "source_file", f"{slug}.yaml")
    fits(PolicyVersion, "final_decision_maker", spec.final_stage.decision_maker)
    for stage in spec.stages:
        fits(Stage, "name", stage.name)
        fits(Stage, "raising_side", stage.raising_side)
        fits(Stage, "other_side", stage.other_side)
    for rule in spec.deadline_rules:
        fits(DeadlineRule, "name", rule.name)
        fits(DeadlineRule, "label", rule.label)
    for note in spec.notification_rules:
        fits(NotificationRule, "message", note.message)


@pytest.mark.parametrize("slug", SLUGS)
def test_seed_exports_and_reads_back_unchanged(slug):
    """What export_policy writes (the stored document as YAML) parses back to the same content."""
    spec = load(slug)
    exported = yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True, width=100)
    again = parse_policy(exported, source=f"{slug} (exported)")
    assert content_hash(again) == content_hash(spec)


# --- Bath & North East Somerset (BCSSP) ------------------------------------------------------------------------


def test_bcssp_covers_children_and_adults_under_v5():
    spec = load("bcssp")
    assert spec.subjects == ["child", "adult"]
    assert spec.version_label == "V5"
    assert [s.number for s in spec.stages] == [1, 2, 3, 4]


@pytest.mark.parametrize(("stage", "days"), [(1, 2), (2, 3), (3, 4), (4, 5)])
def test_bcssp_stage_deadlines_count_from_entering_the_stage(stage, days):
    rule = rules(load("bcssp"))[f"stage-{stage}"]
    assert rule.stages == [stage]
    assert rule.anchor == "stage_entry"
    assert rule.kind == "working_days"
    assert rule.length == days
    assert rule.condition == "always"
    assert rule.met_by == "leaving_stages"


def test_bcssp_ten_working_days_from_the_outset_to_resolution_or_stage_4():
    rule = rules(load("bcssp"))["overall"]
    assert rule.stages == [1, 2, 3]
    assert rule.anchor == "concern_outset"
    assert (rule.kind, rule.length) == ("working_days", 10)
    assert rule.met_by == "leaving_stages"


def test_bcssp_action_within_24_hours_when_there_is_a_risk_of_immediate_harm():
    rule = rules(load("bcssp"))["immediate-harm"]
    assert rule.condition == "immediate_harm"
    assert (rule.kind, rule.length) == ("calendar_hours", 24)
    assert rule.stages == [1, 2, 3, 4]
    assert rule.anchor == "raised"
    assert rule.met_by == "required_action"
    assert "business_manager" in [recipient.role for recipient in rule.on_breach]


def test_bcssp_stage_4_alone_is_final_and_binding():
    spec = load("bcssp")
    assert [s.number for s in spec.stages if s.binding] == [4]
    assert spec.final_stage.panel_agencies == 3


def test_bcssp_appendix_2_goes_to_the_business_manager_and_for_health_to_the_designated_nurse():
    forms = [(f.form, f.stage, f.event, who(f.to), f.condition) for f in load("bcssp").form_requirements]
    assert ("appendix_2", 2, "stage_reached", {"business_manager"}, "always") in forms
    assert ("appendix_2", 2, "stage_reached", {"office:designated_nurse"}, "health_agency") in forms


def test_bcssp_business_manager_gets_appendix_2_on_resolution_at_stages_2_and_3():
    forms = load("bcssp").form_requirements
    resolved = [f for f in forms if f.event == "resolved_at_stage" and "business_manager" in who(f.to)]
    assert sorted(f.stage for f in resolved) == [2, 3]
    assert not [n for n in load("bcssp").notification_rules if "business_manager" in who(n.to)]


def test_bcssp_worker_who_raised_it_is_told_of_the_outcome_at_every_stage():
    (told,) = notifications(load("bcssp"), "resolved_at_stage")
    assert (told.stages, who(told.to)) == ([], {"raiser"})


def test_bcssp_has_no_partnership_default_deadlines():
    assert all(isinstance(rule.length, int) for rule in load("bcssp").deadline_rules)


# --- Torbay (TSCP) ---------------------------------------------------------------------------------------------


def test_tscp_pre_escalation_is_stage_0_and_disputes_start_at_stage_1():
    spec = load("tscp")
    assert [s.number for s in spec.stages] == [0, 1, 2, 3, 4, 5]
    pre = stages(spec)[0]
    assert pre.pre_escalation is True
    assert pre.approval_required is False
    assert [s.number for s in spec.stages if s.pre_escalation] == [0]
    assert spec.start_stage == 1
    assert spec.subjects == ["child"]


def test_tscp_stages_1_and_2_share_five_working_days_from_the_dispute_being_raised():
    rule = rules(load("tscp"))["stages-1-and-2"]
    assert rule.stages == [1, 2]
    assert rule.anchor == "raised"
    assert (rule.kind, rule.length) == ("working_days", 5)
    assert rule.met_by == "leaving_stages"


def test_tscp_no_response_in_five_working_days_is_reported_to_the_business_manager():
    rule = rules(load("tscp"))["no-response"]
    assert rule.stages == [1, 2]
    assert rule.anchor == "raised"
    assert (rule.kind, rule.length) == ("working_days", 5)
    assert rule.met_by == "response"
    assert rule.breach_event == "no_response"
    assert [recipient.role for recipient in rule.on_breach] == ["business_manager"]


def test_tscp_stage_3_five_and_stage_4_ten_working_days_from_the_stage_below_failing():
    by_name = rules(load("tscp"))
    for name, stage, days in [("stage-3", 3, 5), ("stage-4", 4, 10)]:
        rule = by_name[name]
        assert rule.stages == [stage]
        assert rule.anchor == "escalation_proposed"
        assert (rule.kind, rule.length) == ("working_days", days)


def test_tscp_stage_5_deadline_is_agreed_by_the_chair():
    rule = rules(load("tscp"))["stage-5"]
    assert rule.stages == [5]
    assert rule.kind == "manual"
    assert rule.length is None
    assert "Chair" in rule.label


def test_tscp_stage_5_is_entered_on_the_business_managers_referral():
    stage = stages(load("tscp"))[5]
    assert stage.approval_required is True
    assert stage.approver_roles == ["business_manager"]


@pytest.mark.parametrize(
    ("slug", "template", "title"),
    [
        ("bcssp", "records/appendix_2.html", "Appendix 2: Registration of use of Escalation Procedure Pro-forma"),
        ("tscp", "records/record_of_escalation.html", "Professional Differences Record of Escalation"),
        ("chscp", "records/general.html", "Record of a professional disagreement"),
        ("banwell-buddies", "records/general.html", "Record of a professional disagreement"),
        ("bs3-early-education", "records/general.html", "Record of a professional disagreement"),
    ],
)
def test_each_seed_names_its_record_form_or_gets_the_general_record(slug, template, title):
    record_form = load(slug).record_form
    assert (record_form.template, record_form.title) == (template, title)


def test_tscp_record_of_escalation_on_reaching_stage_3_goes_to_the_business_manager():
    forms = [(f.form, f.stage, f.event, who(f.to)) for f in load("tscp").form_requirements]
    assert forms == [("record_of_escalation", 3, "stage_reached", {"business_manager"})]


def test_tscp_business_manager_and_chair_notifications():
    spec = load("tscp")
    reached = {tuple(n.stages): who(n.to) for n in notifications(spec, "stage_reached")}
    resolved = {tuple(n.stages): who(n.to) for n in notifications(spec, "resolved_at_stage")}
    proposed = {tuple(n.stages): who(n.to) for n in notifications(spec, "escalation_proposed")}
    # The Business Manager assumes oversight beyond stage 3; the Chair is referred to at stage 5.
    assert reached[(4,)] == {"business_manager"}
    assert reached[(5,)] == {"chair"}
    # The Business Manager keeps a record of every dispute reaching stage 3, and hears stage 4's outcome.
    assert resolved == {(3, 5): {"business_manager"}, (4,): {"business_manager"}}
    assert proposed[(4,)] == {"business_manager"}
    assert not notifications(spec, "stage_entered")


def test_tscp_categories_and_panel():
    spec = load("tscp")
    assert keys(spec.categories) == [
        "levels_of_need",
        "roles_and_responsibilities",
        "need_for_action",
        "progressing_plans",
    ]
    # Three statutory partners "in addition to" the agencies involved: given in words, not as a count that
    # elsewhere includes the parties.
    assert spec.final_stage.panel_agencies is None
    assert "in addition to" in spec.final_stage.panel_rule
    assert not any(s.binding for s in spec.stages)


# --- City & Hackney (CHSCP) ------------------------------------------------------------------------------------


def test_chscp_stage_1_guide_is_one_working_week():
    rule = rules(load("chscp"))["stage-1"]
    assert rule.stages == [1]
    assert rule.anchor == "stage_entry"
    assert (rule.kind, rule.length) == ("working_days", 5)
    assert rule.strength == "guide"
    assert "guide" in rule.label


def test_chscp_later_stages_take_the_partnership_default():
    by_name = rules(load("chscp"))
    assert [by_name[f"stage-{n}"].length for n in (2, 3, 4)] == ["partnership_default"] * 3
    assert len(by_name) == 4


def test_chscp_cp_chair_and_or_iro_told_on_reaching_stage_2_for_a_child_on_a_plan_or_looked_after():
    (rule,) = [n for n in load("chscp").notification_rules if n.condition == "cp_plan_or_looked_after"]
    assert rule.event == "stage_reached"
    assert rule.stages == [2]
    assert who(rule.to) == {"any_of:cp_chair|iro"}


def test_chscp_raising_agencys_dsl_told_at_once_of_immediate_harm():
    spec = load("chscp")
    told = notifications(spec, "immediate_harm_flagged") + notifications(spec, "raised")
    assert [(n.event, n.condition) for n in told] == [
        ("immediate_harm_flagged", "always"),
        ("raised", "immediate_harm"),
    ]
    for rule in told:
        assert [(r.role, r.sides) for r in rule.to] == [("dsl", "raising")]


def test_chscp_details_for_the_commissioner_are_a_written_record_on_reaching_stage_4():
    (form,) = load("chscp").form_requirements
    assert (form.form, form.event, form.stage) == ("general", "stage_reached", 4)
    assert who(form.to) == {"office:independent_chair", "business_manager"}


def test_chscp_final_stage_is_the_commissioner_with_a_three_agency_panel():
    spec = load("chscp")
    assert [s.number for s in spec.stages] == [1, 2, 3, 4]
    assert "Independent Child Safeguarding Commissioner" in spec.final_stage.decision_maker
    assert spec.final_stage.panel_agencies == 3
    assert stages(spec)[4].outcome_roles == ["independent_chair"]
    assert set(keys(spec.categories)) == {
        "levels_of_need",
        "roles_and_responsibilities",
        "need_for_action",
        "progressing_plans",
        "communication",
    }


# --- Banwell Buddies and BS3: no timescales stated -------------------------------------------------------------


@pytest.mark.parametrize("slug", ["banwell-buddies", "bs3-early-education"])
def test_policies_without_timescales_only_use_the_partnership_default(slug):
    spec = load(slug)
    assert spec.deadline_rules
    for rule in spec.deadline_rules:
        assert rule.length == "partnership_default", rule.name
        assert rule.kind == "working_days"
        assert rule.condition == "always"
        assert len(rule.stages) == 1
    assert sorted(r.stages[0] for r in spec.deadline_rules) == [s.number for s in spec.stages]


def test_banwell_stages_and_board_manager_record():
    spec = load("banwell-buddies")
    assert [s.number for s in spec.stages] == [1, 2, 3, 4, 5]
    assert spec.subjects == ["child"]
    reached_3 = [who(n.to) for n in notifications(spec, "stage_reached") if n.stages == [3]]
    resolved = {tuple(n.stages): who(n.to) for n in notifications(spec, "resolved_at_stage")}
    assert reached_3 == [{"committee_chair"}, {"business_manager"}]
    assert resolved[(4,)] == {"business_manager"}
    assert resolved[()] == {"raiser"}
    assert "Local Safeguarding Children Board" in spec.final_stage.decision_maker
    assert spec.final_stage.panel_agencies == 3
    assert keys(spec.categories) == ["levels_of_need", "roles_and_responsibilities", "need_for_action", "communication"]
    assert spec.form_requirements == []


def test_bs3_urgent_contacts_and_immediate_harm_route():
    spec = load("bs3-early-education")
    assert [s.number for s in spec.stages] == [1, 2, 3, 4]
    assert "First Response" in spec.urgent_contacts
    assert "0117 903 6444" in spec.urgent_contacts
    assert "Emergency Duty" in spec.urgent_contacts
    assert "01454 615 165" in spec.urgent_contacts
    assert "First Response" in spec.immediate_harm.guidance
    assert "Police" in spec.immediate_harm.guidance
    assert spec.final_stage.panel_agencies is None


def test_bs3_stages_are_marked_as_a_reading_of_a_lost_flow_chart():
    text = (SEED_DIR / "bs3-early-education.yaml").read_text(encoding="utf-8")
    header = text.split("\nslug:", 1)[0].lower()
    assert "reading" in header
    assert "flow chart" in header


def test_only_bs3_has_urgent_contacts_configured():
    assert [slug for slug in SLUGS if load(slug).urgent_contacts] == ["bs3-early-education"]
