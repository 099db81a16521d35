"""How the app's connections to PostgreSQL are set up."""

import pytest
from django.db import connection


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's setting (make test runs on PostgreSQL)")
@pytest.mark.django_db
def test_queries_are_not_jit_compiled():
    """The load test found the home page's list of disputes compiled for about 280 ms and run in 40 ms: the access
    rule's subqueries push PostgreSQL's cost estimates past its JIT threshold for quick queries."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
