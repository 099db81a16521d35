"""Themes: the figures behind each chart, the charts' accessibility, and who may see them."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation.audit.models import AuditEvent
from escalation.deadlines.models import Deadline
from escalation.disputes import services
from escalation.disputes.register import bucket_working_days, theme_figures, working_day_counter
from escalation.web.charts import Bar, bar_chart
from policies.calendar import WorkingCalendar, calendar_for
from tests.auth_helpers import login
from tests.conftest import build_world, london

THEMES = reverse("themes")


@pytest.fixture
def world(bcssp):
    """Three disputes: one escalated to stage 2, one resolved after 4 working days, two breaches."""
    w = bcssp
    w.first = w.raise_dispute(now=london(2026, 3, 2, 10, 0))  # Monday
    w.second = w.raise_dispute(now=london(2026, 3, 3, 10, 0), category="communication")
    w.third = w.raise_dispute(
        now=london(2026, 5, 4, 10, 0),  # the early May bank holiday
        raised_by=w.social_worker,
        raising_agency=w.social_care,
        other_agency=w.school,
    )
    services.propose_escalation(dispute=w.first, proposed_by=w.teacher, reason="No reply", now=london(2026, 3, 3, 9))
    w.first.refresh_from_db()
    services.approve_escalation(dispute=w.first, approver=w.head, now=london(2026, 3, 3, 10))
    services.record_resolution(
        dispute=w.second,
        recorded_by=w.teacher,
        agreed_outcome="Minutes will be shared within a day.",
        decided_on=datetime.date(2026, 3, 9),
        now=london(2026, 3, 9, 15, 0),  # Tuesday 3 to Monday 9 March: 4 working days
    )
    Deadline.objects.filter(dispute=w.first).update(breached_at=london(2026, 3, 10, 17, 0))
    # 00:30 on 1 June in London is still 31 May in UTC: it counts for June.
    Deadline.objects.filter(dispute=w.third).update(breached_at=london(2026, 6, 1, 0, 30))
    w.away = build_world("tscp", "AWAY")
    w.away.raise_dispute(now=london(2026, 3, 3, 10, 0))
    return w


def test_figures(world):
    figures = theme_figures(world.business_manager, world.partnership)
    assert figures.total == 3
    assert [(f.label, f.value) for f in figures.categories] == [
        ("Levels of need or referral decisions", 2),
        ("Communication", 1),
    ]
    assert [(p.raising, p.other, p.disputes) for p in figures.agency_pairs] == [
        ("BCSSP Primary School", "BCSSP Children's Services", 2),
        ("BCSSP Children's Services", "BCSSP Primary School", 1),
    ]
    assert [(f.label, f.value) for f in figures.stages_reached] == [
        ("Stage 1: Worker to worker (identify the concern)", 2),
        ("Stage 2: Manager to manager", 1),
    ]
    assert figures.resolution.resolved == 1
    assert figures.resolution.median == 4
    assert [f.value for f in figures.resolution.buckets] == [0, 1, 0, 0, 0, 0]


def test_breaches_are_counted_in_the_london_month_with_empty_months_shown(world):
    breaches = theme_figures(world.business_manager, world.partnership).breaches
    first_rows = Deadline.objects.filter(dispute=world.first, breached_at__isnull=False).count()
    third_rows = Deadline.objects.filter(dispute=world.third, breached_at__isnull=False).count()
    assert [(f.label, f.value) for f in breaches] == [
        ("March 2026", first_rows),
        ("April 2026", 0),
        ("May 2026", 0),
        ("June 2026", third_rows),
    ]
    assert first_rows and third_rows


def test_date_range_limits_every_figure(world):
    figures = theme_figures(
        world.business_manager, world.partnership, datetime.date(2026, 5, 1), datetime.date(2026, 5, 31)
    )
    assert figures.total == 1
    assert [p.raising for p in figures.agency_pairs] == ["BCSSP Children's Services"]
    assert figures.resolution.resolved == 0
    assert [f.label for f in figures.breaches] == ["June 2026"]


def test_working_day_counter_agrees_with_the_calendar():
    calendar = WorkingCalendar(closure_days=frozenset({datetime.date(2026, 12, 24)}))
    first, last = datetime.date(2026, 3, 28), datetime.date(2027, 1, 8)
    counter = working_day_counter(calendar, first, last)
    day = first
    while day <= last:
        start = datetime.datetime.combine(first, datetime.time(12), tzinfo=datetime.UTC)
        end = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
        assert counter[day] - counter[first] == calendar.working_days_between(start, end), day
        day += datetime.timedelta(days=23)


def test_resolution_time_skips_the_partnerships_closure_days(world):
    from agencies.models import ClosureDay

    ClosureDay.objects.create(partnership=world.partnership, date=datetime.date(2026, 3, 5), reason="Training")
    figures = theme_figures(world.business_manager, world.partnership)
    assert figures.resolution.median == 3
    assert not calendar_for(world.partnership).is_working_day(datetime.date(2026, 3, 5))


def test_buckets():
    assert [f.value for f in bucket_working_days([0, 2, 3, 5, 6, 10, 11, 20, 21, 40, 41, 400])] == [2, 2, 2, 2, 2, 2]
    assert bucket_working_days([1])[0].label == "0 to 2 working days"
    assert bucket_working_days([1])[-1].label == "More than 40 working days"


# The page -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["business_manager", "chair"])
def test_the_page_draws_each_chart_with_its_table(client, world, persona):
    login(client, getattr(world, persona))
    response = client.get(THEMES)
    page = response.content.decode()
    assert response.status_code == 200
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", page, flags=re.S)
    assert len(svgs) == 5
    for svg in svgs:
        opening = svg[: svg.index(">")]
        assert 'role="img"' in opening
        title_id, desc_id = re.search(r'aria-labelledby="([^" ]+) ([^" ]+)"', opening).groups()
        assert f'<title id="{title_id}">' in svg
        assert f'<desc id="{desc_id}">' in svg
        assert "style=" not in svg, "no inline styles under the CSP"
    assert "style=" not in page
    assert page.count('<caption class="govuk-table__caption govuk-table__caption--s">') == 5
    assert "Half were resolved within <strong>4 working days</strong>" in page
    assert "AWAY" not in page, "nothing from another partnership"


def test_the_page_is_audited(client, world):
    login(client, world.business_manager)
    client.get(THEMES, {"raised_from_0": "1", "raised_from_1": "3", "raised_from_2": "2026"})
    event = AuditEvent.objects.get(action="themes.viewed")
    assert event.after == {"raised_from": "2026-03-01", "raised_to": None}
    assert event.partnership == world.partnership


def test_a_bad_date_is_explained_and_the_rest_still_shown(client, world):
    login(client, world.business_manager)
    page = client.get(THEMES, {"raised_to_0": "30", "raised_to_1": "2", "raised_to_2": "2026"}).content.decode()
    assert "<title>Error: " in page
    assert "Raised to must be a real date" in page
    assert "3 disputes raised" in page


def test_no_disputes_in_the_range(client, world):
    login(client, world.business_manager)
    page = client.get(THEMES, {"raised_from_0": "1", "raised_from_1": "1", "raised_from_2": "2030"}).content.decode()
    assert "There is nothing to show for these dates." in page
    assert "<svg" not in page


@pytest.mark.parametrize("persona", ["teacher", "head", "social_worker", "outsider", "admin"])
def test_others_get_404(client, world, persona):
    login(client, getattr(world, persona))
    assert client.get(THEMES).status_code == 404


# The charts ---------------------------------------------------------------------------------------------------


def test_chart_text_is_escaped_and_long_labels_shortened():
    svg = str(bar_chart("c", "T <b>", [Bar("<script>alert(1)</script>", 3), Bar("x" * 100, 1)]).svg())
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "T &lt;b&gt;" in svg
    assert "x" * 100 not in svg
    assert "x" * 60 in svg


def test_bars_are_in_proportion_and_values_written():
    svg = str(bar_chart("c", "T", [Bar("a", 4), Bar("b", 2), Bar("zero", 0)]).svg())
    widths = [float(w) for w in re.findall(r'<rect x="0" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 2, "no bar for zero"
    assert widths[0] == pytest.approx(2 * widths[1])
    assert re.findall(r'font-weight="bold" fill="#0b0c0c">([^<]+)<', svg) == ["4", "2", "0"]


def test_an_empty_chart_draws_nothing():
    chart = bar_chart("c", "T", [])
    assert str(chart.svg()) == ""
    assert chart.description == "No figures to show."


def test_the_counts_read_the_disputes_once(world):
    """The total, the categories and the agency pairs come from one grouped pass over the disputes; each read every
    dispute of the partnership again (a third of the page's time at 30,000 disputes)."""
    with CaptureQueriesContext(connection) as queries:
        figures = theme_figures(world.business_manager, world.partnership)
    led_by_disputes = [q["sql"] for q in queries if q["sql"].split(" FROM ", 1)[-1].startswith('"escalation_dispute"')]
    assert len(led_by_disputes) == 1, led_by_disputes
    assert figures.total == sum(f.value for f in figures.categories) == sum(p.disputes for p in figures.agency_pairs)
