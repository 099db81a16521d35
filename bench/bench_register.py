"""How fast is the register with 10,000, 100,000 and 1,000,000 disputes? Not a test: it prints figures.

    make bench-register                                   (under scripts/with_postgres.sh, a throw-away PostgreSQL)
    make bench-register BENCH_REGISTER_SIZES=10000,100000  quicker

It fills one partnership with disputes (one INSERT ... SELECT per table on PostgreSQL, only the related rows the
register reads; one in ten has a missed deadline still open, one description in 100,000 holds a rare word), then
times the register through the whole middleware stack with Django's test client, beside two baselines in the same
run: a bare view (the gap is the register's own cost) and the Django admin's changelist of the same disputes (the
usual way to list a big table in Django). Each case is printed with its ratio to both. It also times the CSV
export's first row and whole file with its peak memory, counts the register's queries with two page sizes (the
count grows with neither), and times 20 downloads of one dispute's record (the first draws it, the rest are served
from the kept PDF).
"""

import datetime
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.test")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402

SIZES = tuple(int(size) for size in os.environ.get("BENCH_REGISTER_SIZES", "10000,100000,1000000").split(","))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))
WARM_UP = 5
BASELINES = [("bare Django view", "/bench/bare/"), ("admin changelist", "/bench/admin/escalation/dispute/")]
CASES = [
    ("register, newest first", "/register/"),
    ("register, sorted by stage", "/register/?sort=stage"),
    ("register, sorted by state, descending", "/register/?sort=-state"),
    ("register, sorted by reference", "/register/?sort=reference"),
    ("register, overdue", "/register/?overdue=on"),
    ("register, in discussion and overdue", "/register/?state=in_discussion&overdue=on"),
    # Every bench description contains "referral": the worst case, where nothing narrows the search.
    ("register, search: common word (every row)", "/register/?q=referral"),
    ("register, search: rare word", "/register/?q=kestrel"),
    ("register, search: one reference", "/register/?q=bench-2024-004242"),
    ("register, search: phrase in one description", "/register/?q=dispute 4242:"),
    ("register, page 20", "/register/?page=20"),
]
CSV_URL = "/register.csv"
#: The whole CSV (time and peak memory) is read up to this size; past it only the first row is timed.
CSV_WHOLE_UP_TO = int(os.environ.get("BENCH_CSV_WHOLE_UP_TO", "100000"))
RECORD_DOWNLOADS = 20


def bare(request):
    return HttpResponse("ok")


class BenchAdminSite(admin.AdminSite):
    """The admin as a Django project would list disputes, open to the bench's user: the changelist baseline."""

    def has_permission(self, request):
        return request.user.is_active


class DisputeChangelist(admin.ModelAdmin):
    list_display = ("reference", "raised_at", "raising_agency", "other_agency", "category", "current_stage", "state")
    list_select_related = ("raising_agency", "other_agency")
    search_fields = ("reference", "description")
    list_filter = ("state", "current_stage")

    def has_view_permission(self, request, obj=None):
        return True


bench_admin = BenchAdminSite(name="bench-admin")


def admin_urls():
    from escalation.disputes.models import Dispute

    bench_admin.register(Dispute, DisputeChangelist)
    return bench_admin.urls


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/admin/", admin_urls()),
    path("", include("escalation.urls")),
]


def build_partnership():
    from agencies.models import Agency, Membership, Partnership, Role, Sector
    from policies.models import Policy

    call_command("migrate", verbosity=0)
    call_command("load_policies", verbosity=0)
    partnership = Partnership.objects.create(
        name="Bench partnership", slug="bench", reference_prefix="BENCH", policy=Policy.objects.get(slug="bcssp")
    )
    sectors = [Sector.EDUCATION, Sector.HEALTH, Sector.POLICE, Sector.CHILDRENS_SOCIAL_CARE, Sector.EARLY_YEARS]
    agencies = [
        Agency.objects.create(partnership=partnership, name=f"Bench agency {i}", sector=sectors[i % len(sectors)])
        for i in range(12)
    ]
    office = Agency.objects.create(partnership=partnership, name="Bench partnership team", sector=Sector.PARTNERSHIP)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    raiser = users.create_user("bench-raiser", password=None)
    Membership.objects.create(user=raiser, agency=agencies[0], role=Role.PRACTITIONER)
    manager = users.create_user("bench-bm", password=None)
    Membership.objects.create(user=manager, agency=office, role=Role.BUSINESS_MANAGER)
    return partnership, agencies, raiser, manager


