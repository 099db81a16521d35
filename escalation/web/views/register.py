"""The partnership's register of disputes, and its CSV export.

For the business manager and chair only: anyone else is told the page does not exist. Rows still come
through `selectors.disputes_for`, so the register can never show more than the access rule allows.
"""

import csv
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from agencies.models import Partnership, Sector
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.heartbeat import sweep_health
from escalation.disputes.models import Dispute
from escalation.disputes.next_steps import next_deadline_words
from escalation.disputes.register import (
    LONDON,
    CategoryLabels,
    RegisterFilters,
    RegisterPage,
    apply_filters,
    current_stages,
    oversight_partnerships,
    parse_sort,
    partnership_disputes,
    register_chunks,
)
from escalation.web.forms_register import RegisterFilterForm
from policies.calendar import calendar_for
from policies.vocabulary import DisputeState

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
#: Counting stops here. Past it the page says "more than 10,000" and offers narrower filters or the CSV.
COUNT_CAP = 10_000

#: The register's columns in order: (sort key, heading, sort on first click); no key for unsortable ones.
COLUMNS = [
    ("reference", "Reference", "reference"),
    ("raised", "Raised", "-raised"),
    ("", "Agencies", ""),
    ("", "Category", ""),
    ("", "About", ""),
    ("stage", "Stage", "stage"),
    ("state", "State", "state"),
    ("", "Next deadline", ""),
]
STATE_COLOURS = {
    "raised": "blue",
    "in_discussion": "light-blue",
    "awaiting_approval": "purple",
    "resolved": "green",
    "closed": "grey",
    "withdrawn": "grey",
}


@dataclass(frozen=True)
class RegisterRow:
    """One line of the register, as text: formatting 50 rows in Python is several times quicker than in
    the template language, which matters on a page partnership staff open all day."""

    reference: str
    url: str
    raised_iso: str
    raised: str
    agencies: str
    category: str
    about: str
    stage: str
    state: str
    colour: str
    overdue: bool
    next_left: str = ""
    next_due: str = ""
    next_overdue: bool = False


STATE_LABELS = dict(DisputeState.choices)


def register_row(
    dispute: Dispute, categories: CategoryLabels, now: datetime.datetime | None = None, calendar=None
) -> RegisterRow:
    """The row; with `now` and the partnership's calendar, its next deadline in words too."""
    raised = dispute.raised_at.astimezone(LONDON)
    due = getattr(dispute, "next_due", None)
    said = next_deadline_words(due, dispute.next_due_kind, now, calendar) if due and now and calendar else ("", "")
    return RegisterRow(
        reference=dispute.reference,
        url=reverse("dispute", args=[dispute.reference]),
        raised_iso=dispute.raised_at.isoformat(),
        raised=f"{raised.day} {raised:%b %Y}",
        agencies=f"{dispute.raising_agency.name} with {dispute.other_agency.name}",
        category=categories(dispute),
        about="Adult" if dispute.subject_kind == "adult" else "Child",
        stage=f"{dispute.current_stage}: {dispute.stage_name}" if dispute.stage_name else str(dispute.current_stage),
        state=STATE_LABELS.get(dispute.state, dispute.state),
        colour=STATE_COLOURS.get(dispute.state, "grey"),
        overdue=dispute.overdue,
        next_left=said[0],
        next_due=said[1],
        next_overdue=bool(due and now and due < now),
    )


class CappedPaginator(Paginator):
    """A paginator whose count is one bounded query on a lean queryset.

    Django's Paginator counts `object_list` itself: here that would be COUNT(*) over the annotated, ordered
    register query and, on a big partnership, over every matching row (Django ticket #8408). Instead the
    count is the register page's own (`RegisterPage.counted`: the filtered disputes alone, no joins, no
    ordering, no annotations, stopping after the cap + 1 rows), so its cost does not grow with the number of
    disputes. Past the cap the pages shown stop there; the page says so and the CSV export still has every row.
    """

    def __init__(self, object_list: RegisterPage, per_page):
        super().__init__(object_list, per_page)
        self.cap = object_list.cap

    @property
    def counted(self) -> int:
        return self.object_list.counted

    @property
    def capped(self) -> bool:
        return self.counted > self.cap

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.cap)

    def get_page(self, number):
        page = super().get_page(number)
        self.current = page.number
        return page

    @property
    def page_range(self) -> list[int]:
        """Only the numbers the GOV.UK pagination can show: the first two, the last two and two each side
        of the current page. The template then checks a handful rather than every one of hundreds."""
        last, current = self.num_pages, getattr(self, "current", 1)
        near = {1, 2, current - 2, current - 1, current, current + 1, current + 2, last - 1, last}
        return sorted(number for number in near if 1 <= number <= last)


def overseen_partnership(request: HttpRequest) -> tuple[Partnership, list[Partnership]]:
    """The partnership asked for (or the first), and all the user oversees; 404 for anyone overseeing none."""
    overseen = list(oversight_partnerships(request.user).order_by("name"))
    slug = request.GET.get("partnership")
    partnership = next((p for p in overseen if p.slug == slug), None) if slug else next(iter(overseen), None)
    if partnership is None:
        raise Http404("No register here")
    return partnership, overseen


