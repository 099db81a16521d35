"""The partnership's register of disputes and its themes: plain reads, no changes.

Every query starts from `selectors.disputes_for(user)`, the one access rule, and is then narrowed to one
partnership the user oversees (business manager or chair). Nothing here writes; the views audit.
"""

import datetime
import re
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, TruncMonth

from agencies.models import Agency, Partnership
from escalation.deadlines.models import Deadline, OverdueDispute
from escalation.disputes.models import Dispute, Outcome, StageVisit
from escalation.disputes.selectors import OVERSIGHT_ROLES, partnership_disputes_for
from policies.calendar import WorkingCalendar, calendar_for
from policies.models import PolicyVersion, Stage, category_labels
from policies.vocabulary import PublicationStatus

LONDON = ZoneInfo("Europe/London")

#: Sort keys offered on the register, each with its columns; ties are broken by id so pages never overlap.
SORTS: dict[str, tuple[str, ...]] = {
    "reference": ("reference",),
    "raised": ("raised_at",),
    "stage": ("current_stage", "raised_at"),
    "state": ("state", "raised_at"),
}
DEFAULT_SORT = "-raised"


@dataclass(frozen=True)
class RegisterFilters:
    """What the register is narrowed to. Empty values mean "any"."""

    text: str = ""
    stage: int | None = None
    state: str = ""
    agency_id: int | None = None
    sector: str = ""
    category: str = ""
    subject_kind: str = ""
    overdue: bool = False
    raised_from: datetime.date | None = None
    raised_to: datetime.date | None = None

    def for_audit(self) -> dict:
        """The filters in use, JSON-safe, for the audit trail."""
        used = {key: value for key, value in asdict(self).items() if value not in ("", None, False)}
        return {key: value.isoformat() if isinstance(value, datetime.date) else value for key, value in used.items()}


def oversight_partnerships(user) -> QuerySet[Partnership]:
    """The partnerships whose register this user may read: where they are business manager or chair."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Partnership.objects.none()
    return Partnership.objects.filter(
        agencies__memberships__user=user, agencies__memberships__role__in=OVERSIGHT_ROLES
    ).distinct()


def london_day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=LONDON)


def partnership_disputes(user, partnership: Partnership) -> QuerySet[Dispute]:
    """The partnership's disputes as this user is allowed to see them."""
    return partnership_disputes_for(user, partnership.pk)


#: A whole dispute reference, as `services._next_reference` makes them: PREFIX-YEAR-NUMBER.
WHOLE_REFERENCE = re.compile(r"[A-Z0-9]+-\d{4}-\d{4,}")


def apply_filters(disputes: QuerySet[Dispute], filters: RegisterFilters) -> QuerySet[Dispute]:
    if filters.text:
        wanted = filters.text.strip().upper()
        if WHOLE_REFERENCE.fullmatch(wanted):
            # Someone looking a dispute up by its reference: the unique index finds it at once, where a
            # substring search reads every description of the partnership.
            disputes = disputes.filter(reference=wanted)
        else:
            disputes = disputes.filter(Q(reference__icontains=filters.text) | Q(description__icontains=filters.text))
    if filters.stage is not None:
        disputes = disputes.filter(current_stage=filters.stage)
    if filters.state:
        disputes = disputes.filter(state=filters.state)
    if filters.agency_id is not None:
        disputes = disputes.filter(Q(raising_agency_id=filters.agency_id) | Q(other_agency_id=filters.agency_id))
    if filters.sector:
        disputes = disputes.filter(Q(raising_agency__sector=filters.sector) | Q(other_agency__sector=filters.sector))
    if filters.category:
        disputes = disputes.filter(category=filters.category)
    if filters.subject_kind:
        disputes = disputes.filter(subject__kind=filters.subject_kind)
    if filters.overdue:
        disputes = disputes.filter(is_overdue())
    return filter_raised_between(disputes, filters.raised_from, filters.raised_to)


def is_overdue() -> Exists:
    """Whether a dispute is overdue, as the deadline table's triggers keep it (`OverdueDispute`). Matched on the
    partnership too, so PostgreSQL reads just the partnership's overdue disputes from their index."""
    return Exists(OverdueDispute.objects.filter(dispute=OuterRef("pk"), partnership=OuterRef("partnership")))


