"""One way to say time: moments as GOV.UK writes them, working-day deadlines in working days, hour rules in hours."""

import datetime

import pytest

from policies import time_words
from policies.calendar import WorkingCalendar
from tests.conftest import london

CALENDAR = WorkingCalendar()
#: Wednesday 4 March 2026, 5pm: the close of business on a working day.
DUE = london(2026, 3, 4, 17, 0)


@pytest.mark.parametrize(
    ("moment", "words"),
    [
        (london(2026, 12, 9, 17, 0), "5pm on Wednesday 9 December 2026"),
        (london(2026, 12, 9, 9, 30), "9:30am on Wednesday 9 December 2026"),
        (london(2026, 12, 9, 12, 0), "midday on Wednesday 9 December 2026"),
        (london(2026, 12, 9, 0, 0), "midnight on Wednesday 9 December 2026"),
        (london(2026, 7, 1, 17, 0).astimezone(datetime.UTC), "5pm on Wednesday 1 July 2026"),
    ],
)
def test_a_moment_reads_as_govuk_writes_it_in_london_time(moment, words):
    assert time_words.moment(moment) == words


def test_when_something_happened_reads_day_then_time():
    assert time_words.happened(london(2026, 12, 9, 14, 15)) == "9 December 2026 at 2:15pm"
    assert time_words.moment(None) == time_words.happened(None) == ""


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (london(2026, 3, 2, 10, 0), "2 working days left"),
        (london(2026, 3, 3, 9, 0), "1 working day left"),
        (london(2026, 3, 4, 9, 0), "due by 5pm today"),
        (london(2026, 3, 4, 17, 0), "due by 5pm today"),
        (london(2026, 3, 4, 18, 0), "overdue since 5pm today"),
        (london(2026, 3, 5, 9, 0), "overdue by 1 working day"),
        (london(2026, 3, 9, 9, 0), "overdue by 3 working days"),
    ],
)
def test_a_working_day_deadline_is_said_in_working_days(now, words):
    assert time_words.time_left(DUE, now, "working_days", CALENDAR) == words


def test_weekends_and_bank_holidays_are_not_counted():
    friday = london(2026, 4, 3, 9, 0)  # Good Friday; Easter Monday 6 April is a bank holiday too
    due = london(2026, 4, 8, 17, 0)  # Wednesday after Easter
    assert time_words.time_left(due, friday, "working_days", CALENDAR) == "2 working days left"


def test_a_deadline_set_by_hand_is_said_in_working_days_too():
    assert time_words.time_left(DUE, london(2026, 3, 2, 10, 0), "manual", CALENDAR) == "2 working days left"


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (london(2026, 3, 3, 17, 0), "24 hours left"),
        (london(2026, 3, 4, 16, 30), "30 minutes left"),
        (london(2026, 3, 5, 11, 0), "overdue by 18 hours"),
        (london(2026, 3, 6, 17, 0), "overdue by 48 hours"),
    ],
)
def test_an_hour_rule_is_said_in_hours(now, words):
    assert time_words.time_left(DUE, now, "calendar_hours", CALENDAR) == words