def filter_form(request: HttpRequest, partnership: Partnership, categories: CategoryLabels) -> RegisterFilterForm:
    agencies = partnership.agencies.exclude(sector=Sector.PARTNERSHIP).order_by("name")
    return RegisterFilterForm(
        request.GET, stages=current_stages(partnership), agencies=agencies, categories=categories.choices()
    )


def sort_headers(sort: str) -> list[dict]:
    """Each column; a sortable one has its link's sort value and aria-sort."""
    headers = []
    for key, label, first in COLUMNS:
        if not key:
            headers.append({"label": label})
            continue
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        headers.append(
            {
                "key": key,
                "label": label,
                "aria_sort": ("descending" if descending else "ascending") if current else "none",
                "next": (key if descending else f"-{key}") if current else first,
            }
        )
    return headers


def page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


@login_required
@never_cache
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    partnership, overseen = overseen_partnership(request)
    categories = CategoryLabels(partnership)
    form = filter_form(request, partnership, categories)
    filters = form.filters()
    sort = parse_sort(request.GET.get("sort"))
    rows = RegisterPage(request.user, partnership, filters, sort, cap=COUNT_CAP)
    paginator = CappedPaginator(rows, page_size(request))
    page = paginator.get_page(request.GET.get("page"))
    now, calendar = timezone.now(), calendar_for(partnership)
    audit.record(
        request.user,
        AuditEventType.REGISTER_VIEWED,
        partnership=partnership,
        after={"filters": filters.for_audit(), "sort": sort, "page": page.number},
    )
    return render(
        request,
        "escalation/register.html",
        {
            "partnership": partnership,
            "overseen": overseen,
            "form": form,
            "filtered": filters != RegisterFilters(),
            "page_obj": page,
            "rows": [register_row(dispute, categories, now, calendar) for dispute in page.object_list],
            "headers": sort_headers(sort),
            "sort": sort,
            "deadlines_checked": sweep_health(now=timezone.now(), interval_seconds=settings.DEADLINE_SWEEP_SECONDS),
        },
    )


# CSV export --------------------------------------------------------------------------------------------------

CSV_HEADER = [
    "Reference",
    "Raised (UK time)",
    "Raising agency",
    "Raising agency sector",
    "Other agency",
    "Other agency sector",
    "Category",
    "About",
    "Stage",
    "Stage name",
    "State",
    "Overdue",
    "Immediate harm",
    "Closed (UK time)",
    "What the disagreement is about",
]
#: A spreadsheet runs a cell beginning with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text, with a leading quote if a spreadsheet would otherwise run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object that hands back what is written, for csv.writer in a streamed response."""

    def write(self, value: str) -> str:
        return value


def _when(moment) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") if moment else ""


def csv_row(dispute: Dispute, categories: CategoryLabels) -> list[str]:
    return [
        safe_cell(value)
        for value in (
            dispute.reference,
            _when(dispute.raised_at),
            dispute.raising_agency.name,
            dispute.raising_agency.get_sector_display(),
            dispute.other_agency.name,
            dispute.other_agency.get_sector_display(),
            categories(dispute),
            "Adult" if dispute.subject_kind == "adult" else "Child",
            dispute.current_stage,
            dispute.stage_name or "",
            dispute.get_state_display(),
            "Yes" if dispute.overdue else "No",
            "Yes" if dispute.immediate_harm else "No",
            _when(dispute.closed_at),
            dispute.description,
        )
    ]


#: Disputes read per chunk of the CSV (two queries each); the first chunk is small, so its rows leave at once.
CSV_CHUNK = 1000
CSV_FIRST_CHUNK = 100


def csv_lines(chunks: Iterable[list[Dispute]], categories: CategoryLabels) -> Iterator[str]:
    """The CSV's lines, a chunk of rows at a time (one string per chunk, so the server sends fewer, larger pieces)."""
    writer = csv.writer(_Echo())
    # The byte-order mark tells Excel the file is UTF-8, so names with accents and curly quotes survive.
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for chunk in chunks:
        yield "".join(writer.writerow(csv_row(dispute, categories)) for dispute in chunk)


@login_required
@never_cache
@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    partnership, _ = overseen_partnership(request)
    categories = CategoryLabels(partnership)
    filters = filter_form(request, partnership, categories).filters()
    sort = parse_sort(request.GET.get("sort"))
    rows = apply_filters(partnership_disputes(request.user, partnership), filters).count()
    audit.record(
        request.user,
        AuditEventType.REGISTER_EXPORTED,
        partnership=partnership,
        after={"filters": filters.for_audit(), "sort": sort, "rows": rows},
    )
    chunks = register_chunks(request.user, partnership, filters, sort, size=CSV_CHUNK, first=CSV_FIRST_CHUNK)
    response = StreamingHttpResponse(csv_lines(chunks, categories), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().astimezone(LONDON).strftime("%Y-%m-%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{partnership.slug}-register-{stamp}.csv"'
    return response
