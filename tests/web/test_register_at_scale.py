"""The register at a million disputes (issue 14): the same rows in the same order whichever plan is chosen, the CSV
read in keyset chunks, and (on PostgreSQL) the indexes the plans rest on. Plans are checked, never times."""

import datetime
import math
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation.deadlines.models import Deadline
from escalation.disputes.models import Dispute
from escalation.disputes.register import (
    SORTS,
    RegisterFilters,
    RegisterPage,
    apply_filters,
    ordering,
    partnership_disputes,
)
from escalation.disputes.selectors import partnership_disputes_for
from escalation.web.views import register as register_views
from policies.vocabulary import DisputeState
from tests.conftest import london
from tests.web import test_register
from tests.web.test_register import CSV, bulk_disputes, csv_rows

# The register tests' world (four disputes in BCSSP, one elsewhere) and its business manager, signed in.
world = test_register.world
manager_client = test_register.manager_client
NO_FILTERS = RegisterFilters()

EVERY_SORT = [key for name in SORTS for key in (name, f"-{name}")]
POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans are PostgreSQL's (make test runs on PostgreSQL)"
)


@pytest.fixture
def many(world):
    """34 disputes: stages, states and raised moments repeat, so ties are broken by id."""
    bulk_disputes(world, 30)
    states = [DisputeState.RAISED, DisputeState.IN_DISCUSSION]
    for index, pk in enumerate(Dispute.objects.filter(reference__startswith="BULK-").order_by("id").values_list("pk")):
        Dispute.objects.filter(pk=pk[0]).update(
            current_stage=1 + index % 3,
            state=states[index % 2],
            raised_at=london(2025, 1, 1, 9, 0) + datetime.timedelta(days=index % 4),
        )
    return world


def page_ids(w, sort: str, *, cap: int, filters: RegisterFilters = NO_FILTERS) -> list[int]:
    page = RegisterPage(w.business_manager, w.partnership, filters, sort, cap=cap)
    return [dispute.pk for dispute in page[0:100]]


@pytest.mark.parametrize("sort", EVERY_SORT)
def test_few_matches_and_many_give_the_same_rows_in_the_same_order(many, sort):
    everything = apply_filters(partnership_disputes(many.business_manager, many.partnership), RegisterFilters())
    expected = list(everything.order_by(*ordering(sort)).values_list("pk", flat=True))
    assert len(expected) == 34
    assert page_ids(many, sort, cap=10_000) == expected, "within the cap: found by the filter, then sorted"
    assert page_ids(many, sort, cap=5) == expected, "past the cap: read along the sort's index"


def test_a_search_finds_the_same_rows_either_way(many):
    search = RegisterFilters(text="bulk dispute 2")
    assert page_ids(many, "-raised", cap=10_000, filters=search) == page_ids(many, "-raised", cap=1, filters=search)
    assert len(page_ids(many, "-raised", cap=10_000, filters=search)) == 11  # 2 and 20 to 29


def page_ids_sql(w, *, cap: int) -> str:
    page = RegisterPage(w.business_manager, w.partnership, RegisterFilters(text="bulk"), "-raised", cap=cap)
    page.counted  # noqa: B018 - the paginator asks for the count first
    with CaptureQueriesContext(connection) as queries:
        page[0:50]
    return queries.captured_queries[0]["sql"]


def test_the_plan_for_a_page_is_chosen_by_the_capped_count(many):
    few = page_ids_sql(many, cap=10_000)
    assert "COALESCE" in few and "LIKE" not in few, "few matches: the ids the count found, sorted"
    many_matches = page_ids_sql(many, cap=5)
    assert "COALESCE" not in many_matches and "LIKE" in many_matches, "many matches: read along the sort's index"


def test_the_count_stops_one_past_the_cap(many):
    page = RegisterPage(many.business_manager, many.partnership, RegisterFilters(), "-raised", cap=5)
    with CaptureQueriesContext(connection) as queries:
        assert page.counted == 6
    sql = queries.captured_queries[-1]["sql"]
    assert "LIMIT 6" in sql and "COUNT" not in sql.upper()


def test_overseers_get_the_partnership_and_others_the_access_rule(many):
    assert partnership_disputes_for(many.business_manager, many.partnership.pk).count() == 34
    assert set(partnership_disputes_for(many.health_visitor, many.partnership.pk)) == {many.third}
    assert not partnership_disputes_for(many.away.business_manager, many.partnership.pk).exists()


# CSV in keyset chunks -----------------------------------------------------------------------------------------


