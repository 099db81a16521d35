"""The five seed policies against their documents: everything carries a basis, every quote is the document's own
words at the line it cites, and each discrepancy of policy-audit.md section 9 stays fixed.

The documents are the text files in ../shared/seeds/ (beside the clone, locally and in CI). The quote checks
skip, saying why, when that folder is not there; the structural checks need only the seed files.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from policies.schema import BasisSpec, PolicySpec, RecipientSpec, read_policy_file
from policies.services import SEED_DIR

SLUGS = ["banwell-buddies", "bcssp", "bs3-early-education", "chscp", "tscp"]
DOCUMENTS_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
#: The file each `where` prefix names, as in "bath:66" or "torbay:48-54".
DOCUMENTS = {
    "bath": "bath-ne-somerset-bcssp.txt",
    "torbay": "torbay-tscp.txt",
    "hackney": "city-and-hackney-chscp.txt",
    "banwell": "banwell-buddies.txt",
    "bs3": "bs3-early-education.txt",
}
WHERE = re.compile(r"^(?P<document>[a-z0-9]+):(?P<first>\d+)(?:-(?P<last>\d+))?$")
PARTNERSHIP_DEFAULT = "partnership_default"


def load(slug: str) -> PolicySpec:
    return read_policy_file(SEED_DIR / f"{slug}.yaml")


def rules(spec: PolicySpec) -> dict:
    return {rule.name: rule for rule in spec.deadline_rules}


def stages(spec: PolicySpec) -> dict:
    return {stage.number: stage for stage in spec.stages}


def notifications(spec: PolicySpec, event: str, stage: int | None = None) -> list:
    return [n for n in spec.notification_rules if n.event == event and (stage is None or stage in n.stages)]


def forms(spec: PolicySpec, event: str, stage: int) -> list:
    return [f for f in spec.form_requirements if f.event == event and f.stage == stage]


def named(recipient: RecipientSpec) -> str:
    """A recipient in a word or two: "raiser", "role:manager@both", "office:iro", "any_of(office:cp_chair|...)"."""
    if recipient.raiser:
        return "raiser"
    if recipient.stage_actors is not None:
        return f"stage_actors:{recipient.stage_actors}"
    if recipient.role is not None:
        return f"role:{recipient.role}@{recipient.sides}"
    if recipient.office is not None:
        return f"office:{recipient.office}"
    return "any_of(" + "|".join(named(r) for r in recipient.any_of or []) + ")"


def names(recipients: list[RecipientSpec]) -> set[str]:
    return {named(r) for r in recipients}


def _recipients(where: str, recipients: list[RecipientSpec]) -> Iterator[tuple[str, BasisSpec | None]]:
    for index, recipient in enumerate(recipients):
        label = f"{where}[{index}] {named(recipient)}"
        yield label, recipient.basis
        yield from _recipients(label, recipient.any_of or [])


def bases(spec: PolicySpec) -> Iterator[tuple[str, BasisSpec | None]]:
    """Every stage, rule, recipient, form and length of the policy, labelled, with its basis (None: missing)."""
    for stage in spec.stages:
        yield f"stage {stage.number}", stage.basis
        if stage.decision_maker is not None:
            yield from _recipients(f"stage {stage.number} decision_maker", [stage.decision_maker])
    for rule in spec.deadline_rules:
        yield f"deadline rule {rule.name}", rule.basis
        yield f"deadline rule {rule.name} length", rule.length_basis
        yield from _recipients(f"deadline rule {rule.name} remind", rule.remind)
        yield from _recipients(f"deadline rule {rule.name} on_breach", rule.on_breach)
    for index, note in enumerate(spec.notification_rules):
        yield f"notification rule {index} ({note.event} {note.stages})", note.basis
        yield from _recipients(f"notification rule {index} to", note.to)
    for index, form in enumerate(spec.form_requirements):
        yield f"form requirement {index} ({form.event} {form.stage})", form.basis
        yield from _recipients(f"form requirement {index} to", form.to)


def plain(text: str) -> str:
    """The words alone: markup (HTML tags, Markdown emphasis) dropped and whitespace collapsed."""
    text = re.sub(r"<[^>]+>", " ", text)
    text = text.replace("*", "")
    return " ".join(text.split())


def document_lines(filename: str) -> list[str]:
    if not DOCUMENTS_DIR.is_dir():
        pytest.skip(f"the policy documents are not at {DOCUMENTS_DIR} (shared/seeds beside the clone)")
    return (DOCUMENTS_DIR / filename).read_text(encoding="utf-8").splitlines()


# --- every seed: a basis on everything, and quotes that are the document's own words ------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_every_stage_rule_recipient_form_and_length_has_a_basis(slug):
    missing = [label for label, basis in bases(load(slug)) if basis is None]
    assert missing == []


@pytest.mark.parametrize("slug", SLUGS)
def test_recipients_are_named_where_a_basis_can_be_kept(slug):
    """A bare `roles:` list (notifications) or `recipient:` alone (forms) cannot carry a basis; `to` can."""
    spec = load(slug)
    assert [n.event for n in spec.notification_rules if n.roles or not n.to] == []
    assert [f.stage for f in spec.form_requirements if not f.to] == []


@pytest.mark.parametrize("slug", SLUGS)
def test_every_quote_is_in_the_document_at_the_line_it_cites(slug):
    spec = load(slug)
    problems = []
    for label, basis in bases(spec):
        if basis is None or not (basis.quote or basis.where):
            continue
        match = WHERE.match(basis.where)
        if match is None or match["document"] not in DOCUMENTS:
            known = ", ".join(DOCUMENTS)
            problems.append(f"{label}: where {basis.where!r} is not <document>:<line>[-<line>] ({known})")
            continue
        filename = DOCUMENTS[match["document"]]
        if filename != spec.source:
            problems.append(f"{label}: cites {filename}, not this policy's document {spec.source}")
            continue
        lines = document_lines(filename)
        first, last = int(match["first"]), int(match["last"] or match["first"])
        if not 1 <= first <= last <= len(lines):
            problems.append(f"{label}: {basis.where} is outside {filename} ({len(lines)} lines)")
            continue
        cited = plain(" ".join(lines[first - 1 : last]))
        if plain(basis.quote) not in cited:
            problems.append(f"{label}: {basis.quote!r} is not at {basis.where}")
    assert problems == []


@pytest.mark.parametrize("slug", SLUGS)
def test_a_reading_or_default_never_passes_for_the_policys_own_words(slug):
    """A policy basis quotes the document; a reading or default says why, so it can be shown as such."""
    for label, basis in bases(load(slug)):
        if basis is None:
            continue
        if basis.kind == "policy":
            assert basis.quote and basis.where, label
        else:
            assert basis.note, label
        if basis.kind == PARTNERSHIP_DEFAULT:
            assert not basis.quote, f"{label}: a partnership default quotes nothing"


@pytest.mark.parametrize("slug", SLUGS)
def test_partnership_default_lengths_are_marked_as_such(slug):
    for rule in load(slug).deadline_rules:
        if rule.length == PARTNERSHIP_DEFAULT:
            assert rule.length_basis.kind == PARTNERSHIP_DEFAULT, rule.name
        else:
            assert rule.length_basis.kind != PARTNERSHIP_DEFAULT, rule.name


# --- policy-audit.md section 9: the discrepancies, each fixed -----------------------------------------------------


def test_audit_9_1_statutory_third_parties_are_partnership_offices():
    """CHSCP's CP chair and/or IRO, and BCSSP's designated nurse, sit outside the two agencies: offices."""
    chscp = load("chscp")
    (cp,) = [n for n in chscp.notification_rules if n.condition == "cp_plan_or_looked_after"]
    assert (cp.event, cp.stages) == ("stage_reached", [2])
    assert names(cp.to) == {"any_of(office:cp_chair|office:iro)"}
    assert cp.basis.where == "hackney:50"
    bcssp = load("bcssp")
    for event, stage in [("stage_reached", 2), ("resolved_at_stage", 2), ("resolved_at_stage", 3)]:
        nurse = [f for f in forms(bcssp, event, stage) if "office:designated_nurse" in names(f.to)]
        assert [f.condition for f in nurse] == ["health_agency"], (event, stage)
    assert not any(r.role in {"cp_chair", "iro", "designated_nurse"} for f in bcssp.form_requirements for r in f.to)


def test_audit_9_2_a_dispute_started_above_the_stage_still_registers():
    """Registration fires on reaching (or passing) the stage, not only on entering it."""
    bcssp = load("bcssp")
    assert [names(f.to) for f in forms(bcssp, "stage_reached", 2) if f.condition == "always"] == [
        {"role:business_manager@both"}
    ]
    tscp = load("tscp")
    (record,) = tscp.form_requirements
    assert (record.form, record.event, record.stage) == ("record_of_escalation", "stage_reached", 3)
    assert names(record.to) == {"role:business_manager@both"}
    banwell = load("banwell-buddies")
    assert any("role:business_manager@both" in names(n.to) for n in notifications(banwell, "stage_reached", 3))
    for spec in (bcssp, tscp, banwell):
        assert not [f for f in spec.form_requirements if f.event == "stage_entered"], spec.slug


def test_audit_9_3_bcssp_24_hours_is_met_by_the_required_action_only():
    rule = rules(load("bcssp"))["immediate-harm"]
    assert (rule.kind, rule.length, rule.condition) == ("calendar_hours", 24, "immediate_harm")
    assert rule.met_by == "required_action"
    assert rule.stages == [1, 2, 3, 4]
    assert rule.basis.where == "bath:56"


def test_audit_9_4_bcssp_binding_decision_is_the_independent_chairs_and_not_any_partys():
    spec = load("bcssp")
    by_number = stages(spec)
    final = by_number[4]
    assert final.binding is True
    assert named(final.decision_maker) == "office:independent_chair"
    assert final.decision_maker.basis.where == "bath:71"
    assert "practitioner" not in final.outcome_roles and "manager" not in final.outcome_roles
    # A line manager or a DSL no longer takes the dispute to senior management or the BCSSP.
    for number in (3, 4):
        assert not {"manager", "dsl", "practitioner"} & set(by_number[number].approver_roles), number
    # Below the binding stage, a resolution is "to both parties satisfaction".
    assert [n for n, stage in by_number.items() if stage.confirm_both_sides] == [1, 2, 3]


def test_audit_9_5_tscp_stage_clocks_start_when_the_stage_below_fails():
    by_name = rules(load("tscp"))
    assert by_name["stage-3"].anchor == "escalation_proposed"
    assert by_name["stage-3"].basis.where == "torbay:86"
    assert by_name["stage-4"].anchor == "escalation_proposed"
    assert (by_name["stages-1-and-2"].anchor, by_name["stages-1-and-2"].stages) == ("raised", [1, 2])


def test_audit_9_6_bcssp_overall_clock_runs_from_the_outset():
    rule = rules(load("bcssp"))["overall"]
    assert rule.anchor == "concern_outset"
    assert (rule.stages, rule.kind, rule.length) == ([1, 2, 3], "working_days", 10)
    assert rule.met_by == "leaving_stages"
    assert rule.basis.where == "bath:54"


def test_audit_9_7_tscp_business_manager_is_told_of_no_response_and_may_escalate():
    rule = rules(load("tscp"))["no-response"]
    assert (rule.met_by, rule.breach_event) == ("response", "no_response")
    assert rule.escalate_on_breach == ["business_manager"]
    (told,) = rule.on_breach
    assert named(told) == "role:business_manager@both"
    assert told.basis.kind == "policy" and told.basis.where == "torbay:80"
    assert rule.remind == []


def test_audit_9_8_tscp_both_sides_report_up_when_a_stage_fails():
    spec = load("tscp")
    (managers,) = notifications(spec, "escalation_proposed", 2)
    assert names(managers.to) == {"role:senior_manager@both"}
    directors = notifications(spec, "escalation_proposed", 3)
    assert [names(n.to) for n in directors] == [{"role:director@both"}]
    assert directors[0].basis.where == "torbay:54"
    (alert,) = notifications(spec, "stage_reached", 2)
    assert names(alert.to) == {"stage_actors:other"}


def test_audit_9_9_bs3_raiser_is_kept_informed_of_each_escalation():
    spec = load("bs3-early-education")
    (informed,) = [n for n in notifications(spec, "stage_entered") if "raiser" in names(n.to)]
    assert informed.stages == [s.number for s in spec.stages if s.number != spec.start_stage]
    assert informed.basis.kind == "policy" and informed.basis.where == "bs3:50"


@pytest.mark.parametrize("slug", SLUGS)
def test_audit_9_10_reminder_and_breach_recipients_are_marked_as_the_partnerships_default(slug):
    """No document names anyone to remind or to tell of a breach, except Torbay's no-response rule."""
    for rule in load(slug).deadline_rules:
        for recipient in rule.remind + rule.on_breach:
            expected = "policy" if (slug, rule.name) == ("tscp", "no-response") else PARTNERSHIP_DEFAULT
            assert recipient.basis.kind == expected, (rule.name, named(recipient))


