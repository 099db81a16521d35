"""The working-day clock (policies.calendar) and how deadlines use it (escalation.deadlines).

The rule (seed-policies.md, last section): "within N working days" of a moment ends at the close of business
(17:00 Europe/London unless the partnership says otherwise) of the Nth working day after the London day the
clock starts; that day never counts, whatever day it is. Non-working days are weekends, the bank holidays of
the partnership's nation and the partnership's closure days. Calendar-hour rules count elapsed hours.

Every expected value below was worked out by hand from the real 2026/2027 calendars and the `holidays`
package's UK dates (checked in a shell):

    England & Wales 2026: Thu 1 Jan, Fri 3 Apr (Good Friday), Mon 6 Apr (Easter Monday), Mon 4 May,
        Mon 25 May, Mon 31 Aug, Fri 25 Dec, Sat 26 Dec (Boxing Day) with Mon 28 Dec as its substitute;
        2027: Fri 1 Jan, Fri 26 Mar, Mon 29 Mar, ...
    Scotland differs: Fri 2 Jan 2026; no Easter Monday; Mon 15 Jun 2026 (World Cup); Mon 3 Aug 2026 (summer)
        instead of Mon 31 Aug; Mon 30 Nov 2026 (St Andrew's Day); Sat 2 Jan 2027 with Mon 4 Jan 2027 as its
        substitute.
    Northern Ireland adds: Tue 17 Mar 2026 (St Patrick's Day), Sun 12 Jul 2026 (Battle of the Boyne) with
        Mon 13 Jul 2026 as its substitute.
    Clocks: BST begins Sun 29 Mar 2026 01:00 UTC; GMT returns Sun 25 Oct 2026 01:00 UTC.

No database is needed: calendars are built directly.
"""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.calendar import DEFAULT_CLOSE, DEFAULT_OPEN, WorkingCalendar, add_calendar_hours, calendar_for
from policies.models import DeadlineRule
from policies.runtime.clock import anchor_time, compute_due, compute_reminder
from policies.vocabulary import Anchor, DeadlineKind

LONDON = ZoneInfo("Europe/London")
UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)

ENGLAND = WorkingCalendar()
SCOTLAND = WorkingCalendar(nation="SCT")
NORTHERN_IRELAND = WorkingCalendar(nation="NIR")
CALENDARS = {"ENG": ENGLAND, "SCT": SCOTLAND, "NIR": NORTHERN_IRELAND}


