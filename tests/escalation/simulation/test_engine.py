"""Playing a scenario: refusals are output, time runs through the sweep, and nothing is kept."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from agencies.models import Agency, Partnership
from escalation.audit.models import AuditEvent
from escalation.deadlines import sweep as deadline_sweep
from escalation.deadlines.models import Deadline
from escalation.disputes import services
from escalation.disputes.models import Dispute
from escalation.notifications.models import Notification
from escalation.simulation import timeline
from escalation.simulation.engine import HANDLERS, NO_DISPUTE, play, play_file
from escalation.simulation.scenario import STEP_KINDS, parse_scenario
from escalation.simulation.world import resolve_policy
from policies.models import Policy, PolicyVersion
from tests.conftest import build_world, london

HEAD = """\
policy: tscp
agencies: {raising: education, other: childrens_social_care}
steps:
"""


def run(text: str, *, seeds_first: bool = True):
    scenario = parse_scenario(text, source="test.yaml")
    return play(scenario, resolve_policy(scenario, seeds_first=seeds_first))


def steps_of(lines):
    return [line for line in lines if "step" in line]


def events(lines, name):
    return [line for line in lines if line.get("event") == name]


def test_a_refused_step_is_output_and_the_play_goes_on(db):
    lines = run(
        HEAD
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-05-18T11:00:00+01:00", do: approve_escalation, by: other.practitioner}\n'
        + '  - {at: "2026-05-18T12:00:00+01:00", do: withdraw, by: other.manager, reason: "Not ours to withdraw"}\n'
        + '  - {at: "2026-05-18T13:00:00+01:00", do: record, by: other.practitioner, kind: discussion}\n'
    )
    assert [(line["do"], line["result"]) for line in steps_of(lines)] == [
        ("raise", "done"),
        ("approve_escalation", "refused"),
        ("withdraw", "refused"),
        ("record", "done"),
    ]
    refused = steps_of(lines)[1]
    assert refused == {
        "at": "2026-05-18T11:00:00+01:00",
        "step": 2,
        "do": "approve_escalation",
        "by": "other.practitioner",
        "result": "refused",
        "reason": refused["reason"],
    }
    assert "already been decided" in refused["reason"] or "nothing waiting" in refused["reason"]
    assert "raising agency" in steps_of(lines)[2]["reason"] or "withdraw" in steps_of(lines)[2]["reason"]


def test_a_raise_passes_the_outset_to_the_app(db, monkeypatch):
    real = services.raise_dispute
    given = {}

    def raise_with_outset(**kwargs):
        given["outset"] = kwargs["concern_outset"]
        return real(**kwargs)

    monkeypatch.setattr(services, "raise_dispute", raise_with_outset)
    lines = run(
        HEAD + '  - {at: "2026-05-20T10:00:00+01:00", do: raise, by: raising.practitioner, outset: "2026-05-18"}\n'
    )
    assert steps_of(lines)[0]["result"] == "done"
    assert given["outset"] == datetime.date(2026, 5, 18)


def test_an_outset_clock_runs_from_the_outset_and_a_later_outset_is_refused(db):
    head = HEAD.replace("policy: tscp", "policy: bcssp")
    lines = run(
        head + '  - {at: "2026-03-06T11:00:00+00:00", do: raise, by: raising.practitioner, outset: "2026-03-04"}\n'
    )
    overall = next(line for line in events(lines, "deadline_set") if line["rule"] == "overall")
    # 10 working days from Wednesday 4 March (the outset), not from Friday 6 March (the raising).
    assert overall["due"] == "2026-03-18T17:00:00+00:00"
    refused = run(
        head
        + '  - {at: "2026-03-06T11:00:00+00:00", do: raise, by: raising.practitioner, outset: "2026-03-09"}\n'
        + '  - {at: "2026-03-09T10:00:00+00:00", do: record, by: other.practitioner, kind: discussion}\n'
    )
    assert [line["result"] for line in steps_of(refused)] == ["refused", "refused"]
    assert "cannot be after the dispute is raised" in steps_of(refused)[0]["reason"]
    assert steps_of(refused)[1]["reason"] == NO_DISPUTE


def test_a_resolution_both_sides_confirm_and_a_rejected_one(db):
    head = HEAD.replace("policy: tscp", "policy: bcssp")
    lines = run(
        head
        + '  - {at: "2026-03-02T10:00:00+00:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-03-02T11:00:00+00:00", do: resolve, by: raising.practitioner, outcome: "Agreed."}\n'
        + '  - {at: "2026-03-02T12:00:00+00:00", do: reject_resolution, by: other.practitioner, reason: "No."}\n'
        + '  - {at: "2026-03-02T13:00:00+00:00", do: resolve, by: other.practitioner, outcome: "Agreed now."}\n'
        + '  - {at: "2026-03-02T14:00:00+00:00", do: confirm_resolution, by: other.manager}\n'
        + '  - {at: "2026-03-02T15:00:00+00:00", do: confirm_resolution, by: raising.practitioner}\n'
    )
    assert [line["result"] for line in steps_of(lines)] == ["done", "done", "done", "done", "refused", "done"]
    assert "for the other agency to confirm" in steps_of(lines)[4]["reason"]
    decided = [
        line for line in lines if line.get("event") in {"awaiting_confirmation", "rejected", "confirmed", "resolved"}
    ]
    assert [(line["event"], line.get("side")) for line in decided] == [
        ("awaiting_confirmation", "raising"),
        ("rejected", "other"),
        ("awaiting_confirmation", "other"),
        ("confirmed", "raising"),
        ("resolved", None),
    ]
    told = {(line["to"], line["about"]) for line in events(lines, "notified")}
    assert ("raising.practitioner", "resolution_rejected") in told
    assert ("raising.practitioner", "resolution_to_confirm") in told


def test_the_binding_decision_is_the_decision_makers_alone(db):
    head = HEAD.replace("policy: tscp", "policy: bcssp")
    lines = run(
        head
        + '  - {at: "2026-03-02T10:00:00+00:00", do: raise, by: raising.dsl, stage: 4, immediate_harm: true}\n'
        + '  - {at: "2026-03-03T10:00:00+00:00", do: record_decision, by: raising.director}\n'
        + '  - {at: "2026-03-03T11:00:00+00:00", do: record_decision, by: partnership.independent_chair}\n'
    )
    assert [line["result"] for line in steps_of(lines)] == ["done", "refused", "done"]
    assert events(lines, "decision_recorded") == [
        {"at": "2026-03-03T11:00:00+00:00", "event": "decision_recorded", "stage": 4}
    ]
    assert {line["to"] for line in events(lines, "access_granted")} == {
        "partnership.director_childrens_services",
        "partnership.independent_chair",
    }


def test_the_business_manager_moves_on_a_dispute_that_got_no_response(db):
    lines = run(
        HEAD
        + '  - {at: "2026-06-01T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-06-05T10:00:00+01:00", do: escalate_no_response, by: partnership.business_manager}\n'
        + '  - {at: "2026-06-09T10:00:00+01:00", do: escalate_no_response, by: raising.manager}\n'
        + '  - {at: "2026-06-09T11:00:00+01:00", do: escalate_no_response, by: partnership.business_manager}\n'
    )
    assert [line["result"] for line in steps_of(lines)] == ["done", "refused", "refused", "done"]
    assert events(lines, "escalated_no_response") == [
        {"at": "2026-06-09T11:00:00+01:00", "event": "escalated_no_response", "stage": 1, "to_stage": 2}
    ]
    assert ("partnership.business_manager", "no_response") in {
        (line["to"], line["about"]) for line in events(lines, "notified")
    }


def test_immediate_harm_flagged_later_tells_whom_the_policy_names(db):
    head = HEAD.replace("policy: tscp", "policy: chscp")
    lines = run(
        head
        + '  - {at: "2026-10-12T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-10-13T16:00:00+01:00", do: flag_immediate_harm, by: raising.practitioner, reason: "Fear."}\n'
    )
    assert steps_of(lines)[1]["result"] == "done"
    assert events(lines, "immediate_harm_flagged") == [
        {"at": "2026-10-13T16:00:00+01:00", "event": "immediate_harm_flagged", "stage": 1}
    ]
    assert ("raising.dsl", "immediate_harm_flagged") in {
        (line["to"], line["about"]) for line in events(lines, "notified")
    }


def test_a_guide_is_shortened_and_a_manual_deadline_set(db):
    head = HEAD.replace("policy: tscp", "policy: chscp")
    lines = run(
        head
        + '  - {at: "2026-10-12T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-10-12T11:00:00+01:00", do: shorten_deadline, by: raising.manager, rule: stage-1, '
        'due: "2026-10-13T12:00:00+01:00", reason: "The child needs an answer tomorrow."}\n'
    )
    moved = [line for line in events(lines, "deadline_set") if line.get("previous_due")]
    assert [(line["due"], line["previous_due"], line["strength"]) for line in moved] == [
        ("2026-10-13T12:00:00+01:00", "2026-10-19T17:00:00+01:00", "guide")
    ]
    assert not events(lines, "breached")  # a guide is never breached
    lines = run(
        HEAD
        + '  - {at: "2026-06-03T09:00:00+01:00", do: raise, by: raising.director, stage: 5, immediate_harm: true}\n'
        + '  - {at: "2026-06-03T10:00:00+01:00", do: set_deadline, by: partnership.chair, '
        'due: "2026-06-12T17:00:00+01:00"}\n'
    )
    assert [line["due"] for line in events(lines, "deadline_set") if line["rule"] == "stage-5"] == [
        None,
        "2026-06-12T17:00:00+01:00",
    ]


RECORD_POLICY = """\
form_requirements:
  - form: record_of_escalation
    stage: 3
    event: stage_reached
    to:
      - raiser: true
      - stage_actors: other
      - any_of: [{office: cp_chair}, {office: iro}]
      - {office: designated_nurse}
