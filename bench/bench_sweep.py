"""How fast is the deadline sweep, beside the per-row sweep it replaced, in the same run? Not a test: it prints figures.

    make bench-sweep        (runs this under scripts/with_postgres.sh, on a throw-away PostgreSQL)

It makes a database of its own beside the one it is given (and drops it afterwards), fills it with
BENCH_SWEEP_DISPUTES generated disputes (`manage.py generate_disputes`: every kind of deadline row, most of them long
closed), and then:

- times an idle sweep (nothing due) of each kind, interleaved, BENCH_SWEEP_IDLE times each: the median and 95th
  percentile, and their ratio;
- for each size in BENCH_SWEEP_SIZES, adds that many due deadlines (half a reminder, half a breach, each telling
  about four people) and sweeps them with the per-row sweep (bench/per_row_sweep.py), then adds as many again and
  sweeps them with the set-based sweep: deadlines a second, queries a deadline and the ratio, and the set-based
  sweep's two steps apart: marking (claim, mark, audit: the deadline is breached, its notice owed) and telling
  (whom each owed notice reaches, and their outbox rows);
- sweeps one more set with two set-based sweeps at once (two threads, two connections): deadlines a second;
- marks one more set with two markings at once (the first step alone): deadlines marked a second; then tells what
  they owe with two tellers at once (as the Celery sweep's `tell_owed` tasks do): deadlines told a second;
- marks one set alone and one with two markings at once with the overdue flag's trigger switched off: what the
  register's stored flag (a dispute update a breach) costs the marking.

Both sweeps take batches of BENCH_SWEEP_BATCH rows (200 unless given, the per-row sweep's old default); the
set-based sweep is also timed with batches of 1,000, the app's default (DEADLINE_SWEEP_BATCH_SIZE sets the app's).
A million disputes:
`make bench-sweep BENCH_SWEEP_DISPUTES=1000000` (the data takes a while to generate).
"""

import contextlib
import datetime
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.local")
os.environ["DEBUG"] = "0"
os.environ["REDIS_URL"] = ""  # e-mail is not queued to a broker: this measures the sweep itself

DISPUTES = int(os.environ.get("BENCH_SWEEP_DISPUTES", "100000"))
SIZES = tuple(int(size) for size in os.environ.get("BENCH_SWEEP_SIZES", "10000").split(","))
IDLE_RUNS = int(os.environ.get("BENCH_SWEEP_IDLE", "200"))
SWEEP_BATCH = int(os.environ.get("BENCH_SWEEP_BATCH", "200"))
BIG_BATCH = 1_000
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
        cursor.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
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

    from agencies.models import Agency, Membership, Partnership, Role, Sector
    from policies.models import Policy

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


def add_due_deadlines(world, start: int, stop: int, now: datetime.datetime) -> None:
    """Disputes `start`..`stop`-1, each with its stage-1 deadline due at `now`: even ones a breach, odd ones a
    reminder (nothing of them is due before `now` minus an hour)."""
    from django.db import connection

    from escalation.deadlines.models import Deadline
    from escalation.disputes.models import Dispute, Subject

    partnership, school, social_care, raiser = world
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
                remind_at=now - datetime.timedelta(minutes=30),
            )
            for i, dispute in zip(range(low, high), disputes, strict=True)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(sweeper, now: datetime.datetime, batch_size: int) -> tuple:
    from django.db import connection

    counter = QueryCounter()
    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = sweeper(now=now, batch_size=batch_size)
    return result, time.perf_counter() - began, counter.count


def timed_steps(now: datetime.datetime, batch_size: int) -> tuple:
    """The set-based sweep's two steps timed apart: marking (claim, mark, audit) and telling (the outbox rows).
    The same work as `sweep()`; (result, seconds in all, queries, seconds marking, seconds telling)."""
    from django.db import connection

    from escalation.deadlines.sweep import BREACH, REMINDER, SweepResult, mark_due, tell_owed

    counter = QueryCounter()
    result = SweepResult()
    with connection.execute_wrapper(counter):
        began = time.perf_counter()
        result.breached = mark_due(BREACH, now, batch_size)
        result.reminded = mark_due(REMINDER, now, batch_size)
        marked = time.perf_counter()
        result.notifications_queued = tell_owed(BREACH, now, batch_size) + tell_owed(REMINDER, now, batch_size)
        told = time.perf_counter()
    return result, told - began, counter.count, marked - began, told - marked


