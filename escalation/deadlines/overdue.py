"""How a deadline is named and when a dispute counts as overdue, for notifications and pages alike.

A dispute is overdue while any of its open deadline rows has been breached by the sweep; nothing else
sets or clears it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, QuerySet

from escalation.deadlines.models import Deadline
from policies.calendar import LONDON
from policies.runtime.clock import rule_length
from policies.vocabulary import DeadlineKind

if TYPE_CHECKING:
    from escalation.disputes.models import Dispute


def overdue_deadlines() -> QuerySet[Deadline]:
    """Open deadline rows the sweep has marked as breached."""
    return Deadline.objects.filter(closed_at__isnull=True, breached_at__isnull=False)


def with_overdue(queryset: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Annotate each dispute with `is_overdue` (one EXISTS per row, no extra queries)."""
    return queryset.annotate(is_overdue=Exists(overdue_deadlines().filter(dispute=OuterRef("pk"))))


def is_overdue(dispute: Dispute) -> bool:
    value = getattr(dispute, "is_overdue", None)
    if value is not None:
        return bool(value)
    return overdue_deadlines().filter(dispute=dispute).exists()


def london_time(moment: datetime.datetime) -> str:
    """'Monday 30 March 2026 at 17:00', in UK time whatever the season."""
    local = moment.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


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
