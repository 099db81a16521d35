"""Retention: closed and withdrawn disputes past the partnership's period are removed; the audit is kept."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.disputes import services
from escalation.disputes.models import Dispute, Outcome, RecordEntry, StageVisit, Subject
from escalation.notifications.models import Notification
from escalation.privacy.retention import apply_retention
from tests.conftest import build_world, london

FINISHED = london(2026, 3, 10, 12, 0)
DAYS = 30


def closed(world, when=FINISHED):
    dispute = world.raise_dispute(now=when - datetime.timedelta(days=5))
    services.add_record_entry(
        dispute=dispute,
        author=world.social_worker,
        kind="discussion",
        text="We met and agreed a strategy discussion.",
        occurred_on=(when - datetime.timedelta(days=4)).date(),
        now=when - datetime.timedelta(days=4),
    )
    # Recorded by the school and, where the stage asks both sides to confirm it, confirmed by Children's Services.
    world.resolve(
        dispute,
        when - datetime.timedelta(hours=1),
        by=world.teacher,
        agreed_outcome="A strategy discussion will be held.",
        decided_on=when.date(),
    )
    return services.close_dispute(dispute=dispute, closed_by=world.teacher, now=when)


def withdrawn(world, when=FINISHED):
    dispute = world.raise_dispute(now=when - datetime.timedelta(days=2))
    return services.withdraw_dispute(dispute=dispute, withdrawn_by=world.teacher, reason="Resolved locally.", now=when)


@pytest.fixture
def disputes(bcssp):
    bcssp.partnership.retention_days = DAYS
    bcssp.partnership.save()
    return {
        "closed": closed(bcssp),
        "withdrawn": withdrawn(bcssp),
        "open": bcssp.raise_dispute(now=FINISHED - datetime.timedelta(days=60)),
        "resolved": _resolved(bcssp),
    }


def _resolved(world):
    dispute = world.raise_dispute(now=FINISHED - datetime.timedelta(days=60))
    world.resolve(
        dispute,
        FINISHED - datetime.timedelta(days=59),
        by=world.teacher,
        agreed_outcome="Agreed.",
        decided_on=FINISHED.date(),
    )
    return dispute


def test_nothing_is_removed_before_the_period_ends(disputes):
    runs = apply_retention(now=FINISHED + datetime.timedelta(days=DAYS) - datetime.timedelta(minutes=1))
    assert all(not run.removals for run in runs)
    assert Dispute.objects.count() == 4


def test_closed_and_withdrawn_disputes_past_the_period_are_removed_with_everything_about_them(disputes):
    gone = [disputes["closed"], disputes["withdrawn"]]
    gone_ids = [dispute.pk for dispute in gone]
    audit_before = AuditEvent.objects.filter(dispute_id_value__in=gone_ids).count()
    assert audit_before > 0
    assert RecordEntry.objects.filter(dispute_id__in=gone_ids).exists()

    [run] = apply_retention(now=FINISHED + datetime.timedelta(days=DAYS, minutes=1))

    assert sorted(removal.reference for removal in run.removals if removal.removed) == sorted(d.reference for d in gone)
    assert set(Dispute.objects.values_list("pk", flat=True)) == {disputes["open"].pk, disputes["resolved"].pk}
    for model in (RecordEntry, StageVisit, Deadline, Notification, Outcome):
        assert not model.objects.filter(dispute_id__in=gone_ids).exists(), model.__name__
    assert not Subject.objects.filter(pk__in=[dispute.subject_id for dispute in gone]).exists()
    assert Subject.objects.filter(pk=disputes["open"].subject_id).exists()
    # The audit trail is kept, and says what was removed, when and why.
    kept = AuditEvent.objects.filter(dispute_id_value__in=gone_ids)
    assert kept.exclude(action="dispute.removed").count() == audit_before
    for dispute in gone:
        removal = AuditEvent.objects.get(dispute_reference=dispute.reference, action="dispute.removed")
        assert removal.actor is None and removal.actor_label == "system"
        assert removal.before["state"] == dispute.state
        assert removal.before["record_entries"] == (1 if dispute == disputes["closed"] else 0)
        assert removal.after["retention_days"] == DAYS
    summary = AuditEvent.objects.get(action="retention.applied")
    assert sorted(summary.after["removed"]) == sorted(d.reference for d in gone)


def test_a_dry_run_lists_and_changes_nothing(disputes):
    [run] = apply_retention(now=FINISHED + datetime.timedelta(days=DAYS + 1), dry_run=True)
    assert len(run.removals) == 2
    assert not any(removal.removed for removal in run.removals)
    assert Dispute.objects.count() == 4
    assert not AuditEvent.objects.filter(action="dispute.removed").exists()
    assert AuditEvent.objects.filter(action="retention.listed").count() == 1


def test_each_partnership_keeps_its_own_period(disputes, db):
    other = build_world("tscp", "TSCP")
    other.partnership.retention_days = 365
    other.partnership.save()
    theirs = withdrawn(other)
    apply_retention(now=FINISHED + datetime.timedelta(days=DAYS + 1))
    assert Dispute.objects.filter(pk=theirs.pk).exists()
    apply_retention(now=FINISHED + datetime.timedelta(days=366))
    assert not Dispute.objects.filter(pk=theirs.pk).exists()


def test_the_command_lists_then_removes(disputes, capsys):
    when = (FINISHED + datetime.timedelta(days=DAYS + 1)).isoformat()
    call_command("apply_retention", "--dry-run", "--now", when)
    listed = capsys.readouterr().out
    assert disputes["closed"].reference in listed and "would be removed" in listed
    assert disputes["open"].reference not in listed
    assert Dispute.objects.count() == 4

    call_command("apply_retention", "--now", when)
    done = capsys.readouterr().out
    assert f"{disputes['withdrawn'].reference}  withdrawn" in done and "removed" in done
    assert Dispute.objects.count() == 2
    assert "2 dispute(s) past retention processed." in done


@pytest.mark.parametrize(
    "args, message",
    [
        (["--now", "yesterday"], "not an ISO 8601"),
        (["--now", "2026-05-01T10:00"], "no UTC offset"),
        (["--partnership", "nowhere"], "no partnership"),
    ],
)
def test_the_command_explains_bad_arguments(disputes, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("apply_retention", *args)
    assert Dispute.objects.count() == 4


def test_the_removal_is_not_recorded_against_the_audit_of_other_disputes(disputes):
    apply_retention(now=FINISHED + datetime.timedelta(days=DAYS + 1))
    removal_events = AuditEvent.objects.filter(action="dispute.removed")
    assert {event.dispute_id_value for event in removal_events} == {disputes["closed"].pk, disputes["withdrawn"].pk}
    assert {event.partnership_id for event in removal_events} == {disputes["closed"].partnership_id}


def test_beat_runs_retention_daily_through_a_task(disputes):
    import time_machine
    from django.conf import settings

    from escalation.tasks import apply_retention_daily

    schedule = settings.CELERY_BEAT_SCHEDULE["apply-retention"]
    # Once a day at a fixed hour (a crontab, which the database scheduler keeps across restarts).
    daily = schedule["schedule"]
    assert schedule["task"] == apply_retention_daily.name
    assert (len(daily.minute), len(daily.hour), len(daily.day_of_week), len(daily.day_of_month)) == (1, 1, 7, 31)
    with time_machine.travel(FINISHED + datetime.timedelta(days=DAYS + 1), tick=False):
        assert apply_retention_daily() == {"removed": 2, "failed": 0}
    assert set(Dispute.objects.values_list("state", flat=True)) == {"raised", "resolved"}
