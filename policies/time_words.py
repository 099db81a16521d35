"""One way to say time, for pages, notifications and written records alike.

Moments read as GOV.UK writes them, in London time: "5pm on Wednesday 9 December 2026", "9 December 2026 at
2:15pm". A deadline counted in working days is said in working days ("3 working days left", "overdue by 2 working
days"), one counted in hours is said in hours: a person never has to convert one into the other. Working days
are counted by `policies.calendar`, the only place that knows which days are working days.
"""

import datetime

from policies.calendar import LONDON, WorkingCalendar
from policies.vocabulary import DeadlineKind


def clock(moment: datetime.datetime) -> str:
    """'5pm', '9:30am', 'midday' or 'midnight', in London time."""
    local = moment.astimezone(LONDON)
    if local.minute == 0 and local.hour == 0:
        return "midnight"
    if local.minute == 0 and local.hour == 12:
        return "midday"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    return f"{hour}:{local.minute:02d}{suffix}" if local.minute else f"{hour}{suffix}"


def day(value: datetime.date) -> str:
    """'Wednesday 9 December 2026'."""
    return f"{value:%A} {value.day} {value:%B %Y}"


def long_date(value: datetime.date | None) -> str:
    """'9 December 2026'."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def moment(value: datetime.datetime | None) -> str:
    """When something is due: '5pm on Wednesday 9 December 2026', in London time."""
    if value is None:
        return ""
    return f"{clock(value)} on {day(value.astimezone(LONDON).date())}"


def happened(value: datetime.datetime | None) -> str:
    """When something happened: '9 December 2026 at 2:15pm', in London time."""
    if value is None:
        return ""
    return f"{long_date(value.astimezone(LONDON).date())} at {clock(value)}"


def plural(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def elapsed(delta: datetime.timedelta) -> str:
    """A length of elapsed time in hours (or minutes under an hour): what an hour rule counts."""
    seconds = abs(int(delta.total_seconds()))
    if seconds >= 3600:
        return plural(seconds // 3600, "hour")
    return plural(max(seconds // 60, 1), "minute")


def rough(delta: datetime.timedelta) -> str:
    """How long ago, roughly: whole days from two days up, then hours, then minutes ('3 days ago')."""
    seconds = abs(int(delta.total_seconds()))
    if seconds >= 2 * 86400:
        return plural(seconds // 86400, "day")
    return elapsed(delta)


def _same_day(one: datetime.datetime, other: datetime.datetime) -> bool:
    return one.astimezone(LONDON).date() == other.astimezone(LONDON).date()


def working_days_left(due: datetime.datetime, now: datetime.datetime, calendar: WorkingCalendar) -> str:
    """'3 working days left', 'due by 5pm today', 'overdue since 5pm today', 'overdue by 2 working days'.

    Whole working days are counted as `WorkingCalendar.working_days_between` counts them: the days after today up
    to and including the due day, so a deadline at 5pm tomorrow has 1 working day left.
    """
    if due >= now:
        days = calendar.working_days_between(now, due)
        if days:
            return f"{plural(days, 'working day')} left"
        return f"due by {clock(due)} today" if _same_day(due, now) else f"due by {moment(due)}"
    days = calendar.working_days_between(due, now)
    if days:
        return f"overdue by {plural(days, 'working day')}"
    return f"overdue since {clock(due)} today" if _same_day(due, now) else f"overdue since {moment(due)}"


def hours_left(due: datetime.datetime, now: datetime.datetime) -> str:
    """'5 hours left', 'overdue by 3 hours': an hour rule counts elapsed hours."""
    if due >= now:
        return f"{elapsed(due - now)} left"
    return f"overdue by {elapsed(now - due)}"


def time_left(due: datetime.datetime, now: datetime.datetime, kind: str, calendar: WorkingCalendar) -> str:
    """The time left before a deadline, or how late it is, in the unit its rule counts in."""
    if kind == DeadlineKind.CALENDAR_HOURS:
        return hours_left(due, now)
    return working_days_left(due, now, calendar)
