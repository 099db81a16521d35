"""The home page: what needs this person now, whatever roles they hold."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from escalation.deadlines.overdue import Calendars
from escalation.disputes.worklists import needs_attention


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    calendars = Calendars()
    attention = needs_attention(request.user, now, calendars)
    return render(request, "escalation/home.html", {"attention": attention, "now": now, "calendars": calendars})
