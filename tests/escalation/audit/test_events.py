"""The audit event types: one list, each with a label and a documented payload, and nothing written outside it."""

import dataclasses
import datetime
import re
from pathlib import Path

import pytest

from escalation.audit import trail as audit
from escalation.audit.events import (
    DESCRIPTIONS,
    TIMELINE_EVENTS,
    WHO_LOOKED_EVENTS,
    AuditEventType,
    label_for,
)
from escalation.audit.models import AuditEvent
from escalation.audit.viewers import viewers_of
from escalation.deadlines.sweep import sweep
from escalation.disputes import services
from escalation.web import dispute_page
from tests.conftest import build_world, london
from tests.escalation.disputes.test_services import SEEDS

ROOT = Path(__file__).resolve().parents[3]


def test_every_type_has_a_label_and_a_documented_payload():
    assert set(DESCRIPTIONS) == set(AuditEventType)
    stored = AuditEvent._meta.get_field("action").max_length
    for kind in AuditEventType:
        described = kind.description
        assert described.label.strip() and described.label[0].isupper(), kind
        assert len(kind.value) <= stored, kind
        for key, text in {**described.after, **described.before}.items():
            assert key and text.strip(), f"{kind}: say what {key!r} holds"
        assert described.optional <= set(described.after) | set(described.before), kind
        assert isinstance(described.on_timeline, bool) and isinstance(described.on_who_looked, bool)


def test_the_timeline_and_who_looked_lists_come_from_the_declarations():
    assert AuditEventType.ESCALATION_PROPOSED in TIMELINE_EVENTS
    assert AuditEventType.DISPUTE_VIEWED not in TIMELINE_EVENTS
    assert set(WHO_LOOKED_EVENTS) == {
        AuditEventType.DISPUTE_VIEWED,
        AuditEventType.RECORD_DOWNLOADED,
        AuditEventType.DISPUTE_ACTION_FORM_VIEWED,
        AuditEventType.DISPUTE_DEADLINE_VIEWED,
        AuditEventType.DISPUTE_LISTED_FOR_APPROVAL,
    }
    assert label_for("dispute.viewed") == "Viewed the dispute"
    assert label_for("something.from_long_ago") == "something.from_long_ago", "an old stored name shows as stored"


def test_record_refuses_a_name_that_is_not_an_audit_event_type(bcssp):
    with pytest.raises(ValueError, match="not an audit event type"):
        audit.record(None, "dispute.nothing_happened", partnership=bcssp.partnership)
    assert not AuditEvent.objects.filter(action="dispute.nothing_happened").exists()


def test_record_takes_a_member_or_its_value_and_stores_the_value(bcssp):
    by_member = audit.record(bcssp.teacher, AuditEventType.ACCOUNT_SIGNED_OUT_EVERYWHERE)
    by_value = audit.record(bcssp.teacher, "account.signed_out_everywhere")
    stored = AuditEvent.objects.filter(pk__in=[by_member.pk, by_value.pk]).values_list("action", flat=True)
    assert list(stored) == ["account.signed_out_everywhere"] * 2


def test_a_payload_that_differs_from_its_declaration_is_refused_when_checking(bcssp, settings):
    settings.AUDIT_CHECK_PAYLOADS = True
    kind = AuditEventType.REGISTER_VIEWED
    with pytest.raises(ValueError, match=r"undeclared keys \['colour'\]"):
        audit.record(
            None, kind, partnership=bcssp.partnership, after={"filters": {}, "sort": "", "page": 1, "colour": 1}
        )
    with pytest.raises(ValueError, match=r"after is missing \['page'\]"):
        audit.record(None, kind, partnership=bcssp.partnership, after={"filters": {}, "sort": ""})
    audit.record(None, kind, partnership=bcssp.partnership, after={"filters": {}, "sort": "", "page": 1})
    settings.AUDIT_CHECK_PAYLOADS = False
    audit.record(None, kind, partnership=bcssp.partnership, after={"colour": 1})


def test_every_action_named_in_the_code_is_a_type():
    """The string names still passed to `record` (in files not yet moved to the enumeration) are all members."""
    call = re.compile(r"""audit\.record\(\s*[^,()]+,\s*"([^"]+)"|AuditEventType\.([A-Z_]+)""")
    named = set()
    for path in (ROOT / "escalation").rglob("*.py"):
        for value, member in call.findall(path.read_text()):
            named.add(value or AuditEventType[member].value)
    assert named, "the pattern found the calls"
    assert named <= set(AuditEventType), sorted(named - set(AuditEventType))