def test_audit_9_10_bs3_added_stage_is_marked_as_the_partnerships_addition():
    spec = load("bs3-early-education")
    final = stages(spec)[4]
    assert final.basis.kind == PARTNERSHIP_DEFAULT
    assert "partnership's addition" in final.name
    assert "partnership's addition" in spec.final_stage.decision_maker
    assert rules(spec)["stage-4"].basis.kind == PARTNERSHIP_DEFAULT
    assert [stage.basis.kind for stage in spec.stages[:3]] == ["reading"] * 3


def test_audit_9_11_chscp_one_working_week_is_a_guide_over_stage_1():
    rule = rules(load("chscp"))["stage-1"]
    assert rule.strength == "guide"
    assert (rule.stages, rule.anchor, rule.kind, rule.length) == ([1], "stage_entry", "working_days", 5)
    assert rule.on_breach == []
    assert rule.basis.where == "hackney:28"
    assert rule.length_basis.kind == "reading"
    assert [r.strength for r in load("chscp").deadline_rules].count("guide") == 1


def test_audit_9_12_chscp_immediate_harm_gives_no_discretion_over_the_start_stage():
    spec = load("chscp")
    assert spec.immediate_harm.start_stages == [spec.start_stage]
    told = notifications(spec, "immediate_harm_flagged") + [
        n for n in notifications(spec, "raised") if n.condition == "immediate_harm"
    ]
    assert [names(n.to) for n in told] == [{"role:dsl@raising"}] * 2
    assert {n.basis.where for n in told} == {"hackney:31"}