def london(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def d(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, day)


def close(year: int, month: int, day: int) -> datetime.datetime:
    """17:00 London on that day."""
    return london(year, month, day, 17, 0)


def assert_same_instant(actual: datetime.datetime, expected: datetime.datetime) -> None:
    """Equal as instants, aware, and shown at the same London wall-clock time."""
    assert actual.tzinfo is not None and actual.utcoffset() is not None
    assert actual.astimezone(UTC) == expected.astimezone(UTC)
    assert actual.astimezone(LONDON).replace(tzinfo=None) == expected.astimezone(LONDON).replace(tzinfo=None)


# --- the calendar itself --------------------------------------------------------------------------------------


def test_defaults_are_england_and_wales_17_00_and_09_00():
    assert ENGLAND.nation == "ENG"
    assert ENGLAND.closure_days == frozenset()
    assert ENGLAND.close_of_business == DEFAULT_CLOSE == datetime.time(17, 0)
    assert ENGLAND.start_of_business == DEFAULT_OPEN == datetime.time(9, 0)


@pytest.mark.parametrize(
    ("day", "eng", "sct", "nir"),
    [
        # weekends
        (d(2026, 5, 2), False, False, False),  # Saturday
        (d(2026, 5, 3), False, False, False),  # Sunday
        # ordinary weekdays
        (d(2026, 5, 5), True, True, True),
        (d(2026, 6, 10), True, True, True),
        # shared bank holidays
        (d(2026, 1, 1), False, False, False),  # New Year's Day
        (d(2026, 4, 3), False, False, False),  # Good Friday
        (d(2026, 5, 4), False, False, False),  # early May
        (d(2026, 5, 25), False, False, False),  # spring
        (d(2026, 12, 25), False, False, False),  # Christmas Day (Friday)
        (d(2026, 12, 28), False, False, False),  # substitute for Boxing Day (Saturday 26th)
        (d(2027, 1, 1), False, False, False),  # New Year's Day (Friday)
        # not Scotland's
        (d(2026, 4, 6), False, True, False),  # Easter Monday
        (d(2026, 8, 31), False, True, False),  # late summer (England, Wales, Northern Ireland)
        # only Scotland's
        (d(2026, 1, 2), True, False, True),  # 2 January
        (d(2026, 8, 3), True, False, True),  # first Monday in August
        (d(2026, 11, 30), True, False, True),  # St Andrew's Day
        (d(2027, 1, 4), True, False, True),  # substitute for 2 January 2027 (Saturday)
        # only Northern Ireland's
        (d(2026, 3, 17), True, True, False),  # St Patrick's Day
        (d(2026, 7, 13), True, True, False),  # substitute for the Twelfth (Sunday 12 July)
        # days around the holidays that are working days everywhere
        (d(2026, 12, 24), True, True, True),
        (d(2026, 12, 29), True, True, True),
        (d(2026, 12, 31), True, True, True),
        (d(2027, 1, 5), True, True, True),
    ],
)
def test_which_days_are_working_days_in_each_nation(day, eng, sct, nir):
    assert ENGLAND.is_working_day(day) is eng
    assert SCOTLAND.is_working_day(day) is sct
    assert NORTHERN_IRELAND.is_working_day(day) is nir


def test_a_closure_day_is_not_a_working_day_for_that_calendar_only():
    closed = WorkingCalendar(closure_days=frozenset({d(2026, 6, 10)}))
    assert not closed.is_working_day(d(2026, 6, 10))
    assert closed.is_working_day(d(2026, 6, 9))
    assert closed.is_working_day(d(2026, 6, 11))
    assert ENGLAND.is_working_day(d(2026, 6, 10))


def test_nth_working_day_after_and_before():
    assert ENGLAND.nth_working_day_after(d(2026, 5, 2), 0) == d(2026, 5, 2)
    assert ENGLAND.nth_working_day_after(d(2026, 5, 2), 1) == d(2026, 5, 5)
    assert ENGLAND.nth_working_day_after(d(2026, 5, 2), 2) == d(2026, 5, 6)
    assert ENGLAND.nth_working_day_before(d(2026, 5, 5), 0) == d(2026, 5, 5)
    assert ENGLAND.nth_working_day_before(d(2026, 5, 5), 1) == d(2026, 5, 1)
    assert ENGLAND.nth_working_day_before(d(2026, 5, 5), 2) == d(2026, 4, 30)
    with pytest.raises(ValueError):
        ENGLAND.nth_working_day_after(d(2026, 5, 2), -1)


def test_a_working_day_deadline_needs_at_least_one_day():
    with pytest.raises(ValueError):
        ENGLAND.add_working_days(london(2026, 5, 5, 10, 0), 0)
    with pytest.raises(ValueError):
        ENGLAND.add_working_days(london(2026, 5, 5, 10, 0), -3)


# --- raising on every kind of day -----------------------------------------------------------------------------


def test_design_example_two_working_days_from_saturday_2_may_2026():
    due = ENGLAND.add_working_days(london(2026, 5, 2, 10, 0), 2)
    assert_same_instant(due, close(2026, 5, 6))
    assert due.astimezone(UTC) == utc(2026, 5, 6, 16, 0)


@pytest.mark.parametrize(
    ("raised", "n", "due"),
    [
        # Saturday 2 May 2026: Sun, Mon 4 May (bank holiday) skipped; Tue 5 is day 1
        (london(2026, 5, 2, 10, 0), 1, close(2026, 5, 5)),
        (london(2026, 5, 2, 23, 59), 2, close(2026, 5, 6)),
        # Saturday 6 June 2026: Monday 8 June is day 1
        (london(2026, 6, 6, 9, 0), 1, close(2026, 6, 8)),
        # Sunday 7 June 2026, even at 00:00 and 23:59
        (london(2026, 6, 7, 0, 0), 1, close(2026, 6, 8)),
        (london(2026, 6, 7, 23, 59), 3, close(2026, 6, 10)),
        # Good Friday 3 April 2026: Sat, Sun, Easter Monday skipped; Tue 7 April is day 1
        (london(2026, 4, 3, 10, 0), 1, close(2026, 4, 7)),
        (london(2026, 4, 3, 10, 0), 2, close(2026, 4, 8)),
        # Easter Monday 6 April 2026: Tue 7 is day 1
        (london(2026, 4, 6, 10, 0), 1, close(2026, 4, 7)),
        (london(2026, 4, 6, 18, 0), 3, close(2026, 4, 9)),
        # Thursday before Easter: the four-day weekend is skipped
        (london(2026, 4, 2, 10, 0), 1, close(2026, 4, 7)),
        (london(2026, 4, 2, 10, 0), 2, close(2026, 4, 8)),
        # a working day: the start day does not count, before or after close of business
        (london(2026, 6, 9, 9, 30), 1, close(2026, 6, 10)),
        (london(2026, 6, 9, 9, 30), 2, close(2026, 6, 11)),
        (london(2026, 6, 9, 16, 59), 2, close(2026, 6, 11)),
        (london(2026, 6, 9, 17, 0), 2, close(2026, 6, 11)),
        (london(2026, 6, 9, 18, 30), 2, close(2026, 6, 11)),
        (london(2026, 6, 9, 0, 0), 2, close(2026, 6, 11)),
        # a Friday: the weekend is skipped
        (london(2026, 6, 12, 16, 0), 1, close(2026, 6, 15)),
        (london(2026, 6, 12, 16, 0), 5, close(2026, 6, 19)),
    ],
)
def test_raising_on_each_kind_of_day_in_england(raised, n, due):
    assert_same_instant(ENGLAND.add_working_days(raised, n), due)


def test_raising_on_a_closure_day_or_before_one():
    closed = WorkingCalendar(closure_days=frozenset({d(2026, 6, 10)}))  # a Wednesday
    # raised on the closure day itself: it does not count, and neither is it a working day
    assert_same_instant(closed.add_working_days(london(2026, 6, 10, 10, 0), 1), close(2026, 6, 11))
    assert_same_instant(closed.add_working_days(london(2026, 6, 10, 10, 0), 2), close(2026, 6, 12))
    # raised the day before: the closure day is skipped
    assert_same_instant(closed.add_working_days(london(2026, 6, 9, 10, 0), 1), close(2026, 6, 11))
    assert_same_instant(closed.add_working_days(london(2026, 6, 9, 10, 0), 2), close(2026, 6, 12))
    # the same without the closure day
    assert_same_instant(ENGLAND.add_working_days(london(2026, 6, 9, 10, 0), 2), close(2026, 6, 11))


def test_a_closure_day_next_to_a_bank_holiday_and_a_weekend():
    # Friday 22 May closed, Monday 25 May spring bank holiday: from Thursday 21 May, day 1 is Tuesday 26 May
    closed = WorkingCalendar(closure_days=frozenset({d(2026, 5, 22)}))
    assert_same_instant(closed.add_working_days(london(2026, 5, 21, 12, 0), 1), close(2026, 5, 26))
    assert_same_instant(ENGLAND.add_working_days(london(2026, 5, 21, 12, 0), 1), close(2026, 5, 22))


def test_the_start_day_is_the_london_day_not_the_utc_day():
    # 23:30 UTC on Tuesday 9 June 2026 is 00:30 BST on Wednesday 10 June: Wednesday is the start day
    late = utc(2026, 6, 9, 23, 30)
    assert_same_instant(ENGLAND.add_working_days(late, 2), close(2026, 6, 12))
    # 22:30 UTC the same evening is still Tuesday in London
    assert_same_instant(ENGLAND.add_working_days(utc(2026, 6, 9, 22, 30), 2), close(2026, 6, 11))
    # the same instant in any offset gives the same deadline
    in_karachi = late.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert ENGLAND.add_working_days(in_karachi, 2) == ENGLAND.add_working_days(late, 2)
    # in winter, 23:30 UTC is 23:30 GMT: still the same London day
    assert_same_instant(ENGLAND.add_working_days(utc(2026, 12, 1, 23, 30), 1), close(2026, 12, 2))


# --- bank holidays through the year ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nation", "raised", "n", "due"),
    [
        # Christmas and New Year 2026-27, England & Wales: Fri 25, Sat 26 (Boxing Day), Mon 28 (substitute),
        # Fri 1 Jan are not working days
        ("ENG", london(2026, 12, 24, 10, 0), 1, close(2026, 12, 29)),
        ("ENG", london(2026, 12, 24, 10, 0), 3, close(2026, 12, 31)),
        ("ENG", london(2026, 12, 24, 10, 0), 4, close(2027, 1, 4)),
        ("ENG", london(2026, 12, 24, 10, 0), 5, close(2027, 1, 5)),
        ("ENG", london(2026, 12, 25, 10, 0), 1, close(2026, 12, 29)),
        ("ENG", london(2026, 12, 28, 10, 0), 1, close(2026, 12, 29)),
        ("ENG", london(2026, 12, 31, 10, 0), 1, close(2027, 1, 4)),
        # Scotland adds Sat 2 Jan 2027 and its substitute Mon 4 Jan 2027
        ("SCT", london(2026, 12, 24, 10, 0), 4, close(2027, 1, 5)),
        ("SCT", london(2026, 12, 24, 10, 0), 5, close(2027, 1, 6)),
        ("SCT", london(2026, 12, 31, 10, 0), 1, close(2027, 1, 5)),
        # and 2 January 2026 (a Friday)
        ("ENG", london(2025, 12, 31, 10, 0), 1, close(2026, 1, 2)),
        ("SCT", london(2025, 12, 31, 10, 0), 1, close(2026, 1, 5)),
        # Northern Ireland's Christmas is England's
        ("NIR", london(2026, 12, 24, 10, 0), 5, close(2027, 1, 5)),
        # Easter 2026: Good Friday everywhere, Easter Monday not in Scotland
        ("ENG", london(2026, 4, 2, 10, 0), 2, close(2026, 4, 8)),
        ("NIR", london(2026, 4, 2, 10, 0), 2, close(2026, 4, 8)),
        ("SCT", london(2026, 4, 2, 10, 0), 1, close(2026, 4, 6)),
        ("SCT", london(2026, 4, 2, 10, 0), 2, close(2026, 4, 7)),
        # early May (Mon 4 May 2026) and spring (Mon 25 May 2026): everywhere
        ("ENG", london(2026, 5, 1, 10, 0), 1, close(2026, 5, 5)),
        ("SCT", london(2026, 5, 1, 10, 0), 1, close(2026, 5, 5)),
        ("ENG", london(2026, 5, 22, 10, 0), 1, close(2026, 5, 26)),
        ("NIR", london(2026, 5, 22, 10, 0), 3, close(2026, 5, 28)),
        # summer: Mon 31 Aug 2026 in England/NI, Mon 3 Aug 2026 in Scotland
        ("ENG", london(2026, 8, 28, 10, 0), 1, close(2026, 9, 1)),
        ("NIR", london(2026, 8, 28, 10, 0), 1, close(2026, 9, 1)),
        ("SCT", london(2026, 8, 28, 10, 0), 1, close(2026, 8, 31)),
        ("ENG", london(2026, 7, 31, 10, 0), 1, close(2026, 8, 3)),
        ("SCT", london(2026, 7, 31, 10, 0), 1, close(2026, 8, 4)),
        # St Andrew's Day, Mon 30 Nov 2026: Scotland only
        ("SCT", london(2026, 11, 27, 10, 0), 1, close(2026, 12, 1)),
        ("ENG", london(2026, 11, 27, 10, 0), 1, close(2026, 11, 30)),
        # St Patrick's Day, Tue 17 Mar 2026: Northern Ireland only
        ("NIR", london(2026, 3, 16, 10, 0), 1, close(2026, 3, 18)),
        ("ENG", london(2026, 3, 16, 10, 0), 1, close(2026, 3, 17)),
        # the Twelfth falls on a Sunday in 2026: Mon 13 Jul is the holiday in Northern Ireland
        ("NIR", london(2026, 7, 10, 10, 0), 1, close(2026, 7, 14)),
        ("NIR", london(2026, 7, 11, 10, 0), 1, close(2026, 7, 14)),
        ("ENG", london(2026, 7, 10, 10, 0), 1, close(2026, 7, 13)),
        # Easter 2027 (Fri 26 Mar, Mon 29 Mar) in England
        ("ENG", london(2027, 3, 25, 10, 0), 1, close(2027, 3, 30)),
    ],
)
def test_bank_holidays_of_each_nation(nation, raised, n, due):
    assert_same_instant(CALENDARS[nation].add_working_days(raised, n), due)