def filter_raised_between(
    disputes: QuerySet[Dispute], raised_from: datetime.date | None, raised_to: datetime.date | None
) -> QuerySet[Dispute]:
    """Raised on or after the first London day and on or before the last (both inclusive)."""
    if raised_from is not None:
        disputes = disputes.filter(raised_at__gte=london_day_start(raised_from))
    if raised_to is not None:
        disputes = disputes.filter(raised_at__lt=london_day_start(raised_to + datetime.timedelta(days=1)))
    return disputes


def parse_sort(value: str | None) -> str:
    """A known sort key, optionally with "-" for descending; anything else gives the default."""
    value = (value or "").strip()
    return value if value.lstrip("-") in SORTS else DEFAULT_SORT


def sort_columns(sort: str) -> list[str]:
    """The columns a sort key orders by, ending in id (so every row has its own place)."""
    return [*SORTS[sort.lstrip("-")], "id"]


def ordering(sort: str) -> list[str]:
    descending = sort.startswith("-")
    return [f"-{column}" if descending else column for column in sort_columns(sort)]


def ordering_after_filtering(sort: str) -> list:
    """The same order, in terms no index is sorted by, so the database cannot choose to walk a sort index.

    For a few known disputes, walking a sort index and checking each row against the list could read the whole
    partnership to fill a page, which PostgreSQL may choose when it misjudges how many there are; ordered by
    these it fetches the few and sorts only them. COALESCE(x, x) is x itself, so the order, collation included,
    is exactly that of `ordering`.
    """
    descending = sort.startswith("-")
    return [
        Coalesce(F(column), F(column)).desc() if descending else Coalesce(F(column), F(column)).asc()
        for column in sort_columns(sort)
    ]


