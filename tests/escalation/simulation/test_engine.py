"""Playing a scenario: refusals are output, time runs through the sweep, and nothing is kept."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from agencies.models import Agency, Partnership
from escalation.audit.models import AuditEvent
from escalation.deadlines import sweep as deadline_sweep
from escalation.deadlines.models import Deadline
from escalation.disputes import services
from escalation.disputes.models import Dispute
from escalation.notifications.models import Notification
from escalation.simulation.engine import NO_DISPUTE, NO_OUTSET, NOT_SUPPORTED, play
from escalation.simulation.scenario import parse_scenario
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


def test_a_step_the_app_has_no_service_for_is_refused(db, monkeypatch):
    monkeypatch.delattr(services, "escalate_no_response", raising=False)
    lines = run(
        HEAD
        + '  - {at: "2026-05-18T10:00:00+01:00", do: raise, by: raising.practitioner}\n'
        + '  - {at: "2026-05-27T10:00:00+01:00", do: escalate_no_response, by: partnership.business_manager}\n'
    )
    assert steps_of(lines)[1]["result"] == "refused"
    assert steps_of(lines)[1]["reason"] == NOT_SUPPORTED


def test_an_outset_is_refused_while_the_app_does_not_take_it(db, monkeypatch):
    real = services.raise_dispute

    def raise_without_outset(
        *,
        raised_by,
        raising_agency,
        other_agency,
        subject,
        category,
        description,
        immediate_harm=False,
        start_stage=None,
        other_worker=None,
        now=None,
    ):
        return real(
            raised_by=raised_by,
            raising_agency=raising_agency,
            other_agency=other_agency,
            subject=subject,
            category=category,
            description=description,
            immediate_harm=immediate_harm,
            start_stage=start_stage,
            other_worker=other_worker,
            now=now,
        )

    monkeypatch.setattr(services, "raise_dispute", raise_without_outset)
    text = (
        HEAD
        + '  - {at: "2026-05-20T10:00:00+01:00", do: raise, by: raising.practitioner, outset: "2026-05-18"}\n'
        + '  - {at: "2026-05-21T10:00:00+01:00", do: record, by: other.practitioner, kind: discussion}\n'
    )
    lines = run(text)
    assert [(line["result"], line["reason"]) for line in steps_of(lines)] == [
        ("refused", NO_OUTSET),
        ("refused", NO_DISPUTE),
    ]
    # Without an outset the same app raises the dispute.
    assert steps_of(run(text.replace(', outset: "2026-05-18"', "")))[0]["result"] == "done"


def test_an_outset_is_passed_through_where_the_app_takes_it(db, monkeypatch):
    real = services.raise_dispute
    given = {}

    def raise_with_outset(*, concern_outset=None, **kwargs):
        given["outset"] = concern_outset
        return real(**{key: value for key, value in kwargs.items() if key != "concern_outset"})

    monkeypatch.setattr(services, "raise_dispute", raise_with_outset)
    lines = run(
        HEAD + '  - {at: "2026-05-20T10:00:00+01:00", do: raise, by: raising.practitioner, outset: "2026-05-18"}\n'
    )
    assert steps_of(lines)[0]["result"] == "done"
    assert given["outset"] == datetime.date(2026, 5, 18)


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