def test_ten_working_days_across_christmas_2026():
    # Tue 22 Dec: Wed 23 (1), Thu 24 (2), Tue 29 (3), Wed 30 (4), Thu 31 (5), Mon 4 Jan (6), Tue 5 (7),
    # Wed 6 (8), Thu 7 (9), Fri 8 Jan 2027 (10)
    assert_same_instant(ENGLAND.add_working_days(london(2026, 12, 22, 11, 0), 10), close(2027, 1, 8))
    # Scotland loses Mon 4 Jan as well: Mon 11 Jan 2027
    assert_same_instant(SCOTLAND.add_working_days(london(2026, 12, 22, 11, 0), 10), close(2027, 1, 11))


# --- clock changes --------------------------------------------------------------------------------------------


def test_working_day_deadline_after_bst_begins_is_17_00_bst():
    # raised Thu 26 Mar 2026 10:00 GMT; Fri 27 (1), Mon 30 Mar (2) - summer time by then
    raised = london(2026, 3, 26, 10, 0)
    assert raised.utcoffset() == datetime.timedelta(0)
    due = ENGLAND.add_working_days(raised, 2)
    assert due.astimezone(UTC) == utc(2026, 3, 30, 16, 0)
    assert due.utcoffset() == HOUR
    assert due.astimezone(LONDON).time() == datetime.time(17, 0)