def with_row_details(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """Everything a register row shows, in the same query.

    The stage name comes from the dispute's own policy version (a subquery), so disputes raised under an
    earlier version show the stage they are really at.
    """
    stage_name = Stage.objects.filter(version=OuterRef("policy_version_id"), number=OuterRef("current_stage"))
    # The next running deadline, for the next-deadline column (said in words by escalation.disputes.next_steps).
    next_deadline = Deadline.objects.filter(
        dispute=OuterRef("pk"), closed_at__isnull=True, paused_at__isnull=True, due_at__isnull=False
    ).order_by("due_at")
    return (
        disputes.select_related("raising_agency", "other_agency")
        .annotate(
            subject_kind=F("subject__kind"),
            stage_name=Subquery(stage_name.values("name")[:1]),
            next_due=Subquery(next_deadline.values("due_at")[:1]),
            next_due_kind=Subquery(next_deadline.values("rule__kind")[:1]),
            overdue=is_overdue(),
        )
        .defer("attempts_so_far", "escalation_reason")
    )


def rows_in_order(ids: list[int]) -> list[Dispute]:
    """The register rows of these disputes, with their details, in the order of `ids` (one query)."""
    if not ids:
        return []
    rows = {row.pk: row for row in with_row_details(Dispute.objects.filter(pk__in=ids))}
    return [rows[pk] for pk in ids]


class RegisterPage:
    """The register's rows for a paginator: a slice is two queries, whatever the page size or table size.

    First the page's ids, from the filters and sort key alone (no joins, so PostgreSQL can walk an index
    and stop, or sort only narrow rows); then the full rows for just those ids. Done as one query, a
    filter the planner misjudges (a text search) can make it join every matching row before sorting.

    The plan for the ids is chosen by the capped count (`counted`, which the paginator asks first). The count
    reads the matching ids, up to one past the cap. Past the cap the matches are plentiful, so walking the sort's
    index stops after a page's worth. Within it they are few and the count has just found every one, so the page
    is those ids, sorted (`ordering_after_filtering`): a rare word is searched for once, and never by walking
    every dispute for the one that matches.
    """

    ordered = True

    def __init__(self, user, partnership: Partnership, filters: RegisterFilters, sort: str, *, cap: int):
        self.matching = apply_filters(partnership_disputes(user, partnership), filters)
        self.sort = parse_sort(sort)
        self.cap = cap

    @cached_property
    def matched(self) -> list[int]:
        """The ids of the matching disputes, no further than one past the cap: one bounded query, never a
        COUNT(*) of the whole partnership."""
        return ids_of(self.matching, self.cap + 1)

    @property
    def counted(self) -> int:
        return len(self.matched)

    def __getitem__(self, page: slice) -> list[Dispute]:
        if self.counted > self.cap:
            ids = self.matching.order_by(*ordering(self.sort))
        else:
            ids = Dispute.objects.filter(among(self.matched)).order_by(*ordering_after_filtering(self.sort))
        return rows_in_order(list(ids.values_list("pk", flat=True)[page]))


def ids_of(disputes: QuerySet[Dispute], limit: int) -> list[int]:
    """Up to `limit` ids of `disputes`, in no order. On PostgreSQL they come back as one array in one row: ten
    thousand ids cost the driver one value to read, not ten thousand rows."""
    chosen = disputes.order_by().values("pk")[:limit]
    if connection.vendor != "postgresql":
        return list(chosen.values_list("pk", flat=True))
    sql, params = chosen.query.sql_with_params()
    with connection.cursor() as cursor:
        # The SELECT is Django's, every value in it a parameter.
        cursor.execute(f"SELECT COALESCE(ARRAY_AGG(matched.id), '{{}}') FROM ({sql}) AS matched(id)", params)  # noqa: S608
        return cursor.fetchone()[0]


def among(ids: list[int]) -> Q | RawSQL:
    """The disputes whose id is in `ids`. On PostgreSQL one array value (`= ANY('{1,2,...}'::bigint[])`): one
    constant for the database to read, where an IN list (or the driver's ARRAY[1, 2, ...]) is one per id, and ten
    thousand of those took longer to parse and plan than the query took to run."""
    if connection.vendor != "postgresql" or not ids:
        return Q(pk__in=ids)
    column = f'"{Dispute._meta.db_table}"."id"'
    array = "{" + ",".join(str(int(pk)) for pk in ids) + "}"
    return RawSQL(f"{column} = ANY(%s::bigint[])", (array,), output_field=BooleanField())  # noqa: S611 - one bound value


def register_chunks(
    user, partnership: Partnership, filters: RegisterFilters, sort: str, *, size: int, first: int | None = None
) -> Iterator[list[Dispute]]:
    """Every matching row in the register's order, `size` at a time (`first` in the first chunk), for the CSV.

    Each chunk is the next ids after the last one sent (keyset pagination: a row comparison on the sort's columns,
    which its index answers by starting where the last chunk stopped), then their rows with details: two queries
    a chunk, and the first row is ready as soon as the first (small) chunk is, however many disputes match.
    """
    sort = parse_sort(sort)
    columns = sort_columns(sort)
    descending = sort.startswith("-")
    matching = apply_filters(partnership_disputes(user, partnership), filters).order_by(*ordering(sort))
    last: tuple | None = None
    wanted = first or size
    while True:
        chunk = matching
        if last is not None:
            chunk = chunk.filter(after_row(columns, last, descending))
        keys = list(chunk.values_list(*columns)[:wanted])
        if keys:
            yield rows_in_order([key[-1] for key in keys])
        if len(keys) < wanted:
            return
        last, wanted = keys[-1], size


def after_row(columns: list[str], values: tuple, descending: bool) -> RawSQL:
    """`(columns) > (values)` (or `<` going down): the rows after one row in that order, as an index reads them.

    Both PostgreSQL and SQLite compare row values; column names come from SORTS, never from the request.
    """
    fields = [Dispute._meta.get_field(column) for column in columns]
    names = ", ".join(f'"{Dispute._meta.db_table}"."{field.column}"' for field in fields)
    params = [field.get_db_prep_value(value, connection) for field, value in zip(fields, values, strict=True)]
    marks = ", ".join(["%s"] * len(params))
    return RawSQL(f"({names}) {'<' if descending else '>'} ({marks})", params, output_field=BooleanField())  # noqa: S611 - names from SORTS, values bound


class CategoryLabels:
    """Each dispute's category in the words of the policy version it was raised under.

    The partnership's policy versions are read at once (one query); a version of another policy is read the
    first time one of its disputes is asked about, then kept. A page, an export or the themes read each
    version once however many disputes they show.
    """

    def __init__(self, partnership: Partnership) -> None:
        versions = PolicyVersion.objects.filter(policy_id=partnership.policy_id).order_by("-number")
        self._by_version = {pk: category_labels(stored) for pk, stored in versions.values_list("pk", "categories")}

    def label(self, version_id: int, key: str) -> str:
        labels = self._by_version.get(version_id)
        if labels is None:
            stored = PolicyVersion.objects.filter(pk=version_id).values_list("categories", flat=True).first()
            labels = self._by_version[version_id] = category_labels(stored or [])
        return labels.get(key, key)

    def __call__(self, dispute: Dispute) -> str:
        return self.label(dispute.policy_version_id, dispute.category)

    def choices(self) -> list[tuple[str, str]]:
        """Every category the partnership's policy has had, each labelled as its newest version labels it."""
        choices: dict[str, str] = {}
        for labels in self._by_version.values():
            for key, label in labels.items():
                choices.setdefault(key, label)
        return list(choices.items())


def current_stages(partnership: Partnership) -> QuerySet[Stage]:
    """The stages of the partnership's current (published) policy version (one query), for filters and labels."""
    latest = (
        PolicyVersion.objects.filter(policy_id=partnership.policy_id, status=PublicationStatus.PUBLISHED)
        .order_by("-number")
        .values("pk")[:1]
    )
    return Stage.objects.filter(version_id=Subquery(latest)).order_by("number")


# Themes ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: int | float


@dataclass(frozen=True)
class AgencyPair:
    raising: str
    other: str
    disputes: int

    @property
    def label(self) -> str:
        return f"{self.raising} to {self.other}"


@dataclass(frozen=True)
class ResolutionTimes:
    resolved: int
    median: float | None
    buckets: list[Figure]


#: Upper bounds (inclusive) of the time-to-resolution groups, in working days; the last group is open-ended.
RESOLUTION_BUCKETS = (2, 5, 10, 20, 40)


def themed_disputes(
    user, partnership: Partnership, raised_from: datetime.date | None, raised_to: datetime.date | None
) -> QuerySet[Dispute]:
    return filter_raised_between(partnership_disputes(user, partnership), raised_from, raised_to)


#: One row per (policy version, category, raising agency, other agency) and how many disputes share it.
KindCount = tuple[int, str, int, int, int]


def counted_by_kind(disputes: QuerySet[Dispute]) -> list[KindCount]:
    """How many disputes share each policy version, category and pair of agencies: one pass over the disputes, from
    which the total, the categories and the agency pairs are all summed (each read them all again before)."""
    grouped = disputes.order_by().values_list("policy_version_id", "category", "raising_agency_id", "other_agency_id")
    return list(grouped.annotate(n=Count("id")))


def by_category(counts: list[KindCount], labels: CategoryLabels) -> list[Figure]:
    """Disputes by what they are about, in the words of each one's policy version (the same words count once)."""
    totals: dict[str, int] = {}
    for version_id, key, _, _, n in counts:
        label = labels.label(version_id, key)
        totals[label] = totals.get(label, 0) + n
    return [Figure(label, n) for label, n in sorted(totals.items(), key=lambda item: (-item[1], item[0]))]


def by_agency_pair(counts: list[KindCount]) -> list[AgencyPair]:
    """Disputes by the agency that raised them and the agency they were raised with, by name, commonest first."""
    wanted = {agency for _, _, raising, other, _ in counts for agency in (raising, other)}
    names = dict(Agency.objects.filter(pk__in=wanted).values_list("pk", "name"))
    totals: dict[tuple[str, str], int] = {}
    for _, _, raising, other, n in counts:
        pair = (names[raising], names[other])
        totals[pair] = totals.get(pair, 0) + n
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [AgencyPair(raising, other, n) for (raising, other), n in ranked]


def by_stage_reached(disputes: QuerySet[Dispute], stage_names: dict[int, str]) -> list[Figure]:
    """How far disputes went: the highest stage each one ever entered."""
    highest = (
        StageVisit.objects.filter(dispute=OuterRef("pk"))
        .order_by()
        .values("dispute")
        .annotate(top=Max("stage_number"))
        .values("top")
    )
    rows = (
        disputes.order_by()
        .annotate(reached=Subquery(highest, output_field=IntegerField()))
        .values_list("reached")
        .annotate(n=Count("id"))
    )
    counts = {reached: n for reached, n in rows if reached is not None}
    return [Figure(stage_label(number, stage_names), counts[number]) for number in sorted(counts)]


def stage_label(number: int, stage_names: dict[int, str]) -> str:
    name = stage_names.get(number)
    return f"Stage {number}: {name}" if name else f"Stage {number}"


def working_day_counter(calendar: WorkingCalendar, first: datetime.date, last: datetime.date) -> dict:
    """Working days counted from `first` to each day up to `last`, so any span is one subtraction.

    Same meaning as `WorkingCalendar.working_days_between`, whose `is_working_day` decides each day; this
    saves walking the calendar again for each of thousands of disputes.
    """
    counts, running, day = {first: 0}, 0, first
    while day < last:
        day += datetime.timedelta(days=1)
        running += calendar.is_working_day(day)
        counts[day] = running
    return counts


def resolution_times(disputes: QuerySet[Dispute], calendar: WorkingCalendar) -> ResolutionTimes:
    """Working days from raising to the resolution being recorded, for disputes that were resolved."""
    pairs = list(
        Outcome.objects.filter(dispute__in=disputes.order_by().values("pk")).values_list(
            "dispute__raised_at", "recorded_at"
        )
    )
    spans = [(raised.astimezone(LONDON).date(), resolved.astimezone(LONDON).date()) for raised, resolved in pairs]
    days: list[int] = []
    if spans:
        counter = working_day_counter(calendar, min(s for s, _ in spans), max(e for _, e in spans))
        days = [max(counter[end] - counter[start], 0) if end >= start else 0 for start, end in spans]
    return ResolutionTimes(
        resolved=len(days),
        median=statistics.median(days) if days else None,
        buckets=bucket_working_days(days) if days else [],
    )


def bucket_working_days(days: Iterable[int]) -> list[Figure]:
    counts = [0] * (len(RESOLUTION_BUCKETS) + 1)
    for value in days:
        index = next((i for i, bound in enumerate(RESOLUTION_BUCKETS) if value <= bound), len(RESOLUTION_BUCKETS))
        counts[index] += 1
    labels, low = [], 0
    for bound in RESOLUTION_BUCKETS:
        labels.append(f"{low} to {bound} working days")
        low = bound + 1
    labels.append(f"More than {RESOLUTION_BUCKETS[-1]} working days")
    return [Figure(label, n) for label, n in zip(labels, counts, strict=True)]


def breaches_by_month(disputes: QuerySet[Dispute]) -> list[Figure]:
    """Deadline breaches of these disputes by the London month they happened, with empty months shown."""
    rows = (
        Deadline.objects.filter(dispute__in=disputes.order_by().values("pk"), breached_at__isnull=False)
        .annotate(month=TruncMonth("breached_at", tzinfo=LONDON))
        .order_by()
        .values_list("month")
        .annotate(n=Count("id"))
    )
    counts = {_month_start(month): n for month, n in rows}
    if not counts:
        return []
    months, month, last = [], min(counts), max(counts)
    while month <= last:
        months.append(Figure(f"{month:%B %Y}", counts.get(month, 0)))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _month_start(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        value = value.astimezone(LONDON).date() if value.tzinfo else value.date()
    return value.replace(day=1)


@dataclass(frozen=True)
class Themes:
    total: int
    categories: list[Figure]
    agency_pairs: list[AgencyPair]
    stages_reached: list[Figure]
    resolution: ResolutionTimes
    breaches: list[Figure]


def theme_figures(
    user, partnership: Partnership, raised_from: datetime.date | None = None, raised_to: datetime.date | None = None
) -> Themes:
    disputes = themed_disputes(user, partnership, raised_from, raised_to)
    stage_names = dict(current_stages(partnership).values_list("number", "name"))
    counts = counted_by_kind(disputes)
    return Themes(
        total=sum(n for *_, n in counts),
        categories=by_category(counts, CategoryLabels(partnership)),
        agency_pairs=by_agency_pair(counts),
        stages_reached=by_stage_reached(disputes, stage_names),
        resolution=resolution_times(disputes, calendar_for(partnership)),
        breaches=breaches_by_month(disputes),
    )
