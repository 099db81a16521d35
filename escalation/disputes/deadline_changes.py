"""Changes to deadlines themselves: the business manager's extensions and pauses, a due moment brought
forward to protect the subject, and calendar changes.

An extension or pause is kept on the deadline row (`extended_days`, `paused_at`), so every later
computation (`deadlines.rules.refresh_due`, called whenever the dispute moves or the calendar changes) uses
it. The sweep leaves paused rows alone; on resuming, the working days the pause lasted are added to the
extension. Only working-day deadlines can be extended or paused: a deadline in calendar hours (a policy's
clock for a risk of immediate harm) is about a risk to someone now, and a deadline set by hand is changed
by setting it again.

A deadline can also be shortened: "within one working week or a timescale that protects the child from harm
(whichever is shortest)". The earlier moment is kept on the row (`shortened_due_at`) and the deadline falls due
at whichever is earlier, the policy's moment or that one, however it is recomputed later. A shortened deadline
is not extended or paused: that would undo the protection it was shortened for.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from agencies.models import ClosureDay, Membership, Nation, Partnership, Role
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.models import Deadline
from escalation.deadlines.overdue import deadline_label, london_time
from escalation.deadlines.rules import refresh_due
from escalation.disputes.models import Dispute
from escalation.disputes.permissions import ActionRefused, require
from escalation.notifications.outbox import queue
from policies.calendar import calendar_for
from policies.vocabulary import OPEN_STATES, Condition, DeadlineKind

MAX_EXTENSION_DAYS = 60


def _locked(deadline: Deadline) -> tuple[Dispute, Deadline]:
    dispute = (
        Dispute.objects.select_for_update()
        .select_related("partnership", "policy_version", "raising_agency", "other_agency")
        .get(pk=deadline.dispute_id)
    )
    row = Deadline.objects.select_for_update().select_related("rule").get(pk=deadline.pk)
    row.dispute = dispute
    return dispute, row


#: The permission (see escalation.permissions) each change of a deadline needs.
CHANGE_PERMISSIONS = {
    "set": "set_manual_deadline",
    "extend": "adjust_deadline",
    "pause": "adjust_deadline",
    "resume": "adjust_deadline",
    "shorten": "shorten_deadline",
}


def refusal(row: Deadline, change: str) -> str | None:
    """Why the deadline cannot take this change now, whoever asks; None when it can.

    The one rule for the services here and for the changes the dispute's page offers.
    """
    if row.closed_at is not None:
        return "This deadline is no longer open, so it cannot be changed."
    kind = row.rule.kind
    if change == "set":
        return None if kind == DeadlineKind.MANUAL else "Only a deadline the policy leaves to the chair is set by hand."
    if change == "shorten":
        return _shorten_refusal(row)
    if change in ("extend", "pause") and row.shortened_due_at is not None:
        return "This deadline was brought forward to protect the child or adult, so it cannot be extended or paused."
    if kind == DeadlineKind.CALENDAR_HOURS:
        name = row.rule.short_name
        name = name[0].upper() + name[1:]
        if row.rule.condition == Condition.IMMEDIATE_HARM:
            return f"{name} for a risk of immediate harm cannot be extended or paused: the risk needs action now."
        return f"{name} counts every hour, so it cannot be extended or paused."
    if kind == DeadlineKind.MANUAL:
        return "This deadline is set by the chair: ask the chair to set a new date instead."
    if change == "pause" and row.paused_at is not None:
        return "This deadline is already paused."
    if change == "pause" and row.breached_at is not None:
        return "This deadline has already been missed: extend it instead of pausing it."
    if change == "resume" and row.paused_at is None:
        return "This deadline is not paused."
    return None


def _shorten_refusal(row: Deadline) -> str | None:
    if row.rule.kind == DeadlineKind.MANUAL:
        return "This deadline is set by the chair: ask the chair to set an earlier date instead."
    if row.due_at is None:
        return "This deadline has no due date yet, so it cannot be brought forward."
    if row.paused_at is not None:
        return "This deadline is paused: restart it before bringing it forward."
    if row.breached_at is not None:
        return "This deadline has already been missed, so it cannot be brought forward."
    return None


def possible_changes(row: Deadline) -> list[str]:
    return [change for change in CHANGE_PERMISSIONS if refusal(row, change) is None]


def _check(row: Deadline, change: str, reason: str | None = None) -> None:
    problem = refusal(row, change)
    if problem:
        raise ActionRefused(problem)
    if reason is not None and not reason.strip():
        raise ActionRefused("Give a reason: everyone involved in the dispute will be able to read it.")


def _state(row: Deadline) -> dict:
    def iso(value: datetime.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "rule": row.rule.name,
        "due_at": iso(row.due_at),
        "remind_at": iso(row.remind_at),
        "extended_days": row.extended_days,
        "paused_at": iso(row.paused_at),
        "reminded_at": iso(row.reminded_at),
        "breached_at": iso(row.breached_at),
        "shortened_due_at": iso(row.shortened_due_at),
    }


def _recompute(row: Deadline, dispute: Dispute, now: datetime.datetime) -> None:
    """New due and reminder moments; a reminder or breach still ahead will fire again for the new moment."""
    refresh_due(row, calendar_for(dispute.partnership), dispute.partnership.default_stage_working_days)
    if row.breached_at is not None and row.due_at is not None and row.due_at >= now:
        row.breached_at = None
    if row.reminded_at is not None and row.remind_at is not None and row.remind_at > now:
        row.reminded_at = None


def _tell(dispute: Dispute, row: Deadline, by, headline: str, message: str, now: datetime.datetime) -> None:
    roles = list(dict.fromkeys([*row.rule.remind_roles, *row.rule.breach_roles]))
    queue(dispute, "deadline_changed", roles, headline[:300], now, message=message, deadline=row, exclude=[by])


FIELDS = ["due_at", "remind_at", "soon_at", "extended_days", "paused_at", "reminded_at", "breached_at"]


@transaction.atomic
def extend_deadline(
    *, deadline: Deadline, by, working_days: int, reason: str, now: datetime.datetime | None = None
) -> Deadline:
    """Give the deadline more working days, for a written reason; audited and told to the rule's roles."""
    now = now or timezone.now()
    dispute, row = _locked(deadline)
    require(by, dispute, "adjust_deadline")
    _check(row, "extend", reason)
    if not isinstance(working_days, int) or not 1 <= working_days <= MAX_EXTENSION_DAYS:
        raise ActionRefused(f"Extend by a whole number of working days from 1 to {MAX_EXTENSION_DAYS}.")
    before = _state(row)
    row.extended_days += working_days
    _recompute(row, dispute, now)
    row.save(update_fields=FIELDS)
    audit.record(
        by,
        AuditEventType.DEADLINE_EXTENDED,
        dispute=dispute,
        obj=row,
        before=before,
        after={**_state(row), "working_days": working_days, "reason": reason},
        now=now,
    )
    label = deadline_label(row)
    if row.due_at is not None:
        _tell(
            dispute,
            row,
            by,
            f"{dispute.reference}: deadline extended ({label})",
            f"The partnership business manager extended '{label}' by {working_days} working days. "
            f"It is now due at {london_time(row.due_at)}. The reason is on the dispute's page.",
            now,
        )
    return row