def test_working_day_deadline_after_gmt_returns_is_17_00_gmt():
    # raised Thu 22 Oct 2026 10:00 BST; Fri 23 (1), Mon 26 Oct (2) - back on GMT
    raised = london(2026, 10, 22, 10, 0)
    assert raised.utcoffset() == HOUR
    due = ENGLAND.add_working_days(raised, 2)
    assert due.astimezone(UTC) == utc(2026, 10, 26, 17, 0)
    assert due.utcoffset() == datetime.timedelta(0)
    assert due.astimezone(LONDON).time() == datetime.time(17, 0)


def test_raised_on_the_day_the_clocks_change():
    # Sunday 29 March 2026 at 01:30 BST (00:30 UTC) and Sunday 25 October 2026 at 01:30 GMT (the second 01:30)
    assert_same_instant(ENGLAND.add_working_days(utc(2026, 3, 29, 0, 30), 1), close(2026, 3, 30))
    assert_same_instant(ENGLAND.add_working_days(utc(2026, 3, 29, 1, 30), 1), close(2026, 3, 30))
    assert_same_instant(ENGLAND.add_working_days(utc(2026, 10, 25, 1, 30), 1), close(2026, 10, 26))
    assert_same_instant(ENGLAND.add_working_days(utc(2026, 10, 25, 0, 30), 1), close(2026, 10, 26))