def export(client, monkeypatch, chunk: int, first: int | None = None, **params) -> tuple[list[list[str]], list[str]]:
    monkeypatch.setattr(register_views, "CSV_CHUNK", chunk)
    monkeypatch.setattr(register_views, "CSV_FIRST_CHUNK", first or chunk)
    response = client.get(CSV, params)
    with CaptureQueriesContext(connection) as queries:
        rows = csv_rows(response)
    return rows, [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("sort", EVERY_SORT)
def test_the_csv_has_every_row_in_the_registers_order_whatever_the_chunk(manager_client, many, monkeypatch, sort):
    expected = list(
        partnership_disputes(many.business_manager, many.partnership)
        .order_by(*ordering(sort))
        .values_list("reference", flat=True)
    )
    for chunk, first in ((1, 1), (4, 4), (4, 1), (3, 10), (34, 34), (2000, 100)):
        rows, _ = export(manager_client, monkeypatch, chunk, first, sort=sort)
        assert [row[0] for row in rows[1:]] == expected, f"chunks of {chunk} after {first}"


def test_the_csv_reads_two_queries_a_chunk_each_starting_after_the_last_row(manager_client, many, monkeypatch):
    rows, queries = export(manager_client, monkeypatch, 4, 1, sort="stage", state="raised")
    assert len(rows) - 1 == 17
    chunks = 1 + math.ceil(16 / 4)  # 1, then 4, 4, 4, 4
    ids = [sql for sql in queries if re.search(r"ORDER BY 1 ASC, 2 ASC, 3 ASC LIMIT [14]$", sql)]
    details = [sql for sql in queries if '"escalation_dispute"."id" IN (' in sql]
    # The last chunk was full, so one more read finds nothing after it.
    assert [sql.rsplit(" ", 1)[-1] for sql in ids] == ["1"] + ["4"] * (chunks - 1) + ["4"]
    assert len(details) == chunks
    assert len(queries) == len(ids) + len(details) + 1, "and one to find that the reader oversees the partnership"
    assert not any("OFFSET" in sql for sql in ids), "never an offset: each chunk starts where the last one stopped"
    assert all(re.search(r"current_stage\", \"escalation_dispute\"\.\"raised_at\", .*\) > \(", sql) for sql in ids[1:])


def test_the_csv_keeps_the_filters_and_overdue_column(manager_client, many, monkeypatch):
    Deadline.objects.filter(dispute=many.third, closed_at__isnull=True).update(breached_at=london(2026, 4, 20, 17))
    rows, _ = export(manager_client, monkeypatch, 2, overdue="on")
    assert [row[0] for row in rows[1:]] == [many.third.reference]
    assert rows[1][rows[0].index("Overdue")] == "Yes"


# Plans (PostgreSQL) -------------------------------------------------------------------------------------------


def plan(queryset) -> str:
    """The plan PostgreSQL would use if the table were big: sequential scans and sorts priced out."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    try:
        return queryset.explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
            cursor.execute("RESET enable_sort")


@POSTGRES_ONLY
@pytest.mark.parametrize(
    "sort, index",
    [
        ("-raised", "dispute_register_raised"),
        ("raised", "dispute_register_raised"),
        ("stage", "dispute_register_stage"),
        ("-state", "dispute_register_state"),
        ("reference", "dispute_register_reference"),
    ],
)
def test_each_sort_reads_along_its_own_index(many, sort, index):
    matching = partnership_disputes(many.business_manager, many.partnership)
    shown = plan(matching.order_by(*ordering(sort)).values_list("pk")[:50])
    assert index in shown and "Sort" not in shown.replace("Sort Key", "")


@POSTGRES_ONLY
@pytest.mark.parametrize("state", ["", DisputeState.IN_DISCUSSION])
def test_overdue_with_a_state_or_not_is_counted_from_the_stored_flag(many, state):
    """At a million disputes, joining the missed deadlines took 100-140 ms a page; the stored flag's partial index
    holds just the overdue disputes, by state."""
    matching = apply_filters(
        partnership_disputes(many.business_manager, many.partnership), RegisterFilters(overdue=True, state=state)
    )
    # Which index PostgreSQL picks for a table this small depends on its statistics; at a million disputes it is
    # dispute_register_overdue alone (make bench-register). What holds at any size: no deadline is read.
    counted = plan(matching.order_by().values_list("pk")[:10_001])
    assert "escalation_deadline" not in counted
    assert "escalation_deadline" not in plan(matching.order_by(*ordering("-raised")).values_list("pk")[:50])


@POSTGRES_ONLY
def test_a_csv_chunk_starts_inside_the_index_where_the_last_stopped(many):
    from escalation.disputes.register import after_row, sort_columns

    matching = partnership_disputes(many.business_manager, many.partnership).order_by(*ordering("stage"))
    last = matching.values_list(*sort_columns("stage"))[3]
    shown = plan(matching.filter(after_row(sort_columns("stage"), last, False)).values_list("pk")[:4])
    condition = next(line for line in shown.splitlines() if "Index Cond" in line)
    assert "ROW(" in condition and "dispute_register_stage" in shown


@POSTGRES_ONLY
def test_the_ids_found_within_the_cap_go_back_as_one_array_value(many):
    """One constant for the database to parse: ten thousand ARRAY[...] elements took longer to plan than to run."""
    sql = page_ids_sql(many, cap=10_000)
    assert "= ANY('{" in sql and "ARRAY[" not in sql
    assert page_ids(many, "-raised", cap=10_000) == page_ids(many, "-raised", cap=5)


@POSTGRES_ONLY
def test_a_persons_open_disputes_are_found_through_their_agencys_indexes(many):
    """The home page's lists: the access rule names the person's agency as a value, so PostgreSQL looks its open
    disputes up by agency and state. With the agencies as a subquery it checked every dispute against the rule
    (about 600 ms a home page at 100,000 disputes)."""
    from escalation.disputes.selectors import disputes_for
    from policies.vocabulary import OPEN_STATES

    shown = plan(disputes_for(many.teacher).filter(state__in=OPEN_STATES).values_list("pk"))
    teacher_agency = many.teacher.memberships.get().agency_id
    for column in ("raising_agency_id", "other_agency_id"):
        assert f"Index Cond: ({column} = {teacher_agency})" in shown
    assert "SubPlan" not in shown
