"""Bulk import of agencies and people (People > Import from a CSV file): upload, check what it would do, import.

Thin views: `escalation.accounts.people_import` reads the file, plans and applies; a partnership admin imports
into the partnerships they administer only, and anyone else is told the pages do not exist.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import Role, Sector
from escalation.accounts import people_import, roles
from escalation.web.forms_people_import import ApplyForm, UploadForm, encode_file
from escalation.web.views.register import safe_cell
from policies.runtime import ActionRefused

#: The template's example rows: one person with two roles, one whose role waits for the chair, one agency alone.
TEMPLATE_ROWS = [
    ["Riverside Primary School", "education", "sam.patel@riverside.example", "Sam", "Patel", "dsl", "Deputy Head"],
    ["Riverside Primary School", "education", "sam.patel@riverside.example", "Sam", "Patel", "manager", ""],
    ["Children's Social Care", "childrens_social_care", "jo.brown@council.example", "Jo", "Brown", "practitioner", ""],
    ["Hillside Nursery", "early_years", "", "", "", "", ""],
]


def _partnerships(request: HttpRequest) -> QuerySet:
    partnerships = roles.administered_partnerships(request.user).order_by("name")
    if not partnerships.exists():
        raise Http404("Not found")
    return partnerships


def _page(request: HttpRequest, form: UploadForm, problem: str = "") -> HttpResponse:
    context = {
        "form": form,
        "problem": problem,
        "columns": people_import.COLUMNS,
        "sectors": Sector.choices,
        "roles": [(value, label) for value, label in Role.choices if value not in people_import.NOT_BY_IMPORT],
        "max_rows": people_import.MAX_ROWS,
        "max_kb": people_import.MAX_FILE_BYTES // 1024,
        "people_section": True,
    }
    return render(request, "people/import.html", context, status=400 if problem else 200)


def _check_page(request: HttpRequest, plan, data: bytes, *, changed: str = "") -> HttpResponse:
    apply_form = ApplyForm(
        initial={"partnership": plan.partnership.pk, "data": encode_file(data), "checked": plan.digest},
        partnerships=_partnerships(request),
    )
    context = {
        "plan": plan,
        "apply_form": apply_form,
        "upload_form": UploadForm(initial={"partnership": plan.partnership.pk}, partnerships=_partnerships(request)),
        "changed": changed,
        "people_section": True,
    }
    return render(request, "people/import_check.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    """GET: the upload page and the guide to the columns. POST: the dry run of the uploaded file."""
    partnerships = _partnerships(request)
    if request.method == "GET":
        return _page(request, UploadForm(partnerships=partnerships))
    form = UploadForm(request.POST, request.FILES, partnerships=partnerships)
    if not form.is_valid():
        return _page(request, form)
    data = form.cleaned_data["file"]
    try:
        plan = people_import.plan_import(partnership=form.cleaned_data["partnership"], data=data, by=request.user)
    except (people_import.FileRefused, ActionRefused) as refused:
        form.add_error("file", str(refused))
        return _page(request, form)
    return _check_page(request, plan, data)


@never_cache
@login_required
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    partnerships = _partnerships(request)
    form = ApplyForm(request.POST, partnerships=partnerships)
    if not form.is_valid():
        upload_form = UploadForm(partnerships=partnerships)
        return _page(request, upload_form, problem="The checked file was lost on the way: upload it again.")
    data, partnership = form.cleaned_data["data"], form.cleaned_data["partnership"]
    try:
        result = people_import.apply_import(
            partnership=partnership,
            data=data,
            by=request.user,
            checked=form.cleaned_data["checked"],
            now=timezone.now(),
        )
    except people_import.PlanChanged as changed:
        return _check_page(request, changed.plan, data, changed=str(changed))
    except (people_import.FileRefused, ActionRefused) as refused:
        return _page(request, UploadForm(partnerships=partnerships), problem=str(refused))
    messages.success(request, _said(result))
    return redirect("people")


def _said(result: people_import.ImportResult) -> str:
    """The import's counts in a sentence, leaving out what did not happen."""
    parts = [
        (result.agencies_created, "agency added", "agencies added"),
        (result.people_invited, "person invited", "people invited"),
        (result.roles_granted, "role given", "roles given"),
        (result.roles_requested, "role waiting for the chair's approval", "roles waiting for the chair's approval"),
        (result.unchanged, "row changed nothing", "rows changed nothing"),
    ]
    said = [f"{count:,} {one if count == 1 else many}" for count, one, many in parts if count]
    return "Import finished: " + (", ".join(said) if said else "nothing to change") + "."


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def template_csv(request: HttpRequest) -> HttpResponse:
    """The template: the columns and a few example rows, every cell made safe for a spreadsheet."""
    _partnerships(request)
    writer = csv.writer(_Echo())
    lines = [writer.writerow([safe_cell(cell) for cell in row]) for row in [people_import.COLUMNS, *TEMPLATE_ROWS]]
    response = HttpResponse("\ufeff" + "".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people-import-template.csv"'
    return response