@pytest.mark.parametrize(
    ("start", "expected_utc", "start_wall", "due_wall"),
    [
        # Sat 28 Mar 12:00 GMT + 24h = Sun 29 Mar 12:00 UTC, which is 13:00 BST
        (london(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0), datetime.time(12, 0), datetime.time(13, 0)),
        # just before the change: 00:30 GMT + 24h = 00:30 UTC on the 30th, i.e. 01:30 BST
        (utc(2026, 3, 29, 0, 30), utc(2026, 3, 30, 0, 30), datetime.time(0, 30), datetime.time(1, 30)),
        # Sat 24 Oct 12:00 BST (11:00 UTC) + 24h = Sun 25 Oct 11:00 UTC, which is 11:00 GMT
        (london(2026, 10, 24, 12, 0), utc(2026, 10, 25, 11, 0), datetime.time(12, 0), datetime.time(11, 0)),
        # no change: 24 hours is the same wall-clock time the next day
        (london(2026, 6, 9, 15, 45), utc(2026, 6, 10, 14, 45), datetime.time(15, 45), datetime.time(15, 45)),
    ],
)
def test_calendar_hours_are_elapsed_hours_across_clock_changes(start, expected_utc, start_wall, due_wall):
    due = add_calendar_hours(start, 24)
    assert due.astimezone(UTC) == expected_utc
    # exactly 24 elapsed hours (compared in UTC: subtracting two Europe/London datetimes would use wall time)
    assert due.astimezone(UTC) - start.astimezone(UTC) == datetime.timedelta(hours=24)
    assert start.astimezone(LONDON).time() == start_wall
    assert due.astimezone(LONDON).time() == due_wall


def test_calendar_hours_through_the_repeated_hour_in_october():
    # 01:30 BST on 25 Oct 2026 (00:30 UTC) + 1 hour = 01:30 GMT (01:30 UTC): the same wall-clock time
    first = london(2026, 10, 25, 1, 30)  # fold=0: the first 01:30, BST
    assert first.utcoffset() == HOUR
    later = add_calendar_hours(first, 1)
    assert later == utc(2026, 10, 25, 1, 30)
    assert later.astimezone(LONDON).time() == datetime.time(1, 30)
    assert later.astimezone(LONDON).utcoffset() == datetime.timedelta(0)


def test_calendar_hours_ignore_weekends_and_bank_holidays():
    # Christmas Day (Fri 25 Dec 2026) 17:00 GMT + 72h = Mon 28 Dec 17:00 GMT, a substitute bank holiday
    assert add_calendar_hours(london(2026, 12, 25, 17, 0), 72) == utc(2026, 12, 28, 17, 0)


# --- close of business ----------------------------------------------------------------------------------------


def test_a_custom_close_of_business():
    early = WorkingCalendar(close_of_business=datetime.time(16, 30))
    due = early.add_working_days(london(2026, 5, 2, 10, 0), 2)
    assert_same_instant(due, london(2026, 5, 6, 16, 30))
    assert due.astimezone(UTC) == utc(2026, 5, 6, 15, 30)
    winter = early.add_working_days(london(2026, 10, 22, 10, 0), 2)
    assert winter.astimezone(UTC) == utc(2026, 10, 26, 16, 30)


def test_raising_after_a_custom_close_still_does_not_count_the_start_day():
    early = WorkingCalendar(close_of_business=datetime.time(16, 30))
    assert_same_instant(early.add_working_days(london(2026, 6, 9, 16, 45), 1), london(2026, 6, 10, 16, 30))


def test_calendar_for_a_partnership():
    partnership = SimpleNamespace(nation="SCT", close_of_business=datetime.time(16, 30))
    cal = calendar_for(partnership, closure_days=[d(2026, 4, 7)])
    assert cal == WorkingCalendar(
        nation="SCT", closure_days=frozenset({d(2026, 4, 7)}), close_of_business=datetime.time(16, 30)
    )
    # Thu 2 Apr 2026: Good Friday; Easter Monday is a Scottish working day (1); Tue 7 closed; Wed 8 (2)
    assert_same_instant(cal.add_working_days(london(2026, 4, 2, 10, 0), 2), london(2026, 4, 8, 16, 30))


# --- naive datetimes ------------------------------------------------------------------------------------------


NAIVE = datetime.datetime(2026, 5, 5, 10, 0)


def test_add_working_days_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        ENGLAND.add_working_days(NAIVE, 2)


def test_working_days_before_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        ENGLAND.working_days_before(NAIVE, 1)


def test_add_calendar_hours_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        add_calendar_hours(NAIVE, 24)


def test_a_tzinfo_without_an_offset_counts_as_naive():
    class NoOffset(datetime.tzinfo):
        def utcoffset(self, dt):
            return None

        def dst(self, dt):
            return None

    with pytest.raises(ValueError):
        ENGLAND.add_working_days(NAIVE.replace(tzinfo=NoOffset()), 2)


@pytest.mark.parametrize("which", ["start", "end"])
def test_working_days_between_refuses_naive_datetimes(which):
    aware = london(2026, 5, 8, 10, 0)
    start, end = (NAIVE, aware) if which == "start" else (aware, NAIVE)
    with pytest.raises(ValueError, match="naive"):
        ENGLAND.working_days_between(start, end)


# --- the cutoff instant ---------------------------------------------------------------------------------------


