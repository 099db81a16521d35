"""From a policy's deadline rules to a dispute's deadline rows: the shell around `policies.runtime.deadlines`.

The runtime decides which rules run, from which moment and until when; this module loads what it needs and
writes the rows, keeping one open row per running rule as the dispute moves.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from escalation.deadlines.models import Deadline
from policies.calendar import WorkingCalendar, calendar_for
from policies.loading import deadline_rule_def, deadline_rules_of
from policies.runtime.conditions import facts_of
from policies.runtime.deadlines import DeadlineFacts, EntryFact, OpenDeadline, plan_deadlines, timing

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


def stage_entries(dispute: Dispute) -> dict[int, datetime.datetime]:
    """When each stage was last entered."""
    entries: dict[int, datetime.datetime] = {}
    for stage_number, entered_at in dispute.stage_visits.order_by("entered_at", "id").values_list(
        "stage_number", "entered_at"
    ):
        entries[stage_number] = entered_at
    return entries


def deadline_facts(dispute: Dispute, open_rows: list[Deadline]) -> DeadlineFacts:
    """What the runtime needs to plan the dispute's deadlines: three queries (stage visits, entries, facts)."""
    entries = tuple(
        EntryFact(agency_id, kind, created_at)
        for agency_id, kind, created_at in dispute.record_entries.values_list("agency_id", "kind", "created_at")
    )
    return DeadlineFacts(
        is_open=dispute.is_open,
        current_stage=dispute.current_stage,
        raised_at=dispute.raised_at,
        other_agency_id=dispute.other_agency_id,
        facts=facts_of(dispute),
        stage_entries=stage_entries(dispute),
        entries=entries,
        open_rows=tuple(
            OpenDeadline(
                row.pk, row.rule_id, row.anchor_at, row.extended_days, row.manual_due_at, row.breached_at, row.due_at
            )
            for row in open_rows
        ),
    )


def sync_deadlines(dispute: Dispute, now: datetime.datetime, calendar: WorkingCalendar | None = None) -> list[Deadline]:
    """Open, close and recompute the dispute's deadline rows for where it stands now, as the runtime plans."""
    calendar = calendar or calendar_for(dispute.partnership)
    open_rows = list(dispute.deadlines.filter(closed_at__isnull=True).select_related("rule"))
    plan = plan_deadlines(
        deadline_rules_of(dispute.policy_version),
        deadline_facts(dispute, open_rows),
        calendar,
        dispute.partnership.default_stage_working_days,
        now,
        dispute.policy_version.due_soon_working_days,
    )
    by_id = {row.pk: row for row in open_rows}
    for closing in plan.close:
        row = by_id.pop(closing.id)
        row.closed_at, row.met = now, closing.met
        row.save(update_fields=["closed_at", "met"])
    result = []
    for row_id, when in plan.recompute.items():
        row = by_id[row_id]
        if (row.due_at, row.remind_at, row.soon_at) != (when.due_at, when.remind_at, when.soon_at):
            row.due_at, row.remind_at, row.soon_at = when.due_at, when.remind_at, when.soon_at
            row.save(update_fields=["due_at", "remind_at", "soon_at"])
        result.append(row)
    for opening in plan.open:
        result.append(
            Deadline.objects.create(
                dispute=dispute,
                rule_id=opening.rule_id,
                stage_number=opening.stage_number,
                anchor_at=opening.anchor_at,
                due_at=opening.timing.due_at,
                remind_at=opening.timing.remind_at,
                soon_at=opening.timing.soon_at,
            )
        )
    return result


def refresh_due(row: Deadline, calendar: WorkingCalendar, default_working_days: int) -> None:
    """Work out the row's due, reminder and due-soon moments again (after an extension, a pause or a calendar
    change)."""
    when = timing(
        deadline_rule_def(row.rule),
        row.anchor_at,
        calendar,
        default_working_days,
        row.extended_days,
        row.manual_due_at,
        row.dispute.policy_version.due_soon_working_days,
    )
    row.due_at, row.remind_at, row.soon_at = when.due_at, when.remind_at, when.soon_at
