"""From a policy's deadline rules to a dispute's deadline rows: the shell around `policies.runtime.deadlines`.

The runtime decides which rules run, from which moment and until when; this module loads what it needs and
writes the rows, keeping one open row per running rule as the dispute moves.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from agencies.models import Membership
from escalation.deadlines.models import Deadline
from policies.calendar import WorkingCalendar, calendar_for
from policies.loading import deadline_rule_def, deadline_rules_of
from policies.runtime.conditions import facts_of
from policies.runtime.deadlines import DeadlineFacts, EntryFact, OpenDeadline, plan_deadlines, timing
from policies.vocabulary import DisputeState

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


def stage_moments(dispute: Dispute) -> tuple[dict[int, datetime.datetime], dict[int, datetime.datetime]]:
    """When each stage was last entered, and when escalation out of each was last proposed."""
    entries: dict[int, datetime.datetime] = {}
    proposals: dict[int, datetime.datetime] = {}
    for stage_number, entered_at, proposed_at in dispute.stage_visits.order_by("entered_at", "id").values_list(
        "stage_number", "entered_at", "escalation_proposed_at"
    ):
        entries[stage_number] = entered_at
        if proposed_at is not None:
            proposals[stage_number] = proposed_at
    awaiting = dispute.state == DisputeState.AWAITING_APPROVAL
    if awaiting and dispute.escalation_proposed_at and dispute.current_stage not in proposals:
        # A proposal made before proposal moments were kept per stage.
        proposals[dispute.current_stage] = dispute.escalation_proposed_at
    return entries, proposals


def _entry_facts(dispute: Dispute) -> tuple[EntryFact, ...]:
    """The dispute's record entries, each with its author and the roles they hold in the agency it was written
    for (two queries; one when there are none)."""
    rows = list(dispute.record_entries.values_list("agency_id", "kind", "created_at", "author_id"))
    if not rows:
        return ()
    roles: dict[tuple[int, int], set[str]] = {}
    for user_id, agency_id, role in Membership.objects.filter(
        user_id__in={author for *_, author in rows}, agency_id__in={agency for agency, *_ in rows}
    ).values_list("user_id", "agency_id", "role"):
        roles.setdefault((user_id, agency_id), set()).add(role)
    return tuple(
        EntryFact(agency_id, kind, created_at, author_id, frozenset(roles.get((author_id, agency_id), ())))
        for agency_id, kind, created_at, author_id in rows
    )


def deadline_facts(dispute: Dispute, open_rows: list[Deadline]) -> DeadlineFacts:
    """What the runtime needs to plan the dispute's deadlines: four queries (stage visits, entries and their
    authors' roles, facts)."""
    entries, proposals = stage_moments(dispute)
    return DeadlineFacts(
        is_open=dispute.is_open,
        current_stage=dispute.current_stage,
        raised_at=dispute.raised_at,
        other_agency_id=dispute.other_agency_id,
        facts=facts_of(dispute),
        stage_entries=entries,
        entries=_entry_facts(dispute),
        open_rows=tuple(
            OpenDeadline(
                row.pk,
                row.rule_id,
                row.anchor_at,
                row.extended_days,
                row.manual_due_at,
                row.breached_at,
                row.due_at,
                row.shortened_due_at,
            )
            for row in open_rows
        ),
        raising_agency_id=dispute.raising_agency_id,
        raiser_id=dispute.raised_by_id,
        concern_outset=dispute.concern_outset,
        stage_proposals=proposals,
        awaiting_approval=dispute.state == DisputeState.AWAITING_APPROVAL,
        harm_flagged_at=dispute.immediate_harm_flagged_at,
    )


def sync_deadlines(dispute: Dispute, now: datetime.datetime, calendar: WorkingCalendar | None = None) -> list[Deadline]:
    """Open, close and recompute the dispute's deadline rows for where it stands now, as the runtime plans."""
    calendar = calendar or calendar_for(dispute.partnership)
    open_rows = list(dispute.deadlines.filter(closed_at__isnull=True).select_related("rule"))
    rules = deadline_rules_of(dispute.policy_version)
    plan = plan_deadlines(
        rules,
        deadline_facts(dispute, open_rows),
        calendar,
        dispute.partnership.default_stage_working_days,
        now,
        dispute.policy_version.due_soon_working_days,
    )
    by_id = {row.pk: row for row in open_rows}
    for closing in plan.close:
        row = by_id.pop(closing.id)
        row.closed_at, row.met = closing.at or now, closing.met
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
                guide=any(rule.guide for rule in rules if rule.id == opening.rule_id),
            )
        )
    return result


def reopen_after_declined_escalation(dispute: Dispute, proposed_at: datetime.datetime | None) -> None:
    """The escalation proposed at `proposed_at` was declined, so its stage was not left after all: the deadlines
    the proposal ended run on (call `sync_deadlines` next; one already past its due moment is then missed)."""
    if proposed_at is None:
        return
    still_open = dispute.deadlines.filter(closed_at__isnull=True).values("rule_id")
    dispute.deadlines.filter(closed_at=proposed_at).exclude(rule_id__in=still_open).update(closed_at=None, met=None)


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
        row.shortened_due_at,
    )
    row.due_at, row.remind_at, row.soon_at = when.due_at, when.remind_at, when.soon_at