@pytest.mark.parametrize("slug", SEEDS)
def test_every_action_of_a_whole_dispute_journey_is_a_type(db, slug):
    world = build_world(slug, "JRNY", offices=True)
    now = london(2026, 3, 2, 10, 0)
    dispute = world.raise_dispute(now=now)
    services.add_record_entry(
        dispute=dispute,
        author=world.speaker(dispute, "other"),
        kind="discussion",
        text="We spoke by phone.",
        occurred_on=now.date(),
        now=now,
    )
    now += datetime.timedelta(days=14)
    breached = sweep(now=now).breached
    if not breached:  # a guide (City and Hackney's first stage) is reminded of but never breached
        now = world.escalate_to(dispute, dispute.next_stage().number, now) + datetime.timedelta(days=14)
        breached = sweep(now=now).breached
    assert breached >= 1
    dispute.refresh_from_db()
    confirmed_by_both = dispute.stage().confirm_both_sides
    if confirmed_by_both:
        # A resolution the other side does not agree with: back in discussion at the same stage.
        world.resolve(dispute, now, confirm=False)
        services.reject_resolution(
            dispute=dispute, rejected_by=world.speaker(dispute, "other"), reason="We do not agree.", now=now
        )
    final = dispute.policy_version.stages.order_by("-number").first()
    now = world.escalate_to(dispute, final.number, now)
    world.resolve(dispute, now, agreed_outcome="Assessment to start this week.", convened="panel")
    services.close_dispute(dispute=dispute, closed_by=world.business_manager, now=now)

    written = set(AuditEvent.objects.filter(dispute_id_value=dispute.pk).values_list("action", flat=True))
    assert written <= set(AuditEventType), sorted(written - set(AuditEventType))
    ended = AuditEventType.DECISION_RECORDED if final.binding else AuditEventType.DISPUTE_RESOLVED
    assert {
        AuditEventType.DISPUTE_RAISED,
        AuditEventType.RECORD_ENTRY_ADDED,
        AuditEventType.DEADLINE_BREACHED,
        ended,
        AuditEventType.DISPUTE_CLOSED,
    } <= written
    assert written & {AuditEventType.ESCALATION_APPROVED, AuditEventType.DISPUTE_ESCALATED}
    if confirmed_by_both:
        assert {AuditEventType.RESOLUTION_AWAITING_CONFIRMATION, AuditEventType.RESOLUTION_REJECTED} <= written


def _audit_titles(dispute) -> list[str]:
    """The titles of the timeline items that come from the audit trail."""
    return [item.title for item in dispute_page._audit_items(dispute)]


def test_the_timeline_titles_come_from_the_enumeration(bcssp, monkeypatch):
    dispute = bcssp.raise_dispute()
    services.propose_escalation(dispute=dispute, proposed_by=bcssp.teacher, reason="No agreement reached.")
    services.decline_escalation(dispute=dispute, approver=bcssp.head, reason="Try once more first.")
    services.withdraw_dispute(dispute=dispute, withdrawn_by=bcssp.teacher, reason="Sorted between us.")
    audit.record(bcssp.teacher, AuditEventType.DISPUTE_VIEWED, dispute=dispute)

    titles = _audit_titles(dispute)
    assert "Escalation to stage 2 proposed" in titles
    assert AuditEventType.ESCALATION_DECLINED.label in titles
    assert AuditEventType.DISPUTE_WITHDRAWN.label in titles
    assert AuditEventType.DISPUTE_VIEWED.label not in titles, "reads are not changes"

    renamed = dataclasses.replace(DESCRIPTIONS[AuditEventType.DISPUTE_WITHDRAWN], label="Pulled out")
    monkeypatch.setitem(DESCRIPTIONS, AuditEventType.DISPUTE_WITHDRAWN, renamed)
    titles = _audit_titles(dispute)
    assert "Pulled out" in titles and "Dispute withdrawn" not in titles
    items = {item.title: item for item in dispute_page.timeline(dispute)}
    assert items["Pulled out"].important and items["Pulled out"].paragraphs == ["Sorted between us."]


def test_who_looked_lists_the_reads_the_enumeration_marks(bcssp):
    dispute = bcssp.raise_dispute()
    audit.record(bcssp.teacher, AuditEventType.DISPUTE_VIEWED, dispute=dispute)
    audit.record(bcssp.teacher, AuditEventType.DISPUTE_AUDIT_VIEWED, dispute=dispute)
    assert [event.action for event in viewers_of(dispute)] == ["dispute.viewed"]
