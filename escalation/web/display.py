"""How moments and durations read on the page: `policies.time_words` does the work, so pages, notifications and
written records say time the same way ("5pm on Wednesday 6 May 2026")."""

import datetime

from policies import time_words


def london_moment(value: datetime.datetime | None) -> str:
    """A deadline as people say it: '5pm on Wednesday 6 May 2026', in London time."""
    return time_words.moment(value)


def london_datetime(value: datetime.datetime | None) -> str:
    """When something happened: '6 May 2026 at 2:15pm', in London time."""
    return time_words.happened(value)


def long_date(value: datetime.date | None) -> str:
    return time_words.long_date(value)


def duration(delta: datetime.timedelta) -> str:
    """A rough length of time: whole days from two days up, then hours, then minutes."""
    return time_words.rough(delta)


def nhs_number(value: str) -> str:
    """An NHS number as it is printed: 943 476 5919."""
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else value or ""
