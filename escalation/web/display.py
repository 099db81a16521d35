"""How moments and durations read on the page: London time, in the GOV.UK style ("5pm Wednesday 6 May 2026")."""

import datetime

from policies.calendar import LONDON


def _clock(moment: datetime.datetime) -> str:
    if moment.minute == 0 and moment.hour == 0:
        return "midnight"
    if moment.minute == 0 and moment.hour == 12:
        return "midday"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}:{moment.minute:02d}{suffix}" if moment.minute else f"{hour}{suffix}"


def london_moment(value: datetime.datetime | None) -> str:
    """A deadline as people say it: '5pm Wednesday 6 May 2026', in London time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{_clock(local)} {local:%A} {local.day} {local:%B %Y}"


def london_datetime(value: datetime.datetime | None) -> str:
    """When something happened: '6 May 2026 at 2:15pm', in London time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local.day} {local:%B %Y} at {_clock(local)}"


def long_date(value: datetime.date | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def _plural(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def duration(delta: datetime.timedelta) -> str:
    """A rough length of time: whole days from two days up, then hours, then minutes."""
    seconds = abs(int(delta.total_seconds()))
    if seconds >= 2 * 86400:
        return _plural(seconds // 86400, "day")
    if seconds >= 3600:
        return _plural(seconds // 3600, "hour")
    return _plural(max(seconds // 60, 1), "minute")


def time_left(due: datetime.datetime, now: datetime.datetime) -> str:
    """'3 days left' before the moment, 'overdue by 2 hours' after it."""
    if due >= now:
        return f"{duration(due - now)} left"
    return f"overdue by {duration(now - due)}"


def nhs_number(value: str) -> str:
    """An NHS number as it is printed: 943 476 5919."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else value or ""
