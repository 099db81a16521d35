"""When the clock starts and how a rule is met, on stored disputes (policy-audit.md section 9, items 3, 5, 6, 7
and 11): the outset the raiser gives, a stage failing rather than its approval, a reply only from the other
agency, the required action only from someone able to take it, and a guide that is never breached."""

import datetime

import pytest

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.disputes.models import StageVisit
from escalation.disputes.permissions import ActionRefused
from escalation.records.render import render_html
from tests.conftest import london
from tests.escalation.deadlines.timing_policy import timing_world


@pytest.fixture
def world(db):
    return timing_world()


def row(dispute, rule: str, *, open_only: bool = True) -> Deadline:
    rows = dispute.deadlines.filter(rule__name=rule)
    return rows.get(closed_at__isnull=True) if open_only else rows.latest("pk")


# The concern's outset (item 6) ---------------------------------------------------------------------------------


def test_audit_9_6_the_overall_clock_counts_from_the_outset_the_raiser_gives(world):
    # Raised on Friday 6 March 2026; the concern was first considered on Wednesday 4 March.
    dispute = world.raise_dispute(now=london(2026, 3, 6, 11), concern_outset=datetime.date(2026, 3, 4))
    overall = row(dispute, "overall")
    assert overall.anchor_at == london(2026, 3, 4, 0)
    assert overall.due_at == london(2026, 3, 18, 17), "10 working days from the outset, not from raising"
    assert row(dispute, "stages-1-and-2").anchor_at == london(2026, 3, 6, 11), "other clocks still run from raising"
    raised = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="dispute.raised")
    assert raised.after["concern_outset"] == "2026-03-04"


def test_audit_9_6_with_no_outset_the_overall_clock_counts_from_raising(world):
    dispute = world.raise_dispute(now=london(2026, 3, 6, 11))
    assert dispute.concern_outset is None
    assert row(dispute, "overall").due_at == london(2026, 3, 20, 17)
    raised = AuditEvent.objects.get(dispute_id_value=dispute.pk, action="dispute.raised")
    assert "concern_outset" not in raised.after


@pytest.mark.parametrize(
    ("outset", "why"),
    [
        (datetime.date(2026, 3, 7), "cannot be after the dispute is raised"),
        (datetime.datetime(2026, 3, 4, 9, tzinfo=datetime.UTC), "as a day, month and year"),
    ],
)
def test_audit_9_6_an_outset_after_raising_is_refused(world, outset, why):
    with pytest.raises(ActionRefused, match=why):
        world.raise_dispute(now=london(2026, 3, 6, 23, 30), concern_outset=outset)


def test_audit_9_6_appendix_2_gives_the_outset_as_the_date_of_original_disagreement(world):
    given = world.raise_dispute(now=london(2026, 3, 6, 11), concern_outset=datetime.date(2026, 3, 4))
    html = render_html(given, form="appendix_2", now=london(2026, 3, 6, 12))
    assert "Date of Original Disagreement:</th><td>4 March 2026</td>" in html
    not_given = world.raise_dispute(now=london(2026, 3, 6, 11))
    html = render_html(not_given, form="appendix_2", now=london(2026, 3, 6, 12))
    assert "Date of Original Disagreement:</th><td>6 March 2026</td>" in html


# A stage failing, not its approval (item 5) --------------------------------------------------------------------


RAISED = london(2026, 5, 22, 10)  # Friday; Monday 25 May is a bank holiday
AT_STAGE_2 = london(2026, 5, 26, 9)
PROPOSED = london(2026, 5, 29, 10)  # stage 2 declared unresolved
APPROVED = london(2026, 6, 3, 10)


@pytest.fixture
def waiting(world):
    """At stage 2 with escalation to stage 3 proposed on Friday 29 May and not yet approved."""
    dispute = world.raise_dispute(now=RAISED)
    services.propose_escalation(dispute=dispute, proposed_by=world.teacher, reason="No agreement.", now=AT_STAGE_2)
    services.propose_escalation(dispute=dispute, proposed_by=world.head, reason="Still none.", now=PROPOSED)
    dispute.refresh_from_db()
    assert (dispute.current_stage, dispute.state) == (2, "awaiting_approval")
    return dispute


def test_audit_9_5_the_proposal_moment_is_kept_on_the_stage_it_leaves(waiting):
    visits = dict(StageVisit.objects.filter(dispute=waiting).values_list("stage_number", "escalation_proposed_at"))
    assert visits == {1: AT_STAGE_2, 2: PROPOSED}


def test_audit_9_5_stages_1_and_2_are_met_at_the_proposal_and_not_breached_while_waiting(waiting):
    both = row(waiting, "stages-1-and-2", open_only=False)
    assert (both.closed_at, both.met) == (PROPOSED, True), "met when stage 2 was declared unresolved"
    assert both.due_at == london(2026, 6, 1, 17)
    sweep(now=london(2026, 6, 2, 9))
    both.refresh_from_db()
    assert both.breached_at is None, "no false breach while the escalation waits for approval"
    assert not AuditEvent.objects.filter(dispute_id_value=waiting.pk, action="deadline.breached").exists()