def reached(due: datetime.datetime) -> bool:
    """The deadline is reached once now is at or after the due instant."""
    return timezone.now() >= due


@pytest.mark.parametrize(
    ("frozen", "is_reached"),
    [
        (london(2026, 5, 6, 16, 59, 59), False),
        (london(2026, 5, 6, 17, 0, 0), True),
        (london(2026, 5, 6, 17, 0, 1), True),
        # the same instants in UTC (BST: 17:00 London is 16:00 UTC)
        (utc(2026, 5, 6, 15, 59, 59), False),
        (utc(2026, 5, 6, 16, 0, 0), True),
        # the London day before, at close of business: nowhere near
        (london(2026, 5, 5, 17, 0, 0), False),
    ],
)
def test_cutoff_in_summer_is_reached_at_17_00_bst_exactly(frozen, is_reached):
    due = ENGLAND.add_working_days(london(2026, 5, 2, 10, 0), 2)
    with time_machine.travel(frozen, tick=False):
        assert reached(due) is is_reached
        assert (due <= timezone.now()) is is_reached


@pytest.mark.parametrize(
    ("frozen", "is_reached"),
    [
        (london(2026, 10, 26, 16, 59, 59), False),
        (london(2026, 10, 26, 17, 0, 0), True),
        (london(2026, 10, 26, 17, 0, 1), True),
        # 16:00 UTC would be 17:00 in summer, but on 26 October it is 16:00 GMT: not yet
        (utc(2026, 10, 26, 16, 0, 0), False),
        (utc(2026, 10, 26, 17, 0, 0), True),
    ],
)
def test_cutoff_in_winter_is_reached_at_17_00_gmt_exactly(frozen, is_reached):
    due = ENGLAND.add_working_days(london(2026, 10, 22, 10, 0), 2)
    with time_machine.travel(frozen, tick=False):
        assert reached(due) is is_reached


def test_cutoff_with_a_custom_close_of_business():
    due = WorkingCalendar(close_of_business=datetime.time(16, 30)).add_working_days(london(2026, 5, 2, 10, 0), 2)
    with time_machine.travel(london(2026, 5, 6, 16, 29, 59), tick=False):
        assert not reached(due)
    with time_machine.travel(london(2026, 5, 6, 16, 30, 0), tick=False):
        assert reached(due)


def test_a_dispute_raised_now_gets_the_same_deadline_whatever_the_time_of_day():
    for hour, minute in [(0, 0), (8, 59), (12, 0), (16, 59), (17, 0), (17, 1), (23, 59)]:
        with time_machine.travel(london(2026, 6, 9, hour, minute), tick=False):
            assert_same_instant(ENGLAND.add_working_days(timezone.now(), 2), close(2026, 6, 11))


# --- reminders ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "lead", "remind"),
    [
        # due Tuesday after a bank-holiday Monday: the Friday before at 09:00, not the Monday
        (close(2026, 5, 5), 1, london(2026, 5, 1, 9, 0)),
        (close(2026, 5, 26), 1, london(2026, 5, 22, 9, 0)),
        (close(2026, 9, 1), 1, london(2026, 8, 28, 9, 0)),
        # due Tuesday after Easter: Thursday 2 April (Good Friday and Easter Monday skipped)
        (close(2026, 4, 7), 1, london(2026, 4, 2, 9, 0)),
        # due Monday: the Friday before, never the weekend
        (close(2026, 6, 8), 1, london(2026, 6, 5, 9, 0)),
        # two days' lead over a bank holiday: Wed 6 May -> Tue 5 (1), Fri 1 May (2)
        (close(2026, 5, 6), 2, london(2026, 5, 1, 9, 0)),
        # due Tuesday 29 Dec 2026: Mon 28 (substitute), Sat, Fri 25 (Christmas) skipped -> Thu 24 Dec
        (close(2026, 12, 29), 1, london(2026, 12, 24, 9, 0)),
        # due Monday 4 Jan 2027: Fri 1 Jan skipped -> Thu 31 Dec
        (close(2027, 1, 4), 1, london(2026, 12, 31, 9, 0)),
    ],
)
def test_reminder_lands_at_start_of_business_on_a_working_day(due, lead, remind):
    assert_same_instant(ENGLAND.working_days_before(due, lead), remind)


def test_reminders_across_the_clock_changes_are_09_00_local():
    # due Mon 30 Mar 2026 (BST); reminder Fri 27 Mar 09:00 GMT = 09:00 UTC
    assert ENGLAND.working_days_before(close(2026, 3, 30), 1).astimezone(UTC) == utc(2026, 3, 27, 9, 0)
    # due Mon 26 Oct 2026 (GMT); reminder Fri 23 Oct 09:00 BST = 08:00 UTC
    assert ENGLAND.working_days_before(close(2026, 10, 26), 1).astimezone(UTC) == utc(2026, 10, 23, 8, 0)


def test_reminder_uses_the_london_day_of_the_due_instant():
    # 23:30 UTC on Tue 9 Jun is Wed 10 Jun in London: one working day before is Tue 9 Jun
    assert_same_instant(ENGLAND.working_days_before(utc(2026, 6, 9, 23, 30), 1), london(2026, 6, 9, 9, 0))


