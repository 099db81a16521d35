"""How a deadline is named and when a dispute counts as overdue, for notifications and pages alike.

A dispute is overdue while any of its open deadline rows has been breached by the sweep; nothing else
sets or clears it. `overdue_deadlines` is that rule; the database keeps its answer as a row for each overdue
dispute (`OverdueDispute`, triggers on the deadline table, migration 0025), which is what pages and filters read.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from agencies.models import Partnership
from escalation.deadlines.models import Deadline
from policies import time_words
from policies.calendar import WorkingCalendar, calendar_for
from policies.runtime.clock import rule_length
from policies.vocabulary import DeadlineKind


def overdue_deadlines() -> QuerySet[Deadline]:
    """Open deadline rows the sweep has marked as breached."""
    return Deadline.objects.filter(closed_at__isnull=True, breached_at__isnull=False)


def london_time(moment: datetime.datetime) -> str:
    """'5pm on Monday 30 March 2026', in UK time whatever the season (`policies.time_words`)."""
    return time_words.moment(moment)


class Calendars:
    """Each partnership's working-day calendar, read once (one query for its closure days) however many of its
    deadlines a page or a list shows."""

    def __init__(self) -> None:
        self._by_partnership: dict[int, WorkingCalendar] = {}

    def of(self, partnership: Partnership) -> WorkingCalendar:
        if partnership.pk not in self._by_partnership:
            self._by_partnership[partnership.pk] = calendar_for(partnership)
        return self._by_partnership[partnership.pk]


def time_left(deadline: Deadline, now: datetime.datetime, calendars: Calendars | None = None) -> str:
    """'3 working days left', 'overdue by 2 working days', '5 hours left': in the unit the deadline's rule counts
    in; '' for a deadline with no due moment yet."""
    if deadline.due_at is None:
        return ""
    calendar = (calendars or Calendars()).of(deadline.dispute.partnership)
    return time_words.time_left(deadline.due_at, now, deadline.rule.kind, calendar)


def deadline_label(deadline: Deadline) -> str:
    """The rule as users should read it, with any extension; no personal data.

    Where the policy gives no figure the partnership's default applies, and it is named as the
    partnership's default with its number of days, not in the policy's words.
    """
    rule = deadline.rule
    if rule.partnership_default:
        days = rule_length(rule, deadline.dispute.partnership.default_stage_working_days)
        stages = (
            f"Stage {rule.first_stage}"
            if rule.first_stage == rule.last_stage
            else (f"Stages {rule.first_stage} to {rule.last_stage}")
        )
        label = f"{stages}: the partnership's default of {days} working days (the policy states no timescale)"
    else:
        label = rule.label
    if deadline.extended_days and rule.kind == DeadlineKind.WORKING_DAYS:
        plural = "s" if deadline.extended_days != 1 else ""
        label += f", extended by {deadline.extended_days} working day{plural}"
    return label