def test_audit_9_5_torbay_stage_3_is_due_5_june_not_10_june(world, waiting):
    services.approve_escalation(dispute=waiting, approver=world.senior, now=APPROVED)
    stage_3 = row(waiting, "stage-3")
    assert stage_3.anchor_at == PROPOSED
    assert stage_3.due_at == london(2026, 6, 5, 17)


def test_audit_9_5_a_declined_escalation_puts_the_stages_deadlines_back(world, waiting):
    services.decline_escalation(dispute=waiting, approver=world.senior, reason="Talk again first.", now=APPROVED)
    both = row(waiting, "stages-1-and-2")
    assert both.met is None and both.due_at == london(2026, 6, 1, 17), "the same row runs on: the stage was not left"
    assert StageVisit.objects.get(dispute=waiting, stage_number=2).escalation_proposed_at is None
    sweep(now=APPROVED)
    both.refresh_from_db()
    assert both.breached_at == APPROVED, "and it is missed, since its due moment has passed"


# A reply only from the other agency (item 7) -------------------------------------------------------------------


def test_audit_9_7_a_dispute_escalated_without_a_reply_does_not_meet_the_no_response_rule(world, waiting):
    no_response = row(waiting, "no-response", open_only=False)
    assert no_response.closed_at == PROPOSED and no_response.met is False


def test_audit_9_7_the_raisers_own_note_is_not_a_response_but_the_other_agencys_is(world):
    dispute = world.raise_dispute(now=RAISED)
    services.add_record_entry(
        dispute=dispute,
        author=world.teacher,
        kind="discussion",
        text="Chased.",
        occurred_on=RAISED.date(),
        now=AT_STAGE_2,
    )
    assert row(dispute, "no-response").closed_at is None
    reply_at = london(2026, 5, 27, 9)
    services.add_record_entry(
        dispute=dispute,
        author=world.social_worker,
        kind="discussion",
        text="Replied.",
        occurred_on=reply_at.date(),
        now=reply_at,
    )
    answered = row(dispute, "no-response", open_only=False)
    assert (answered.closed_at, answered.met) == (reply_at, True)


# The required action, by someone able to take it (item 3) ------------------------------------------------------


def note(dispute, author, minutes: int, kind: str = "action"):
    at = london(2026, 3, 2, 10, minutes)
    services.add_record_entry(dispute=dispute, author=author, kind=kind, text="Done.", occurred_on=at.date(), now=at)


def test_audit_9_3_the_raisers_own_note_does_not_meet_the_24_hour_rule(world):
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10), immediate_harm=True)
    note(dispute, world.teacher, 5)
    assert row(dispute, "harm").closed_at is None, "the raiser's own note five minutes later is not the action"
    note(dispute, world.social_worker, 10, kind="discussion")
    assert row(dispute, "harm").closed_at is None, "a discussion is not the action"
    note(dispute, world.social_worker, 15)
    harm = row(dispute, "harm", open_only=False)
    assert (harm.closed_at, harm.met) == (london(2026, 3, 2, 10, 15), True), "the other agency acted"


def test_audit_9_3_a_manager_of_the_raising_agency_can_take_the_required_action(world):
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10), immediate_harm=True)
    note(dispute, world.head, 20)
    assert row(dispute, "harm", open_only=False).met is True


def test_audit_9_3_named_able_roles_are_the_only_ones_able(db):
    world = timing_world(
        "ABLE",
        slug="able-test",
        deadline_rules=[
            {
                "name": "harm",
                "label": "The required action within 24 hours",
                "stages": [1, 2, 3, 4],
                "anchor": "raised",
                "kind": "calendar_hours",
                "length": 24,
                "condition": "immediate_harm",
                "met_by": "required_action",
                "able_roles": ["senior_manager"],
            }
        ],
    )
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10), immediate_harm=True)
    note(dispute, world.social_worker, 5)
    note(dispute, world.head, 6)
    assert row(dispute, "harm").closed_at is None
    note(dispute, world.service_manager, 7)
    assert row(dispute, "harm", open_only=False).met is True


# A guide is reminded, never breached (item 11) -----------------------------------------------------------------


def test_audit_9_11_a_guide_is_reminded_but_never_breached(world):
    dispute = world.raise_dispute(now=london(2026, 3, 2, 10))
    guide = row(dispute, "guide")
    assert guide.due_at == london(2026, 3, 9, 17)
    sweep(now=london(2026, 3, 9, 9))
    guide.refresh_from_db()
    assert guide.reminded_at == london(2026, 3, 9, 9), "reminded like any deadline"
    sweep(now=london(2026, 3, 10, 9))
    guide.refresh_from_db()
    assert guide.breached_at is None, "a guide is never breached"
    assert row(dispute, "stage-1").breached_at is not None, "while the rule beside it is"
    breached = AuditEvent.objects.filter(dispute_id_value=dispute.pk, action="deadline.breached")
    rules = {event.after["rule"] for event in breached}
    assert "stage-1" in rules and "guide" not in rules
