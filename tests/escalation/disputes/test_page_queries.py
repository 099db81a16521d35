"""The dispute page and the register take a fixed number of queries, however much a dispute holds."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalation.disputes import services
from tests.conftest import london


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _grow(world, dispute, n: int) -> None:
    for i in range(n):
        author = world.teacher if i % 2 else world.social_worker
        services.add_record_entry(
            dispute=dispute,
            author=author,
            kind="discussion",
            text=f"Call {i}",
            occurred_on=datetime.date(2026, 3, 3),
            now=london(2026, 3, 3, 9) + datetime.timedelta(minutes=i),
        )


def test_the_dispute_page_takes_the_same_queries_with_1_and_50_entries(bcssp, client_for):
    small = bcssp.raise_dispute()
    large = bcssp.raise_dispute()
    _grow(bcssp, small, 1)
    _grow(bcssp, large, 50)
    client = client_for(bcssp.head)
    one = _count(client, reverse("dispute", args=[small.reference]))
    fifty = _count(client, reverse("dispute", args=[large.reference]))
    assert fifty == one


def test_the_register_takes_the_same_queries_for_1_and_50_disputes(bcssp, client_for):
    client = client_for(bcssp.business_manager)
    bcssp.raise_dispute()
    one = _count(client, reverse("register"))
    for day in range(49):
        bcssp.raise_dispute(now=london(2026, 3, 3, 9) + datetime.timedelta(hours=day))
    assert _count(client, reverse("register")) == one
