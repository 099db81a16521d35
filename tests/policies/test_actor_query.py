"""A person's roles and offices are read in one query that every database the app runs on accepts."""

from django.db.utils import ConnectionHandler

from agencies.models import OfficeHolder
from policies.loading import _posts, actor_for


def test_the_roles_and_offices_query_compiles_for_sqlite(bcssp):
    """`make run` uses SQLite, which refuses ORDER BY inside a UNION's parts (OfficeHolder is ordered by default)."""
    OfficeHolder.objects.create(partnership=bcssp.partnership, office="cp_chair", user=bcssp.head)
    sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})["default"]
    sql, _params = _posts(bcssp.head, bcssp.partnership.pk).query.get_compiler(connection=sqlite).as_sql()
    assert "UNION ALL" in sql and "ORDER BY" not in sql
    actor = actor_for(bcssp.head, bcssp.partnership.pk)
    assert actor.offices == frozenset({"cp_chair"})
    assert actor.roles_in(bcssp.school.pk) == frozenset({"manager", "dsl"})
