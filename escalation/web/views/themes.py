"""Themes: what the partnership's disputes are about and how they go, as charts with their figures."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.disputes.register import theme_figures
from escalation.web.charts import Bar, bar_chart
from escalation.web.forms_register import DateRangeForm
from escalation.web.views.register import overseen_partnership

#: The agency-pair chart shows the commonest pairs only; its table lists every pair.
TOP_PAIRS = 10


@login_required
@never_cache
@require_GET
def themes(request: HttpRequest) -> HttpResponse:
    partnership, overseen = overseen_partnership(request)
    form = DateRangeForm(request.GET)
    raised_from, raised_to = form.date_range()
    figures = theme_figures(request.user, partnership, raised_from, raised_to)
    audit.record(
        request.user,
        AuditEventType.THEMES_VIEWED,
        partnership=partnership,
        after={
            "raised_from": raised_from and raised_from.isoformat(),
            "raised_to": raised_to and raised_to.isoformat(),
        },
    )
    resolution = figures.resolution
    charts = {
        "categories": bar_chart(
            "chart-categories", "Disputes by category", [Bar(f.label, f.value) for f in figures.categories]
        ),
        "pairs": bar_chart(
            "chart-pairs",
            f"Disputes by agency pair (the {TOP_PAIRS} commonest)"
            if len(figures.agency_pairs) > TOP_PAIRS
            else "Disputes by agency pair",
            [Bar(pair.label, pair.disputes) for pair in figures.agency_pairs[:TOP_PAIRS]],
        ),
        "stages": bar_chart(
            "chart-stages",
            "Disputes by the highest stage reached",
            [Bar(f.label, f.value) for f in figures.stages_reached],
        ),
        "resolution": bar_chart(
            "chart-resolution",
            "Resolved disputes by working days taken",
            [Bar(f.label, f.value) for f in resolution.buckets],
            unit="resolved disputes",
        ),
        "breaches": bar_chart(
            "chart-breaches",
            "Deadline breaches by month",
            [Bar(f.label, f.value) for f in figures.breaches],
            "breaches",
        ),
    }
    return render(
        request,
        "escalation/themes.html",
        {
            "partnership": partnership,
            "overseen": overseen,
            "form": form,
            "figures": figures,
            "charts": charts,
            "filtered": bool(raised_from or raised_to),
            "raised_from": raised_from,
            "raised_to": raised_to,
            "crumbs": [("Home", reverse("home")), ("Register", reverse("register"))],
        },
    )