def test_reminder_skips_closure_days_and_nation_holidays():
    closed = WorkingCalendar(closure_days=frozenset({d(2026, 6, 12)}))  # a Friday
    assert_same_instant(closed.working_days_before(close(2026, 6, 15), 1), london(2026, 6, 11, 9, 0))
    # Scotland: due Tue 1 Dec 2026, St Andrew's Day Mon 30 Nov skipped -> Fri 27 Nov
    assert_same_instant(SCOTLAND.working_days_before(close(2026, 12, 1), 1), london(2026, 11, 27, 9, 0))
    # England: the Monday is a working day
    assert_same_instant(ENGLAND.working_days_before(close(2026, 12, 1), 1), london(2026, 11, 30, 9, 0))


def test_every_due_and_reminder_of_2026_is_at_a_working_moment():
    """Whatever day a dispute is raised, due is 17:00 and the reminder 09:00 London, both on working days."""
    start = london(2026, 1, 1, 12, 0)
    for nation, cal in CALENDARS.items():
        for offset in range(0, 366):
            raised = start + datetime.timedelta(days=offset)
            for n in (1, 2, 5, 10):
                due = cal.add_working_days(raised, n).astimezone(LONDON)
                assert cal.is_working_day(due.date()), (nation, raised, n)
                assert due.time() == datetime.time(17, 0)
                assert due.date() > raised.date()
                assert cal.working_days_between(raised, due) == n
                remind = cal.working_days_before(due, 1).astimezone(LONDON)
                assert cal.is_working_day(remind.date()), (nation, raised, n)
                assert remind.time() == datetime.time(9, 0)
                assert remind < due
                assert cal.working_days_between(remind, due) == 1


# --- working_days_between -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "start", "end", "count"),
    [
        # the design example: Sat 2 -> Wed 6 May 2026 is two working days (Tue, Wed)
        (ENGLAND, london(2026, 5, 2, 10, 0), close(2026, 5, 6), 2),
        # the same London day: none
        (ENGLAND, london(2026, 5, 5, 9, 0), london(2026, 5, 5, 17, 0), 0),
        # end before start: none
        (ENGLAND, close(2026, 5, 6), london(2026, 5, 2, 10, 0), 0),
        # a plain week: Mon -> next Mon is five
        (ENGLAND, london(2026, 6, 8, 10, 0), london(2026, 6, 15, 10, 0), 5),
        # Christmas 2026 to 5 Jan 2027: Tue 29, Wed 30, Thu 31, Mon 4, Tue 5
        (ENGLAND, london(2026, 12, 24, 10, 0), close(2027, 1, 5), 5),
        (SCOTLAND, london(2026, 12, 24, 10, 0), close(2027, 1, 5), 4),
        # Easter: Thu 2 -> Wed 8 Apr 2026
        (ENGLAND, london(2026, 4, 2, 10, 0), close(2026, 4, 8), 2),
        (SCOTLAND, london(2026, 4, 2, 10, 0), close(2026, 4, 8), 3),
        # London days, not UTC days: 23:30 UTC on Tue 9 Jun is already Wed 10 Jun
        (ENGLAND, utc(2026, 6, 9, 23, 30), close(2026, 6, 11), 1),
        (ENGLAND, utc(2026, 6, 9, 22, 30), close(2026, 6, 11), 2),
        # a closure day is not counted
        (
            WorkingCalendar(closure_days=frozenset({d(2026, 6, 10)})),
            london(2026, 6, 8, 10, 0),
            london(2026, 6, 15, 10, 0),
            4,
        ),
    ],
)
def test_working_days_between(cal, start, end, count):
    assert cal.working_days_between(start, end) == count


@settings(max_examples=300, deadline=None)
@given(
    start=st.dates(min_value=d(2015, 1, 1), max_value=d(2030, 12, 31)),
    span=st.integers(min_value=-10, max_value=3 * 366),
    nation=st.sampled_from(["ENG", "SCT", "WLS", "NIR"]),
    closures=st.sets(st.dates(min_value=d(2015, 1, 1), max_value=d(2033, 12, 31)), max_size=8),
)
def test_working_days_between_counts_what_walking_day_by_day_counts(start, span, nation, closures):
    """Counted by arithmetic (a register row years overdue must be cheap), the same as walking the days."""
    cal = WorkingCalendar(nation=nation, closure_days=frozenset(closures))
    end = start + datetime.timedelta(days=span)
    walked = sum(cal.is_working_day(start + datetime.timedelta(days=i)) for i in range(1, span + 1))
    begin = datetime.datetime.combine(start, datetime.time(10), tzinfo=LONDON)
    finish = datetime.datetime.combine(end, datetime.time(12), tzinfo=LONDON)
    assert cal.working_days_between(begin, finish) == walked


# --- how escalation.deadlines uses the calendar ---------------------------------------------------------------