@transaction.atomic
def shorten_deadline(
    *, deadline: Deadline, by, due_at: datetime.datetime, reason: str, now: datetime.datetime | None = None
) -> Deadline:
    """Bring the deadline forward to an earlier moment that protects the subject, for a written reason.

    The business manager or a manager of either agency may; the moment must be in the future and earlier than
    the deadline's due moment now. Audited; the rule's recipients are told.
    """
    now = now or timezone.now()
    dispute, row = _locked(deadline)
    require(by, dispute, "shorten_deadline", now)
    _check(row, "shorten", reason)
    if not isinstance(due_at, datetime.datetime) or due_at.tzinfo is None:
        raise ActionRefused("Give the new due date and time.")
    if due_at <= now:
        raise ActionRefused("The new due date and time must be in the future.")
    if due_at >= row.due_at:
        raise ActionRefused(f"The new due date and time must be before {london_time(row.due_at)}, when it is due now.")
    before = _state(row)
    row.shortened_due_at = due_at
    _recompute(row, dispute, now)
    row.save(update_fields=[*FIELDS, "shortened_due_at"])
    audit.record(
        by,
        AuditEventType.DEADLINE_SHORTENED,
        dispute=dispute,
        obj=row,
        before=before,
        after={**_state(row), "reason": reason},
        now=now,
    )
    label = deadline_label(row)
    _tell(
        dispute,
        row,
        by,
        f"{dispute.reference}: deadline brought forward ({label})",
        f"'{label}' was brought forward to protect the child or adult. It is now due at "
        f"{london_time(row.due_at)}. The reason is on the dispute's page.",
        now,
    )
    return row