def test_audit_9_13_bcssp_resolution_sends_appendix_2_along_the_documents_route():
    spec = load("bcssp")
    at_2 = {f.condition: names(f.to) for f in forms(spec, "resolved_at_stage", 2)}
    assert at_2 == {"always": {"role:business_manager@both"}, "health_agency": {"office:designated_nurse"}}
    at_3 = {f.condition: names(f.to) for f in forms(spec, "resolved_at_stage", 3)}
    assert at_3 == {
        "always": {"role:business_manager@both", "role:nominated_representative@both"},
        "child": {"office:director_childrens_services"},
        "adult": {"office:director_adult_social_care"},
        "health_agency": {"office:designated_nurse"},
    }
    assert all(f.form == "appendix_2" for f in spec.form_requirements)


def test_audit_9_14_banwell_committee_chair_is_addressable_and_internal_stages_are_one_sided():
    spec = load("banwell-buddies")
    by_number = stages(spec)
    assert [n for n, stage in by_number.items() if stage.sides == "raising"] == [1, 3]
    assert by_number[1].actors.other == [] and by_number[3].actors.other == []
    assert "committee_chair" in by_number[3].actors.raising
    reached_3 = set().union(*(names(n.to) for n in notifications(spec, "stage_reached", 3)))
    assert reached_3 == {"role:committee_chair@raising", "role:business_manager@both"}
    (resolved_4,) = notifications(spec, "resolved_at_stage", 4)
    assert names(resolved_4.to) == {"role:business_manager@both"}


@pytest.mark.parametrize(
    ("slug", "start_stages"),
    [("bcssp", [1, 2, 3, 4]), ("tscp", [1, 2, 3, 4, 5]), ("banwell-buddies", [1, 2, 3, 4, 5])],
)
def test_audit_9_15_final_stage_is_not_left_out_of_the_documents_discretion(slug, start_stages):
    assert load(slug).immediate_harm.start_stages == start_stages


def test_audit_9_15_minor_bcssp_stage_4_other_side_is_not_the_convenor_and_tscp_panel_is_in_words():
    final = stages(load("bcssp"))[4]
    assert final.other_side.startswith("The other agency")
    assert final.actors.other and "director" not in final.actors.other
    tscp = load("tscp")
    assert tscp.final_stage.panel_agencies is None
    assert "in addition to" in tscp.final_stage.panel_rule
