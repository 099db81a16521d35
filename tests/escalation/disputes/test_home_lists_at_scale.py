"""The home page's lists read what they show, not every dispute (or every e-mail) the person may see.

The deadline list and its count read the person's open disputes only. A deadline runs only while its dispute is
open (the runtime closes the rest), yet the list asked for the deadlines of every dispute the access rule admits,
years of closed ones included: at 300,000 generated disputes a practitioner's list took about 50 ms and its count
55 ms, a business manager's count 114 ms, reading each of the thousands of disputes their agency or partnership
ever had. A business manager's list of e-mails the mail server refused read every notification of the partnership
to find the refused ones (400 ms with its count, of a 670 ms page). Rows read are counted, never times.
"""

import datetime

import pytest
from django.db import connection

from escalation.deadlines.models import Deadline
from escalation.disputes.models import Dispute
from escalation.disputes.worklists import deadlines_near, undeliverable
from escalation.notifications.models import Notification
from tests.conftest import london
from tests.fixtures_services import bulk_due_deadlines

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own counts of rows read"),
]
NOW = london(2026, 3, 4, 9)
DUE = NOW - datetime.timedelta(days=1)
CLOSED = 3_000


def rows_read(queryset, tables=(Dispute, Deadline)) -> int:
    """Rows of the tables PostgreSQL read (scanned, or fetched through an index) to answer `queryset` and to count
    it."""
    tables = [model._meta.db_table for model in tables]
    read = " + ".join(
        "pg_stat_get_xact_tuples_returned(%s::regclass) + pg_stat_get_xact_tuples_fetched(%s::regclass)" for _ in tables
    )
    params = [table for table in tables for _ in range(2)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {read}", params)
        before = cursor.fetchone()[0]
        list(queryset.all()[:10])
        queryset.count()
        cursor.execute(f"SELECT {read}", params)
        return cursor.fetchone()[0] - before


@pytest.fixture
def years_of_disputes(bcssp, tscp):
    """Each partnership: thousands of closed disputes (their deadlines closed too), and a few open ones whose
    deadlines have passed."""
    for world, rule_name, running in ((bcssp, "stage-1", 30), (tscp, "stages-1-and-2", 300)):
        for count, closed, tag in ((CLOSED, True, "C"), (running, False, "R")):
            bulk_due_deadlines(world, count, rule_name=rule_name, due_at=DUE, tag=tag, closed=closed)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return bcssp


@pytest.mark.parametrize("who", ["teacher", "business_manager"])
def test_the_deadline_list_reads_only_open_disputes(years_of_disputes, who):
    near = deadlines_near(getattr(years_of_disputes, who), NOW)

    assert near.count() == 30
    assert {deadline.dispute.partnership_id for deadline in near} == {years_of_disputes.partnership.pk}
    read = rows_read(near)
    assert read < CLOSED / 2, f"{read} rows read for a list of 30 among {CLOSED:,} closed disputes"


def test_the_refused_emails_list_reads_only_refused_emails(years_of_disputes):
    world = years_of_disputes
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO escalation_notification (dispute_id, recipient_id, event, role, headline, message, "
            "created_at, email_status, email_attempts, email_error) "
            "SELECT id, %s, 'raised', '', 'Told', '', raised_at, 'sent', 1, '' FROM escalation_dispute "
            "WHERE partnership_id = %s",
            [world.business_manager.pk, world.partnership.pk],
        )
        cursor.execute("ANALYZE")
    refused = Notification.objects.filter(dispute__partnership=world.partnership).order_by("pk")[:2]
    Notification.objects.filter(pk__in=list(refused.values_list("pk", flat=True))).update(
        email_status=Notification.EmailStatus.UNDELIVERABLE
    )

    listed = undeliverable(world.business_manager)

    assert listed.count() == 2
    read = rows_read(listed, tables=(Notification,))
    assert read < CLOSED / 2, f"{read} notification rows read for a list of 2 among {CLOSED:,} sent e-mails"