@transaction.atomic
def pause_deadline(*, deadline: Deadline, by, reason: str, now: datetime.datetime | None = None) -> Deadline:
    """Stop the deadline's clock until it is resumed; the sweep leaves a paused deadline alone."""
    now = now or timezone.now()
    dispute, row = _locked(deadline)
    require(by, dispute, "adjust_deadline")
    _check(row, "pause", reason)
    before = _state(row)
    row.paused_at = now
    row.save(update_fields=["paused_at"])
    audit.record(
        by,
        AuditEventType.DEADLINE_PAUSED,
        dispute=dispute,
        obj=row,
        before=before,
        after={**_state(row), "reason": reason},
        now=now,
    )
    label = deadline_label(row)
    _tell(
        dispute,
        row,
        by,
        f"{dispute.reference}: deadline paused ({label})",
        f"The partnership business manager paused '{label}'. The reason is on the dispute's page.",
        now,
    )
    return row


@transaction.atomic
def resume_deadline(*, deadline: Deadline, by, reason: str = "", now: datetime.datetime | None = None) -> Deadline:
    """Restart a paused deadline; the working days the pause lasted are added to its extension."""
    now = now or timezone.now()
    dispute, row = _locked(deadline)
    require(by, dispute, "adjust_deadline")
    _check(row, "resume")
    before = _state(row)
    paused_days = calendar_for(dispute.partnership).working_days_between(row.paused_at, now)
    row.extended_days += paused_days
    row.paused_at = None
    _recompute(row, dispute, now)
    row.save(update_fields=FIELDS)
    audit.record(
        by,
        AuditEventType.DEADLINE_RESUMED,
        dispute=dispute,
        obj=row,
        before=before,
        after={**_state(row), "paused_working_days": paused_days, "reason": reason},
        now=now,
    )
    label = deadline_label(row)
    if row.due_at is not None:
        _tell(
            dispute,
            row,
            by,
            f"{dispute.reference}: deadline running again ({label})",
            f"'{label}' was paused for {paused_days} working days and is now due at {london_time(row.due_at)}.",
            now,
        )
    return row


# Calendar changes ------------------------------------------------------------------------------------------------

#: The partnership's settings that decide when its working-day deadlines fall due (with its closure days).
CALENDAR_SETTINGS = ("nation", "close_of_business", "default_stage_working_days")
MAX_DEFAULT_STAGE_DAYS = 60


def calendar_refusal(
    *,
    nation: str | None = None,
    close_of_business: datetime.time | None = None,
    default_stage_working_days: int | None = None,
) -> str | None:
    """Why these calendar settings cannot be saved; None when they can. The admin's form asks the same."""
    if nation is not None and nation not in Nation.values:
        return "Choose whose bank holidays count: England and Wales, Scotland or Northern Ireland."
    if close_of_business is not None and not isinstance(close_of_business, datetime.time):
        return "Give the close of business as a time of day."
    days = default_stage_working_days
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DEFAULT_STAGE_DAYS
    ):
        return f"A stage's default deadline is a whole number of working days from 1 to {MAX_DEFAULT_STAGE_DAYS}."
    return None