"""


def test_a_record_goes_to_the_raiser_the_stage_actors_and_alternatives(db, tmp_path):
    seed = (Path(settings.BASE_DIR) / "policies" / "seed" / "tscp.yaml").read_text(encoding="utf-8")
    mine = seed[: seed.index("form_requirements:")] + RECORD_POLICY + seed[seed.index("final_stage:") :]
    (tmp_path / "mine.yaml").write_text(mine.replace("slug: tscp", "slug: mine"), encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(
        HEAD.replace("policy: tscp", "policy: mine.yaml").replace(
            "steps:", "vacant: [partnership.designated_nurse]\nsteps:"
        )
        + '  - {at: "2026-06-03T09:00:00+01:00", do: raise, by: raising.manager, stage: 3, immediate_harm: true}\n',
        encoding="utf-8",
    )
    records = events(play_file(tmp_path / "scenario.yaml"), "record")
    assert [(line["to"], line.get("unfilled")) for line in records] == [
        ("other.senior_manager", None),
        ("partnership.cp_chair", None),
        ("partnership.iro", None),
        ("raising.manager", None),
        (None, "Designated nurse for the partnership"),
    ]
    assert {(line["form"], line["stage"], line["on"]) for line in records} == {
        ("record_of_escalation", 3, "stage_reached")
    }


def test_reminders_and_breaches_come_at_their_own_moments(db):
    lines = run(
        HEAD.replace("steps:", 'until: "2026-05-28T09:00:00+01:00"\nsteps:')
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
    )
    moments = [(line["at"], line.get("event")) for line in lines if line.get("event") in {"reminded", "breached"}]
    # 5 working days from Monday 18 May, Monday 25 May being a bank holiday: due Tuesday 26 May at 5pm.
    assert ("2026-05-22T09:00:00+01:00", "reminded") in moments
    assert ("2026-05-26T17:01:00+01:00", "breached") in moments
    ats = [line["at"] for line in lines]
    assert ats == sorted(ats)


def test_an_extension_moves_the_deadline(db):
    lines = run(
        HEAD
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-05-19T10:00:00+01:00", do: extend_deadline, rule: stages-1-and-2, days: 2, '
        'by: partnership.business_manager, reason: "Both sides asked for time."}\n'
        + '  - {at: "2026-05-19T11:00:00+01:00", do: extend_deadline, rule: stage-3, days: 2, '
        "by: partnership.business_manager}\n"
    )
    moved = [line for line in events(lines, "deadline_set") if line.get("previous_due")]
    assert moved == [
        {
            "at": "2026-05-19T10:00:00+01:00",
            "event": "deadline_set",
            "rule": "stages-1-and-2",
            "due": "2026-05-28T17:00:00+01:00",
            "strength": "rule",
            "basis": moved[0]["basis"],
            "previous_due": "2026-05-26T17:00:00+01:00",
        }
    ]
    assert steps_of(lines)[2]["result"] == "refused"
    assert "no open deadline 'stage-3'" in steps_of(lines)[2]["reason"]


def test_a_vacant_post_shows_the_gap(db):
    lines = run(
        HEAD.replace("steps:", "vacant: [other.manager, other.dsl]\nsteps:")
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
    )
    told = {(line["to"], line["about"]) for line in events(lines, "notified")}
    assert ("partnership.business_manager", "unfilled_role") in told
    assert not {to for to, _ in told} & {"other.manager", "other.dsl"}


def test_people_are_labelled_as_the_scenario_names_them(db):
    lines = run(
        HEAD + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner, other_worker: other.iro}\n'
    )
    assert {key: events(lines, "notified")[0][key] for key in ("to", "about")} == {"to": "other.iro", "about": "raised"}


MODELS = [get_user_model(), Partnership, Agency, Policy, PolicyVersion, Dispute, Deadline, Notification, AuditEvent]


@pytest.mark.django_db(transaction=True)
def test_nothing_is_kept_after_a_run():
    build_world("tscp", "KEEP")
    before = {model.__name__: model.objects.count() for model in MODELS}
    lines = run(
        HEAD.replace("steps:", 'until: "2026-06-30T09:00:00+01:00"\nsteps:')
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-05-28T10:00:00+01:00", do: propose_escalation, by: raising.practitioner}\n'
        + '  - {at: "2026-05-28T11:00:00+01:00", do: approve_escalation, by: raising.manager}\n'
    )
    assert events(lines, "breached")
    assert {model.__name__: model.objects.count() for model in MODELS} == before


def test_the_partnerships_that_exist_are_not_touched(db, monkeypatch):
    world = build_world("tscp", "REAL")
    real = world.raise_dispute(now=london(2026, 5, 18, 10, 0))
    versions = PolicyVersion.objects.count()
    swept = []
    record_breach = deadline_sweep.record_breach

    def spy(deadline, now):
        swept.append(deadline.dispute_id)
        return record_breach(deadline, now)

    monkeypatch.setattr(deadline_sweep, "record_breach", spy)
    lines = run(
        HEAD.replace("steps:", 'until: "2026-07-01T09:00:00+01:00"\nsteps:')
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}\n',
        seeds_first=False,  # the stored tscp policy, as an admin's run would use it
    )
    assert events(lines, "breached")
    assert swept and real.pk not in swept
    assert not real.deadlines.filter(breached_at__isnull=False).exists()
    assert PolicyVersion.objects.count() == versions
    assert Partnership.objects.filter(policy__slug="tscp").count() == 1


def test_every_step_kind_has_a_service_and_words():
    assert set(HANDLERS) == set(STEP_KINDS) == set(timeline.STEP_WORDS)
    page = (Path(settings.BASE_DIR) / "templates" / "policies" / "try_scenario.html").read_text(encoding="utf-8")
    listed = page.split("<li>Steps: ", 1)[1].split(".</li>", 1)[0].split(", ")
    assert listed == list(STEP_KINDS)


def test_every_line_a_run_makes_reads_as_words():
    for line in (
        {"event": "escalated_no_response", "stage": 1, "to_stage": 2},
        {"event": "awaiting_confirmation", "stage": 3, "side": "raising"},
        {"event": "decision_recorded", "stage": 4},
        {"event": "stage_entered", "stage": 4, "basis": "partnership_default"},
        {"event": "record", "form": "appendix_2", "stage": 2, "on": "stage_reached", "to": None, "unfilled": "X"},
    ):
        assert timeline.describe(line) != line["event"]
    assert timeline.describe({"event": "stage_entered", "stage": 4, "basis": "partnership_default"}) == (
        "Stage 4 entered (basis: partnership default)"
    )
    assert timeline.describe({"event": "stage_entered", "stage": 1, "basis": "policy"}) == "Stage 1 entered"


def test_a_stage_moved_on_for_no_response_starts_the_next_clock_on_entry(db):
    lines = run(
        HEAD
        + '  - {at: "2026-06-01T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-06-03T10:00:00+01:00", do: propose_escalation, by: raising.practitioner}\n'
        + '  - {at: "2026-06-03T11:00:00+01:00", do: approve_escalation, by: raising.manager}\n'
        + '  - {at: "2026-06-09T10:00:00+01:00", do: escalate_no_response, by: partnership.business_manager}\n'
    )
    stage_3 = [line["due"] for line in events(lines, "deadline_set") if line["rule"] == "stage-3"]
    # No stage failed by discussion: 5 working days from entering stage 3 on Tuesday 9 June.
    assert stage_3 == ["2026-06-16T17:00:00+01:00"]
