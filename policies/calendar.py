"""The working-day clock: when a deadline falls due under a partnership's calendar.

"Within N working days" of a moment ends at the close of business of the Nth working day after the
day the clock starts; that day itself never counts, whatever day it is. Non-working days are weekends,
the bank holidays of the partnership's nation and the partnership's own closure days. Days are London
days; the instants returned are aware and can be stored in UTC.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
DEFAULT_CLOSE = datetime.time(17, 0)
DEFAULT_OPEN = datetime.time(9, 0)


@lru_cache(maxsize=16)
def _bank_holidays(nation: str) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=nation)


@lru_cache(maxsize=256)
def _bank_holiday_dates(nation: str, year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("GB", subdiv=nation, years=year))


@dataclass(frozen=True)
class WorkingCalendar:
    nation: str = "ENG"
    closure_days: frozenset[datetime.date] = field(default_factory=frozenset)
    close_of_business: datetime.time = DEFAULT_CLOSE
    start_of_business: datetime.time = DEFAULT_OPEN

    def is_working_day(self, day: datetime.date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(self.nation) and day not in self.closure_days

    def nth_working_day_after(self, day: datetime.date, n: int) -> datetime.date:
        """The Nth working day after `day` (which does not count); n=0 gives `day` itself."""
        if n < 0:
            raise ValueError("n must not be negative")
        counted = 0
        while counted < n:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def nth_working_day_before(self, day: datetime.date, n: int) -> datetime.date:
        counted = 0
        while counted < n:
            day -= datetime.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def add_working_days(self, start: datetime.datetime, n: int) -> datetime.datetime:
        """Close of business on the Nth working day after the London day of `start`."""
        _require_aware(start)
        if n < 1:
            raise ValueError("a working-day deadline needs at least one day")
        day = self.nth_working_day_after(start.astimezone(LONDON).date(), n)
        return datetime.datetime.combine(day, self.close_of_business, tzinfo=LONDON)

    def working_days_before(self, due: datetime.datetime, n: int) -> datetime.datetime:
        """The start of business N working days before the London day of `due`: when to remind."""
        _require_aware(due)
        day = self.nth_working_day_before(due.astimezone(LONDON).date(), n)
        return datetime.datetime.combine(day, self.start_of_business, tzinfo=LONDON)

    def working_days_between(self, start: datetime.datetime, end: datetime.datetime) -> int:
        """Working days after the London day of `start` up to and including the London day of `end`.

        Counted, not walked: weekdays by arithmetic, less the bank holidays and closure days that fall on one, so
        a deadline years overdue (a register of old disputes) costs no more than one due tomorrow.
        """
        _require_aware(start)
        _require_aware(end)
        first = start.astimezone(LONDON).date() + datetime.timedelta(days=1)
        last = end.astimezone(LONDON).date()
        if last < first:
            return 0
        weeks, extra = divmod((last - first).days + 1, 7)
        weekdays = 5 * weeks + sum((first.weekday() + i) % 7 < 5 for i in range(extra))
        days_off = set(self.closure_days).union(
            *(_bank_holiday_dates(self.nation, year) for year in range(first.year, last.year + 1))
        )
        return weekdays - sum(first <= day <= last and day.weekday() < 5 for day in days_off)


def add_calendar_hours(start: datetime.datetime, hours: int) -> datetime.datetime:
    """Elapsed hours: 24 hours across a clock change is still 24 hours."""
    _require_aware(start)
    return start.astimezone(datetime.UTC) + datetime.timedelta(hours=hours)


def calendar_for(partnership: object, closure_days: Iterable[datetime.date] | None = None) -> WorkingCalendar:
    """The calendar of a partnership (anything with nation, close_of_business and closure days)."""
    if closure_days is None:
        closure_days = partnership.closure_days.values_list("date", flat=True)
    return WorkingCalendar(
        nation=partnership.nation,
        closure_days=frozenset(closure_days),
        close_of_business=partnership.close_of_business,
    )


def _require_aware(moment: datetime.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetimes are not accepted: pass an aware datetime")