def add_disputes(partnership, agencies, raiser, start: int, stop: int) -> None:
    """Disputes `start`..`stop`-1 and a subject each, in one statement per table; an open missed deadline on one in
    ten; "kestrel" in the description of one in 100,000 (a rare word), "referral" in every one (a common word)."""
    from escalation.deadlines.models import Deadline
    from escalation.disputes.models import Dispute
    from policies.models import category_labels

    version = partnership.policy.current_version
    # The bcssp policy's single-stage rules (stage-1 to stage-4): one per stage.
    rules = {rule.first_stage: rule.pk for rule in version.deadline_rules.all() if rule.first_stage == rule.last_stage}
    categories = list(category_labels(version.categories))
    agency_ids = [agency.pk for agency in agencies]
    n = len(agency_ids)  # a count, not input: safe in the statement's text
    params = {
        "start": start,
        "stop": stop - 1,
        "partnership": partnership.pk,
        "version": version.pk,
        "raiser": raiser.pk,
        "agencies": agency_ids,
        "categories": categories,
        "states": ["raised", "in_discussion", "awaiting_approval", "resolved"],
        "rules": [rules[stage] for stage in (1, 2, 3, 4)],
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO escalation_subject (id, kind, name, address, nhs_number, other_identifiers,
                                            child_protection_plan, looked_after, partnership_id)
            SELECT 100000000 + i, CASE WHEN i %% 5 = 0 THEN 'adult' ELSE 'child' END, 'Child ' || i, '', '', '',
                   false, false, %(partnership)s
            FROM generate_series(%(start)s, %(stop)s) AS i
            """,
            params,
        )
        cursor.execute(
            f"""
            INSERT INTO escalation_dispute (reference, category, description, attempts_so_far, immediate_harm,
                raised_at, current_stage, state, escalation_reason, updated_at, other_agency_id, partnership_id,
                policy_version_id, raised_by_id, raising_agency_id, subject_id)
            SELECT 'BENCH-2024-' || lpad(i::text, 6, '0'),
                   (%(categories)s::text[])[1 + i %% cardinality(%(categories)s::text[])],
                   'Bench dispute ' || i || ': the referral was closed with no assessment.'
                       || CASE WHEN i %% 100000 = 77777 THEN ' A kestrel nests by the school.' ELSE '' END,
                   '', false, timestamptz '2024-01-01 09:00+00' + make_interval(mins => 7 * i), 1 + i %% 4,
                   (%(states)s::text[])[1 + i %% 4], '', now(),
                   -- An offset of 1 to n-1 agencies along: every pair occurs, never an agency with itself.
                   (%(agencies)s::bigint[])[1 + (i + 1 + (i / {n}) %% ({n} - 1)) %% {n}],
                   %(partnership)s, %(version)s, %(raiser)s, (%(agencies)s::bigint[])[1 + i %% {n}], 100000000 + i
            FROM generate_series(%(start)s, %(stop)s) AS i
            """,  # noqa: S608 - only the agency count is formatted in
            params,
        )
    # Deadlines through the ORM, so that every column gets its default (a few seconds a hundred thousand).
    breached = (
        Dispute.objects.filter(partnership=partnership, subject_id__gte=100_000_000 + start)
        .annotate(tenth=F("id") % 10)
        .filter(tenth=0)
        .values_list("pk", "current_stage", "raised_at")
    )
    Deadline.objects.bulk_create(
        (
            Deadline(
                dispute_id=pk,
                rule_id=params["rules"][stage - 1],
                stage_number=stage,
                anchor_at=raised_at,
                due_at=raised_at + datetime.timedelta(days=3),
                breached_at=raised_at + datetime.timedelta(days=3, minutes=5),
            )
            for pk, stage, raised_at in breached.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE escalation_dispute")
        cursor.execute("VACUUM ANALYZE escalation_deadline")
        cursor.execute("VACUUM ANALYZE escalation_subject")


def timings(client: Client, url: str) -> tuple[float, float]:
    for _ in range(WARM_UP):
        client.get(url)
    samples = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def query_count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def csv_timings(client: Client, url: str, whole: bool) -> tuple[float, float, float, int]:
    """Median time to the first row over 5 exports; then the whole export: its time, rows, and (read again under
    tracemalloc, which slows Python several times, so not timed) its peak memory in MiB."""
    first = []
    for _ in range(5):
        began = time.perf_counter()
        response = client.get(url)
        chunks = iter(response.streaming_content)
        next(chunks)  # the header line
        next(chunks)  # the first chunk of rows
        first.append(time.perf_counter() - began)
        response.close()
    if not whole:
        return statistics.median(first), 0.0, 0.0, 0
    began = time.perf_counter()
    rows = sum(chunk.count(b"\n") for chunk in client.get(url).streaming_content) - 1
    whole = time.perf_counter() - began
    tracemalloc.start()
    for _chunk in client.get(url).streaming_content:
        pass
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(first), whole, peak, rows


def record_downloads(client: Client, reference: str) -> tuple[float, float]:
    """The first download of a dispute's record (drawn) and the median of the next ones (served as kept), in ms."""
    url = f"/disputes/{reference}/record.pdf"
    samples = []
    for _ in range(RECORD_DOWNLOADS):
        began = time.perf_counter()
        assert client.get(url).status_code == 200
        samples.append((time.perf_counter() - began) * 1000)
    return samples[0], statistics.median(samples[1:])


def main() -> None:
    from tests.auth_helpers import login

    settings.ROOT_URLCONF = __name__
    if connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"):
        # It fills the database it is given, so it only runs on the throw-away one with_postgres.sh makes.
        sys.exit("bench-register: run it with scripts/with_postgres.sh (make bench-register), not on your database")
    partnership, agencies, raiser, manager = build_partnership()
    client = Client()
    login(client, manager)
    results: dict[int, dict[str, tuple[float, float]]] = {}
    counts: dict[int, dict[int, int]] = {}
    exports: dict[int, tuple[float, float, float, int]] = {}
    records: dict[int, tuple[float, float]] = {}
    made = 0
    for size in SIZES:
        began = time.perf_counter()
        add_disputes(partnership, agencies, raiser, made, size)
        made = size
        print(f"{size:,} disputes ready in {time.perf_counter() - began:.1f}s", flush=True)
        results[size] = {label: timings(client, url) for label, url in BASELINES + CASES}
        counts[size] = {per_page: query_count(client, f"/register/?per_page={per_page}") for per_page in (25, 100)}
        exports[size] = csv_timings(client, CSV_URL, size <= CSV_WHOLE_UP_TO)
        records[size] = record_downloads(client, f"BENCH-2024-{size - 1:06d}")
    labels = [label for label, _ in BASELINES + CASES]
    width = max(len(label) for label in labels)
    print()
    print(f"Response times in ms over {REQUESTS} requests each (median / 95th percentile), {connection.vendor}:")
    print(f"{'':{width}}  " + "  ".join(f"{f'{size:,} disputes':>20}" for size in SIZES))
    for label in labels:
        cells = [f"{results[size][label][0]:8.1f} / {results[size][label][1]:8.1f}" for size in SIZES]
        print(f"{label:{width}}  " + "  ".join(f"{cell:>20}" for cell in cells))
    print()
    print("p95 as a ratio: the register case / the bare view, and / the admin changelist of the same disputes:")
    for label, _ in CASES:
        cells = []
        for size in SIZES:
            p95, bare_p95, admin_p95 = (results[size][name][1] for name in (label, *dict(BASELINES)))
            cells.append(f"{p95 / bare_p95:6.1f}x / {p95 / admin_p95:5.2f}x")
        print(f"{label:{width}}  " + "  ".join(f"{cell:>20}" for cell in cells))
    print()
    print("CSV export of every dispute (newest first):")
    for size, (first, whole, peak, rows) in exports.items():
        line = f"  {size:>9,} disputes: first row after {first * 1000:.0f} ms (median of 5)"
        if rows:
            line += f"; all {rows:,} rows in {whole:.1f}s, peak Python memory {peak:.1f} MiB"
        print(line)
    print()
    print(f"A dispute's record, downloaded {RECORD_DOWNLOADS} times unchanged:")
    for size, (drawn, kept) in records.items():
        print(
            f"  {size:>9,} disputes: first (drawn) {drawn:.0f} ms, the rest (kept) {kept:.1f} ms median, "
            f"{drawn / kept:.0f}x quicker"
        )
    print()
    print("Queries for one register page (whole request, including session, user and audit):")
    for size in SIZES:
        print(f"  {size:>9,} disputes: " + ", ".join(f"{n} with {p} per page" for p, n in counts[size].items()))
    flat = {n for per_size in counts.values() for n in per_size.values()}
    print("  the same for every size and page size" if len(flat) == 1 else "  WARNING: the query count changes")


if __name__ == "__main__":
    main()
