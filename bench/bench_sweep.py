"""How fast is the deadline sweep over 10,000 and 100,000 due deadlines? Not a test: it prints figures.

    make bench-sweep        (runs this under scripts/with_postgres.sh, on a throw-away PostgreSQL)

It makes a database of its own beside the one it is given (and drops it afterwards), fills it with
disputes whose deadlines are due (half a reminder, half a breach), runs one sweep over them and prints
deadlines handled per second and queries per deadline. The queries per deadline should be the same for
every size: the sweep's cost grows with the deadlines due, not with the size of the table.
"""

import datetime
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.local")
os.environ["DEBUG"] = "0"
os.environ["REDIS_URL"] = ""  # e-mail is not queued to a broker: this measures the sweep itself

SIZES = tuple(int(size) for size in os.environ.get("BENCH_SWEEP_SIZES", "10000,100000").split(","))
BATCH = 5_000
BENCH_DB = "escalation_bench_sweep"


def own_database_url() -> str:
    """The given server, a database of the bench's own: it never fills a database someone uses."""
    given = os.environ.get("DATABASE_URL", "")
    if not given.startswith(("postgres://", "postgresql://")):
        sys.exit("bench-sweep: needs PostgreSQL; run it with scripts/with_postgres.sh (make bench-sweep)")
    parts = urlsplit(given)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def recreate_database(url: str, drop_only: bool = False) -> None:
    import psycopg2

    server = psycopg2.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        if not drop_only:
            cursor.execute(f'CREATE DATABASE "{BENCH_DB}"')
    server.close()


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def build_partnership():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from agencies.models import Agency, Membership, Partnership, Role, Sector
    from policies.models import Policy

    call_command("migrate", verbosity=0)
    call_command("load_policies", verbosity=0)
    partnership = Partnership.objects.create(
        name="Bench partnership", slug="bench", reference_prefix="BENCH", policy=Policy.objects.get(slug="bcssp")
    )
    school = Agency.objects.create(partnership=partnership, name="Bench school", sector=Sector.EDUCATION)
    social_care = Agency.objects.create(
        partnership=partnership, name="Bench social care", sector=Sector.CHILDRENS_SOCIAL_CARE
    )
    office = Agency.objects.create(partnership=partnership, name="Bench partnership team", sector=Sector.PARTNERSHIP)
    users = get_user_model().objects
    people = {}
    for agency, role, count in (
        (school, Role.PRACTITIONER, 2),
        (school, Role.MANAGER, 1),
        (social_care, Role.PRACTITIONER, 3),
        (social_care, Role.MANAGER, 2),
        (office, Role.BUSINESS_MANAGER, 1),
    ):
        for i in range(count):
            user = users.create_user(f"bench-{agency.pk}-{role}-{i}", email=f"{role}{i}@example.org", password=None)
            Membership.objects.create(user=user, agency=agency, role=role)
            people.setdefault(role, user)
    return partnership, school, social_care, people[Role.PRACTITIONER]


def add_due_deadlines(partnership, school, social_care, raiser, start: int, stop: int, now: datetime.datetime):
    """Disputes `start`..`stop`-1, each with its stage-1 deadline due: even ones a breach, odd ones a reminder."""
    from escalation.deadlines.models import Deadline
    from escalation.disputes.models import Dispute, Subject

    rule = partnership.policy.current_version.deadline_rules.get(name="stage-1")
    raised_at = now - datetime.timedelta(days=3)
    for low in range(start, stop, BATCH):
        high = min(low + BATCH, stop)
        subjects = Subject.objects.bulk_create(
            Subject(partnership=partnership, kind="child", name=f"Child {i}") for i in range(low, high)
        )
        disputes = Dispute.objects.bulk_create(
            Dispute(
                reference=f"BENCH-{i:07d}",
                partnership=partnership,
                policy_version=rule.version,
                subject=subject,
                raising_agency=school,
                other_agency=social_care,
                raised_by=raiser,
                category="levels_of_need",
                description="Bench dispute.",
                raised_at=raised_at,
                current_stage=1,
            )
            for i, subject in zip(range(low, high), subjects, strict=True)
        )
        Deadline.objects.bulk_create(
            Deadline(
                dispute=dispute,
                rule=rule,
                stage_number=1,
                anchor_at=raised_at,
                due_at=now - datetime.timedelta(minutes=5) if i % 2 == 0 else now + datetime.timedelta(days=30),
                remind_at=now - datetime.timedelta(hours=1),
            )
            for i, dispute in zip(range(low, high), disputes, strict=True)
        )


def main() -> None:
    url = own_database_url()
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.db import connection

    from escalation.deadlines.sweep import sweep

    try:
        partnership, school, social_care, raiser = build_partnership()
        rows = []
        made = 0
        now = datetime.datetime(2026, 3, 4, 17, 30, tzinfo=datetime.UTC)
        for size in SIZES:
            now += datetime.timedelta(days=1)
            began = time.perf_counter()
            add_due_deadlines(partnership, school, social_care, raiser, made, made + size, now)
            made += size
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            print(f"{size:,} due deadlines ready in {time.perf_counter() - began:.1f}s", flush=True)
            counter = QueryCounter()
            began = time.perf_counter()
            with connection.execute_wrapper(counter):
                result = sweep(now=now)
            took = time.perf_counter() - began
            handled = result.reminded + result.breached
            if handled != size:
                print(f"  WARNING: {handled:,} handled, expected {size:,}")
            rows.append((size, result, took, counter.count))
        print()
        print(f"Deadline sweep on {connection.vendor} (one sweep, one process, batches of 200):")
        print(
            f"{'due deadlines':>14} {'reminded':>9} {'breached':>9} {'notifications':>14} {'seconds':>8} "
            f"{'deadlines/s':>12} {'queries/deadline':>17}"
        )
        for size, result, took, queries in rows:
            handled = result.reminded + result.breached
            print(
                f"{size:>14,} {result.reminded:>9,} {result.breached:>9,} {result.notifications_queued:>14,} "
                f"{took:>8.1f} {handled / took:>12,.0f} {queries / handled:>17.2f}"
            )
        per_deadline = {round(queries / (r.reminded + r.breached), 1) for _, r, _, queries in rows}
        print(
            "  queries per deadline are the same at every size"
            if len(per_deadline) == 1
            else "  WARNING: queries per deadline change with the number due"
        )
    finally:
        connection.close()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