def rule(**fields) -> DeadlineRule:
    """An unsaved rule: compute_due and compute_reminder read only its fields."""
    defaults = {
        "name": "r",
        "first_stage": 1,
        "last_stage": 1,
        "anchor": Anchor.STAGE_ENTRY,
        "kind": DeadlineKind.WORKING_DAYS,
        "length": 2,
        "reminder_lead": 1,
    }
    return DeadlineRule(**(defaults | fields))


def test_compute_due_for_each_kind():
    raised = london(2026, 5, 2, 10, 0)
    assert_same_instant(compute_due(rule(length=2), raised, ENGLAND, 5), close(2026, 5, 6))
    # partnership default: 5 working days from Saturday 2 May -> Tue 5 ... Mon 11 May
    default = rule(length=None, partnership_default=True)
    assert_same_instant(compute_due(default, raised, ENGLAND, 5), close(2026, 5, 11))
    assert_same_instant(compute_due(default, raised, ENGLAND, 3), close(2026, 5, 7))
    # an extension adds working days
    assert_same_instant(compute_due(rule(length=2), raised, ENGLAND, 5, extended_days=2), close(2026, 5, 8))
    # calendar hours: 24 elapsed hours
    hours = rule(kind=DeadlineKind.CALENDAR_HOURS, length=24, reminder_lead=4)
    assert compute_due(hours, raised, ENGLAND, 5) == utc(2026, 5, 3, 9, 0)
    # manual: whatever was set by hand, or nothing
    manual = rule(kind=DeadlineKind.MANUAL, length=None)
    assert compute_due(manual, raised, ENGLAND, 5) is None
    by_hand = london(2026, 6, 1, 12, 0)
    assert compute_due(manual, raised, ENGLAND, 5, manual_due_at=by_hand) == by_hand


def test_bcssp_overall_ten_working_days_from_saturday_2_may_2026():
    # Tue 5 (1), Wed 6, Thu 7, Fri 8, Mon 11 (5), Tue 12, Wed 13, Thu 14, Fri 15, Mon 18 May (10)
    raised = london(2026, 5, 2, 10, 0)
    overall = rule(anchor=Anchor.RAISED, first_stage=1, last_stage=3, length=10, reminder_lead=2)
    due = compute_due(overall, raised, ENGLAND, 5)
    assert_same_instant(due, close(2026, 5, 18))
    # two working days before Mon 18 May: Fri 15 (1), Thu 14 (2)
    assert_same_instant(compute_reminder(overall, raised, due, ENGLAND), london(2026, 5, 14, 9, 0))


def test_compute_reminder():
    raised = london(2026, 5, 2, 10, 0)
    stage_1 = rule(length=2)
    due = compute_due(stage_1, raised, ENGLAND, 5)
    # due Wed 6 May: reminder Tue 5 May 09:00, not the bank-holiday Monday
    assert_same_instant(compute_reminder(stage_1, raised, due, ENGLAND), london(2026, 5, 5, 9, 0))
    # a reminder that would come before the clock started is dropped: raised Tue 5 May 10:00, due Wed 6 May,
    # the reminder would be Tue 5 May 09:00
    late = london(2026, 5, 5, 10, 0)
    one_day = rule(length=1)
    assert compute_reminder(one_day, late, compute_due(one_day, late, ENGLAND, 5), ENGLAND) is None
    # ... but at 08:00 the same morning it stands
    early = london(2026, 5, 5, 8, 0)
    assert_same_instant(
        compute_reminder(one_day, early, compute_due(one_day, early, ENGLAND, 5), ENGLAND), london(2026, 5, 5, 9, 0)
    )
    # no lead, no reminder; no due, no reminder
    assert compute_reminder(rule(reminder_lead=0), raised, due, ENGLAND) is None
    assert compute_reminder(rule(kind=DeadlineKind.MANUAL), raised, None, ENGLAND) is None
    # calendar hours: lead in hours before the due instant
    hours = rule(kind=DeadlineKind.CALENDAR_HOURS, length=24, reminder_lead=4)
    hours_due = compute_due(hours, raised, ENGLAND, 5)
    assert compute_reminder(hours, raised, hours_due, ENGLAND) == utc(2026, 5, 3, 5, 0)


def test_anchor_time():
    raised = london(2026, 5, 2, 10, 0)
    entered_2 = london(2026, 5, 6, 15, 0)
    entered_3 = london(2026, 5, 11, 9, 0)
    entries = {1: raised, 2: entered_2, 3: entered_3}
    assert anchor_time(rule(anchor=Anchor.RAISED, last_stage=3), raised, entries) == raised
    assert anchor_time(rule(anchor=Anchor.FIRST_STAGE_ENTRY, first_stage=2, last_stage=3), raised, entries) == (
        entered_2
    )
    assert anchor_time(rule(anchor=Anchor.STAGE_ENTRY, first_stage=2, last_stage=3), raised, entries) == entered_3
    assert anchor_time(rule(anchor=Anchor.STAGE_ENTRY, first_stage=4, last_stage=4), raised, entries) is None
    assert anchor_time(rule(anchor=Anchor.FIRST_STAGE_ENTRY, first_stage=4, last_stage=5), raised, entries) is None