def _require_partnership_admin(user, partnership: Partnership) -> None:
    allowed = user is not None and (
        user.is_superuser
        or Membership.objects.filter(user=user, role=Role.ADMIN, agency__partnership=partnership).exists()
    )
    if not allowed:
        raise ActionRefused("Only an admin of this partnership can change its calendar.")


def _lock(partnership: Partnership) -> Partnership:
    """The partnership's stored row, locked so two calendar changes are applied one after the other."""
    return Partnership.objects.select_for_update().get(pk=partnership.pk)


SETTING_NAMES = {
    "nation": "nation",
    "close_of_business": "close of business",
    "default_stage_working_days": "default working days for a stage",
}


def _setting(value: object) -> object:
    return value.strftime("%H:%M") if isinstance(value, datetime.time) else value


@transaction.atomic
def change_calendar(
    *,
    partnership: Partnership,
    changed_by,
    nation: str | None = None,
    close_of_business: datetime.time | None = None,
    default_stage_working_days: int | None = None,
    now: datetime.datetime,
) -> int:
    """Save the partnership's calendar settings and move its open deadlines to match; one audit event.

    A setting left as None, or given as it is stored, is not changed; when none changes nothing is written.
    Returns how many deadlines moved.
    """
    _require_partnership_admin(changed_by, partnership)
    problem = calendar_refusal(
        nation=nation, close_of_business=close_of_business, default_stage_working_days=default_stage_working_days
    )
    if problem:
        raise ActionRefused(problem)
    stored = _lock(partnership)
    wanted = {
        "nation": nation,
        "close_of_business": close_of_business,
        "default_stage_working_days": default_stage_working_days,
    }
    changes = {name: value for name, value in wanted.items() if value is not None and value != getattr(stored, name)}
    for name in CALENDAR_SETTINGS:
        setattr(partnership, name, changes.get(name, getattr(stored, name)))
    if not changes:
        return 0
    partnership.save(update_fields=list(changes))
    described = ", ".join(
        f"{SETTING_NAMES[name]} from {_setting(getattr(stored, name))} to {_setting(value)}"
        for name, value in changes.items()
    )
    moved = recompute_open_deadlines(partnership, now, reason=f"calendar changed: {described}", by=changed_by)
    audit.record(
        changed_by,
        AuditEventType.CALENDAR_CHANGED,
        obj=partnership,
        partnership=partnership,
        before={name: _setting(getattr(stored, name)) for name in changes},
        after={**{name: _setting(value) for name, value in changes.items()}, "deadlines_moved": moved},
        now=now,
    )
    return moved


def _closure(closure_day: ClosureDay) -> dict:
    return {"date": closure_day.date.isoformat(), "reason": closure_day.reason}


def _refuse_second_closure(partnership: Partnership, date: datetime.date, but: ClosureDay | None = None) -> None:
    others = ClosureDay.objects.filter(partnership=partnership, date=date)
    if but is not None:
        others = others.exclude(pk=but.pk)
    if others.exists():
        raise ActionRefused(f"{date:%d %B %Y} is already a closure day.")


@transaction.atomic
def add_closure_day(
    *, partnership: Partnership, date: datetime.date, reason: str = "", changed_by, now: datetime.datetime
) -> ClosureDay:
    """Close the partnership for a day: its open deadlines skip it from now on."""
    _require_partnership_admin(changed_by, partnership)
    _lock(partnership)
    _refuse_second_closure(partnership, date)
    closure = ClosureDay.objects.create(partnership=partnership, date=date, reason=reason)
    moved = recompute_open_deadlines(partnership, now, reason=f"closure day added: {date.isoformat()}", by=changed_by)
    audit.record(
        changed_by,
        AuditEventType.CLOSURE_DAY_ADDED,
        obj=closure,
        partnership=partnership,
        after={**_closure(closure), "deadlines_moved": moved},
        now=now,
    )
    return closure


