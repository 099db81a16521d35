"""From a policy's deadline rules to a dispute's deadline rows.

The clock itself is `policies.calendar`; this module decides which rules apply, from which moment
they run, and keeps one open row per rule up to date as the dispute moves.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from escalation.deadlines.models import Deadline
from policies.calendar import WorkingCalendar, calendar_for
from policies.models import DeadlineRule
from policies.runtime.clock import anchor_time, compute_due, compute_reminder
from policies.runtime.conditions import condition_holds
from policies.vocabulary import EntryKind, MetBy

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


def stage_entries(dispute: Dispute) -> dict[int, datetime.datetime]:
    entries: dict[int, datetime.datetime] = {}
    for visit in dispute.stage_visits.order_by("entered_at", "id"):
        entries[visit.stage_number] = visit.entered_at
    return entries


def _already_met(rule: DeadlineRule, dispute: Dispute, anchor_at: datetime.datetime) -> bool:
    if rule.met_by == MetBy.RESPONSE:
        return dispute.record_entries.filter(agency=dispute.other_agency).exists()
    if rule.met_by == MetBy.ACTION_RECORDED:
        return dispute.record_entries.filter(
            kind__in=[EntryKind.ACTION, EntryKind.DECISION], created_at__gte=anchor_at
        ).exists()
    return False


def sync_deadlines(dispute: Dispute, now: datetime.datetime, calendar: WorkingCalendar | None = None) -> list[Deadline]:
    """Open, close and recompute the dispute's deadline rows for where it stands now."""
    calendar = calendar or calendar_for(dispute.partnership)
    default_days = dispute.partnership.default_stage_working_days
    entries = stage_entries(dispute)
    open_rows = {row.rule_id: row for row in dispute.deadlines.filter(closed_at__isnull=True).select_related("rule")}
    result = []
    for rule in dispute.policy_version.deadline_rules.all():
        anchor_at = anchor_time(rule, dispute.raised_at, entries)
        active = (
            dispute.is_open
            and rule.first_stage <= dispute.current_stage <= rule.last_stage
            and anchor_at is not None
            and condition_holds(rule.condition, dispute)
            and not _already_met(rule, dispute, anchor_at)
        )
        row = open_rows.get(rule.id)
        if row is not None and (not active or row.anchor_at != anchor_at):
            close_deadline(row, now)
            row = None
        if active and row is None:
            row = Deadline(dispute=dispute, rule=rule, stage_number=dispute.current_stage, anchor_at=anchor_at)
        if row is None:
            continue
        refresh_due(row, calendar, default_days)
        row.save()
        result.append(row)
    return result


def refresh_due(row: Deadline, calendar: WorkingCalendar, default_working_days: int) -> None:
    row.due_at = compute_due(
        row.rule, row.anchor_at, calendar, default_working_days, row.extended_days, row.manual_due_at
    )
    row.remind_at = compute_reminder(row.rule, row.anchor_at, row.due_at, calendar)


def close_deadline(row: Deadline, now: datetime.datetime) -> None:
    row.closed_at = now
    row.met = row.breached_at is None and (row.due_at is None or now <= row.due_at)
    row.save(update_fields=["closed_at", "met"])