def at_once(work: Callable[[], int]) -> tuple[int, float]:
    """`work` on two threads started together, each on its own connection: what both returned, summed, and the
    seconds until both finished."""
    from django.db import connection

    start = threading.Barrier(2)
    done = [0, 0]

    def run(index: int) -> None:
        start.wait()
        done[index] = work()
        connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), time.perf_counter() - began


def two_at_once(now: datetime.datetime) -> tuple[int, float]:  # batches of SWEEP_BATCH
    """Two set-based sweeps started together: deadlines handled and seconds taken."""
    from escalation.deadlines.sweep import sweep

    def one_sweep() -> int:
        result = sweep(now=now, batch_size=SWEEP_BATCH)
        return result.reminded + result.breached

    return at_once(one_sweep)


def two_markings_then_two_tellers(now: datetime.datetime) -> tuple[int, float, float]:
    """Two markings (the sweep's first step, batches of BIG_BATCH) started together, then two tellers (the
    `tell_owed` tasks the Celery sweep hands its notices to) started together: deadlines marked, and the seconds
    each pair took."""
    from escalation.deadlines.sweep import BREACH, REMINDER, mark_due, tell_all

    marked, marking = at_once(lambda: mark_due(BREACH, now, BIG_BATCH) + mark_due(REMINDER, now, BIG_BATCH))
    _, telling = at_once(lambda: tell_all(now=now, batch_size=BIG_BATCH))
    return marked, marking, telling


@contextlib.contextmanager
def without_overdue_flag():
    """Marking as it would be without the register's overdue flag: the trigger that keeps `Dispute.overdue` is
    switched off in the bench's own database for the duration (the flags it would have set stay unset)."""
    from django.db import connection

    from escalation.deadlines.models import Deadline

    table = connection.ops.quote_name(Deadline._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER escalation_deadline_updated_keeps_overdue")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER escalation_deadline_updated_keeps_overdue")