@transaction.atomic
def change_closure_day(
    *, closure_day: ClosureDay, date: datetime.date, reason: str, changed_by, now: datetime.datetime
) -> ClosureDay:
    """Move a closure day to another date or reword its reason; a new date moves the open deadlines."""
    partnership = closure_day.partnership
    _require_partnership_admin(changed_by, partnership)
    _lock(partnership)
    stored = ClosureDay.objects.get(pk=closure_day.pk)
    if (stored.date, stored.reason) == (date, reason):
        return closure_day
    _refuse_second_closure(partnership, date, but=closure_day)
    closure_day.date, closure_day.reason = date, reason
    closure_day.save(update_fields=["date", "reason"])
    moved = 0
    if stored.date != date:
        moved = recompute_open_deadlines(
            partnership,
            now,
            reason=f"closure day moved: {stored.date.isoformat()} to {date.isoformat()}",
            by=changed_by,
        )
    audit.record(
        changed_by,
        AuditEventType.CLOSURE_DAY_CHANGED,
        obj=closure_day,
        partnership=partnership,
        before=_closure(stored),
        after={**_closure(closure_day), "deadlines_moved": moved},
        now=now,
    )
    return closure_day


@transaction.atomic
def remove_closure_day(*, closure_day: ClosureDay, changed_by, now: datetime.datetime) -> int:
    """Open the partnership again on that day: its open deadlines count it from now on. Returns how many moved."""
    partnership = closure_day.partnership
    _require_partnership_admin(changed_by, partnership)
    _lock(partnership)
    ClosureDay.objects.filter(pk=closure_day.pk).delete()
    moved = recompute_open_deadlines(
        partnership, now, reason=f"closure day removed: {closure_day.date.isoformat()}", by=changed_by
    )
    audit.record(
        changed_by,
        AuditEventType.CLOSURE_DAY_REMOVED,
        obj=closure_day,
        partnership=partnership,
        before=_closure(closure_day),
        after={"deadlines_moved": moved},
        now=now,
    )
    return moved


@transaction.atomic
def recompute_open_deadlines(
    partnership: Partnership, now: datetime.datetime, *, reason: str = "calendar changed", by=None
) -> int:
    """Recompute the open, not yet missed deadlines of the partnership's disputes after a calendar change.

    The calendar services above call it after saving their change, in the same transaction. Each row keeps
    the rule of the policy version its dispute was raised under, so a later policy edit changes nothing here.
    A deadline already missed stays missed; a reminder already sent goes again when its new moment is still
    ahead. Each row that moves gets an event on its dispute's trail. Returns how many rows moved.
    """
    calendar = calendar_for(partnership)
    rows = (
        Deadline.objects.select_for_update(of=("self",))
        .filter(
            dispute__partnership=partnership,
            dispute__state__in=OPEN_STATES,
            closed_at__isnull=True,
            breached_at__isnull=True,
        )
        .select_related("rule", "dispute__policy_version")
        .defer("dispute__policy_version__document")
        .order_by("id")
    )
    moved = []
    for row in rows:
        before = (row.due_at, row.remind_at)
        refresh_due(row, calendar, partnership.default_stage_working_days)
        if (row.due_at, row.remind_at) == before:
            continue
        if row.reminded_at is not None and row.remind_at is not None and row.remind_at > now:
            row.reminded_at = None
        moved.append(row)
        audit.record(
            by,
            AuditEventType.DEADLINE_RECOMPUTED,
            dispute=row.dispute,
            obj=row,
            before={"due_at": before[0].isoformat() if before[0] else None},
            after={"due_at": row.due_at.isoformat() if row.due_at else None, "reason": reason},
            partnership=partnership,
            now=now,
        )
    Deadline.objects.bulk_update(moved, ["due_at", "remind_at", "soon_at", "reminded_at"])
    return len(moved)
