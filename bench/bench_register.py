"""How fast is the register with 10,000 and 100,000 disputes? Not a test: it prints figures.

    make bench-register        (runs this under scripts/with_postgres.sh, on a throw-away PostgreSQL)

It fills one partnership with disputes (bulk inserts, only the related rows the register reads), then
times the register through the whole middleware stack with Django's test client, beside a bare view in the
same run: the gap between the two is the register's own cost. It also counts the register's queries with
two page sizes, to show the count grows with neither the page size nor the number of disputes.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings.test")
os.environ.setdefault("DEBUG", "0")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import include, path  # noqa: E402

SIZES = (10_000, 100_000)
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))
WARM_UP = 5
BATCH = 5_000
CASES = [
    ("bare Django view", "/bench/bare/"),
    ("register, newest first", "/register/"),
    ("register, sorted by stage", "/register/?sort=stage"),
    ("register, in discussion and overdue", "/register/?state=in_discussion&overdue=on"),
    # Every bench description contains "referral": the worst case, where nothing narrows the search.
    ("register, search matching every row", "/register/?q=referral"),
    ("register, search for one reference", "/register/?q=bench-2024-004242"),
    ("register, search matching one description", "/register/?q=dispute 4242:"),
    ("register, page 20", "/register/?page=20"),
]


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/bare/", bare), path("", include("escalation.urls"))]


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
    """Disputes `start`..`stop`-1: a subject each, and an open breached deadline on one in ten."""
    from escalation.deadlines.models import Deadline
    from escalation.disputes.models import Dispute, Subject
    from policies.vocabulary import DisputeState

    version = partnership.policy.current_version
    # The bcssp policy's single-stage rules (stage-1 to stage-4): one per stage.
    rules = {rule.first_stage: rule for rule in version.deadline_rules.filter(first_stage=F("last_stage"))}
    states = [DisputeState.RAISED, DisputeState.IN_DISCUSSION, DisputeState.AWAITING_APPROVAL, DisputeState.RESOLVED]
    categories = version.categories
    epoch = datetime.datetime(2024, 1, 1, 9, tzinfo=datetime.UTC)
    for low in range(start, stop, BATCH):
        high = min(low + BATCH, stop)
        subjects = Subject.objects.bulk_create(
            Subject(partnership=partnership, kind="child" if i % 5 else "adult", name=f"Child {i}")
            for i in range(low, high)
        )
        disputes = Dispute.objects.bulk_create(
            Dispute(
                reference=f"BENCH-2024-{i:06d}",
                partnership=partnership,
                policy_version=version,
                subject=subject,
                raising_agency=agencies[i % len(agencies)],
                # An offset of 1 to n-1 agencies along: every pair occurs, never an agency with itself.
                other_agency=agencies[(i + 1 + (i // len(agencies)) % (len(agencies) - 1)) % len(agencies)],
                raised_by=raiser,
                category=categories[i % len(categories)],
                description=f"Bench dispute {i}: the referral was closed with no assessment.",
                raised_at=epoch + datetime.timedelta(minutes=7 * i),
                current_stage=1 + i % 4,
                state=states[i % len(states)],
            )
            for i, subject in zip(range(low, high), subjects, strict=True)
        )
        Deadline.objects.bulk_create(
            Deadline(
                dispute=dispute,
                rule=rules[dispute.current_stage],
                stage_number=dispute.current_stage,
                anchor_at=dispute.raised_at,
                due_at=dispute.raised_at + datetime.timedelta(days=3),
                breached_at=dispute.raised_at + datetime.timedelta(days=3, minutes=5),
            )
            for dispute in disputes
            if dispute.pk % 10 == 0
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


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
    made = 0
    for size in SIZES:
        began = time.perf_counter()
        add_disputes(partnership, agencies, raiser, made, size)
        made = size
        print(f"{size:,} disputes ready in {time.perf_counter() - began:.1f}s", flush=True)
        results[size] = {label: timings(client, url) for label, url in CASES}
        counts[size] = {per_page: query_count(client, f"/register/?per_page={per_page}") for per_page in (25, 100)}
    width = max(len(label) for label, _ in CASES)
    print()
    print(f"Response times in ms over {REQUESTS} requests each (median / 95th percentile), {connection.vendor}:")
    print(f"{'':{width}}  " + "  ".join(f"{f'{size:,} disputes':>20}" for size in SIZES))
    for label, _ in CASES:
        cells = [f"{results[size][label][0]:8.1f} / {results[size][label][1]:8.1f}" for size in SIZES]
        print(f"{label:{width}}  " + "  ".join(f"{cell:>20}" for cell in cells))
    print()
    print("Queries for one register page (whole request, including session, user and audit):")
    for size in SIZES:
        print(f"  {size:>7,} disputes: " + ", ".join(f"{n} with {p} per page" for p, n in counts[size].items()))
    flat = {n for per_size in counts.values() for n in per_size.values()}
    print("  the same for every size and page size" if len(flat) == 1 else "  WARNING: the query count changes")


if __name__ == "__main__":
    main()
