"""When a deadline rule's clock starts, when it falls due and when to remind: arithmetic over plain values.

The working-day calendar itself is `policies.calendar`; nothing here reads the database or the clock.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from policies.calendar import LONDON, WorkingCalendar, add_calendar_hours
from policies.vocabulary import Anchor, DeadlineKind

if TYPE_CHECKING:
    from policies.models import DeadlineRule


def outset_moment(outset: datetime.date) -> datetime.datetime:
    """The start of the London day the concern was first considered: a working-day clock counts from that day
    as from any moment in it (the day itself does not count)."""
    return datetime.datetime.combine(outset, datetime.time(0), tzinfo=LONDON)


def anchor_time(
    rule: DeadlineRule,
    raised_at: datetime.datetime,
    entries: dict[int, datetime.datetime],
    *,
    outset: datetime.date | None = None,
    proposals: dict[int, datetime.datetime] | None = None,
) -> datetime.datetime | None:
    """When the rule's clock starts, or None if that moment has not happened.

    `entries` maps a stage number to when it was (last) entered; `proposals` maps a stage number to when
    escalation out of it was (last) proposed, the moment that stage was declared unresolved. `outset` is the day
    the raiser says the concern was first considered.

    - concern_outset: that day; with no outset given, the moment the dispute was raised.
    - escalation_proposed: when escalation out of the stage before the rule's first stage was proposed; a
      dispute that started at the rule's first stage (or moved on with no proposal recorded) counts from
      entering it.
    """
    if rule.anchor == Anchor.RAISED:
        return raised_at
    if rule.anchor == Anchor.CONCERN_OUTSET:
        return outset_moment(outset) if outset is not None else raised_at
    if rule.anchor == Anchor.FIRST_STAGE_ENTRY:
        return entries.get(rule.first_stage)
    if rule.anchor == Anchor.ESCALATION_PROPOSED:
        # Only the stage the dispute left to reach the rule's first stage counts: a proposal out of an earlier
        # stage is not this one failing, and a stage left without a proposal (moved on for no response) starts
        # the clock on entry.
        entered = entries.get(rule.first_stage)
        before = [stage for stage in entries if stage < rule.first_stage]
        failed = (proposals or {}).get(max(before)) if before else None
        if failed is not None and (entered is None or failed <= entered):
            return failed
        return entered
    entered = [entries[stage] for stage in rule.stages if stage in entries]
    return max(entered) if entered else None


def rule_length(rule: DeadlineRule, default_working_days: int) -> int | None:
    return default_working_days if rule.partnership_default else rule.length


def compute_due(
    rule: DeadlineRule,
    anchor_at: datetime.datetime,
    calendar: WorkingCalendar,
    default_working_days: int,
    extended_days: int = 0,
    manual_due_at: datetime.datetime | None = None,
    shortened_due_at: datetime.datetime | None = None,
) -> datetime.datetime | None:
    """When the rule falls due from `anchor_at`; a due moment brought forward to protect the subject stands
    wherever it is earlier ("whichever is shortest")."""
    if rule.kind == DeadlineKind.MANUAL:
        due = manual_due_at
    else:
        length = rule_length(rule, default_working_days) + extended_days
        if rule.kind == DeadlineKind.CALENDAR_HOURS:
            due = add_calendar_hours(anchor_at, length)
        else:
            due = calendar.add_working_days(anchor_at, length)
    if shortened_due_at is not None and (due is None or shortened_due_at < due):
        return shortened_due_at
    return due


def compute_reminder(
    rule: DeadlineRule, anchor_at: datetime.datetime, due_at: datetime.datetime | None, calendar: WorkingCalendar
) -> datetime.datetime | None:
    """When to remind: at a working moment for working-day rules, never before the clock started."""
    if due_at is None or rule.reminder_lead == 0:
        return None
    if rule.kind == DeadlineKind.CALENDAR_HOURS:
        remind = due_at - datetime.timedelta(hours=rule.reminder_lead)
    else:
        remind = calendar.working_days_before(due_at, rule.reminder_lead)
    return remind if remind > anchor_at else None


def compute_soon(
    rule: DeadlineRule, due_at: datetime.datetime | None, calendar: WorkingCalendar, due_soon_working_days: int
) -> datetime.datetime | None:
    """From when the deadline shows as due soon: once it falls due within that many working days, counting the
    day itself (2: from the start of business on the working day before the due day). A calendar-hour rule is
    due soon that many days of 24 hours before its due moment.
    """
    if due_at is None:
        return None
    if rule.kind == DeadlineKind.CALENDAR_HOURS:
        return due_at - datetime.timedelta(days=due_soon_working_days)
    return calendar.working_days_before(due_at, max(due_soon_working_days - 1, 0))