def idle_timings(now: datetime.datetime) -> dict[str, list[float]]:
    """Milliseconds for a sweep with nothing due, each kind in turn."""
    from bench.per_row_sweep import sweep_per_row
    from escalation.deadlines.sweep import sweep

    kinds = {"per-row": sweep_per_row, "set-based": sweep}
    times: dict[str, list[float]] = {name: [] for name in kinds}
    for run in range(IDLE_RUNS + 10):
        for name, sweeper in kinds.items():
            began = time.perf_counter()
            result = sweeper(now=now, batch_size=SWEEP_BATCH)
            took = (time.perf_counter() - began) * 1000
            assert result.reminded + result.breached == 0, f"{name}: something was due"
            if run >= 10:  # warm-up
                times[name].append(took)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    url = own_database_url()
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.per_row_sweep import sweep_per_row
    from escalation.deadlines.models import Deadline
    from escalation.deadlines.sweep import sweep

    try:
        call_command("migrate", verbosity=0)
        call_command("load_policies", verbosity=0)
        now = datetime.datetime(2026, 3, 4, 17, 30, tzinfo=datetime.UTC)
        began = time.perf_counter()
        call_command("generate_disputes", str(DISPUTES), "--partnerships", "10", "--now", now.isoformat())
        print(f"{DISPUTES:,} disputes generated in {time.perf_counter() - began:,.0f}s", flush=True)
        world = build_partnership()
        # Whatever the generated world left due is swept first, so every timing below starts from the same place.
        sweep(now=now)
        total = Deadline.objects.count()

        idle = idle_timings(now)
        print()
        print(f"Idle sweep (nothing due) with {total:,} deadline rows, {IDLE_RUNS} runs each, interleaved:")
        print(f"{'':>12} {'median ms':>10} {'p95 ms':>8}")
        for name, values in idle.items():
            print(f"{name:>12} {statistics.median(values):>10.2f} {p95(values):>8.2f}")
        ratio = statistics.median(idle["per-row"]) / statistics.median(idle["set-based"])
        print(f"  set-based idle sweep: {ratio:.1f}x faster than per-row (medians)")

        rows = []
        made = 0
        # Every generated row due by `now` has been swept, so each set added below, due at a moment before `now`
        # and after the set before it, is all that is due when it is swept.
        moment = now - datetime.timedelta(days=60)
        for size in SIZES:
            for name, batch_size in (
                ("per-row", SWEEP_BATCH),
                ("set-based", SWEEP_BATCH),
                (f"set-based, batches of {BIG_BATCH}", BIG_BATCH),
            ):
                moment += datetime.timedelta(days=1)
                add_due_deadlines(world, made, made + size, moment)
                made += size
                if name == "per-row":
                    result, took, queries = timed(sweep_per_row, moment, batch_size)
                    steps = None
                else:
                    result, took, queries, marking, telling = timed_steps(moment, batch_size)
                    steps = (marking, telling)
                handled = result.reminded + result.breached
                if handled != size:
                    print(f"  WARNING: {name} handled {handled:,}, expected {size:,}")
                rows.append((size, name, result, took, queries, steps))
                print(f"  {name}: {size:,} due deadlines swept in {took:,.1f}s", flush=True)
        print()
        print(f"Deadline sweep on {connection.vendor}, {total:,} rows already in the table, batches of {SWEEP_BATCH}:")
        print(
            f"{'due':>8} {'sweep':>28} {'reminded':>9} {'breached':>9} {'notifications':>14} {'seconds':>8} "
            f"{'deadlines/s':>12} {'queries/deadline':>17} {'marked/s':>10} {'told/s':>8}"
        )
        rates: dict[tuple[int, str], float] = {}
        marking_rates: dict[tuple[int, str], float] = {}
        telling_rates: dict[tuple[int, str], float] = {}
        for size, name, result, took, queries, steps in rows:
            handled = result.reminded + result.breached
            rates[(size, name)] = handled / took
            by_step = ""
            if steps:
                marking_rates[(size, name)] = handled / steps[0]
                telling_rates[(size, name)] = handled / steps[1]
                by_step = f" {handled / steps[0]:>10,.0f} {handled / steps[1]:>8,.0f}"
            print(
                f"{size:>8,} {name:>28} {result.reminded:>9,} {result.breached:>9,} "
                f"{result.notifications_queued:>14,} {took:>8.2f} {handled / took:>12,.0f} {queries / handled:>17.3f}"
                f"{by_step}"
            )
        for size in SIZES:
            for name in ("set-based", f"set-based, batches of {BIG_BATCH}"):
                print(
                    f"  {size:,} due: {name} {rates[(size, name)] / rates[(size, 'per-row')]:.1f}x per-row in all; "
                    f"its marking {marking_rates[(size, name)] / rates[(size, 'per-row')]:.1f}x"
                )

        size = max(SIZES)
        moment += datetime.timedelta(days=1)
        add_due_deadlines(world, made, made + 2 * size, moment)
        handled, took = two_at_once(moment)
        print(
            f"Two set-based sweeps at once over {2 * size:,} due deadlines: {handled:,} handled in {took:.2f}s, "
            f"{handled / took:,.0f} a second ({handled / took / rates[(size, 'set-based')]:.2f}x one sweep)"
        )
        moment += datetime.timedelta(days=1)
        add_due_deadlines(world, made + 2 * size, made + 4 * size, moment)
        marked, took, telling = two_markings_then_two_tellers(moment)
        best = marking_rates[(size, f"set-based, batches of {BIG_BATCH}")]
        print(
            f"Two markings at once over {2 * size:,} due deadlines (batches of {BIG_BATCH}): {marked:,} marked in "
            f"{took:.2f}s, {marked / took:,.0f} a second ({marked / took / best:.2f}x one marking)"
        )
        one_teller = telling_rates[(size, f"set-based, batches of {BIG_BATCH}")]
        print(
            f"Then two tellers at once (the Celery sweep's tell_owed tasks): {marked:,} deadlines' notices told in "
            f"{telling:.2f}s, {marked / telling:,.0f} a second ({marked / telling / one_teller:.2f}x one teller)"
        )
        # The same markings without the overdue flag's dispute update: what the register's flag costs the sweep.
        from escalation.deadlines.sweep import BREACH, REMINDER, mark_due

        moment += datetime.timedelta(days=1)
        add_due_deadlines(world, made + 4 * size, made + 5 * size, moment)
        with without_overdue_flag():
            began = time.perf_counter()
            alone = mark_due(BREACH, moment, BIG_BATCH) + mark_due(REMINDER, moment, BIG_BATCH)
            alone_rate = alone / (time.perf_counter() - began)
            moment += datetime.timedelta(days=1)
            add_due_deadlines(world, made + 5 * size, made + 7 * size, moment)
            pair, pair_took, _ = two_markings_then_two_tellers(moment)
        print(
            f"Without the overdue flag (its trigger off): one marking {alone_rate:,.0f} a second "
            f"({alone_rate / best:.2f}x with it), two at once {pair / pair_took:,.0f} a second "
            f"({pair / pair_took / (marked / took):.2f}x with it)"
        )
    finally:
        connection.close()
        recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
