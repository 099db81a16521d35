"""Escalations waiting for this person's decision. The decision itself is posted to the dispute's decide view."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.disputes.worklists import approvals_for
from escalation.web.dispute_page import proposal


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    waiting = [(dispute, proposal(dispute)) for dispute in approvals_for(request.user)]
    # Each listed dispute shows who asked and why: a read of that dispute, on its "who has looked" page.
    audit.record_each(request.user, AuditEventType.DISPUTE_LISTED_FOR_APPROVAL, [dispute for dispute, _ in waiting])
    return render(request, "escalation/approvals.html", {"waiting": waiting, "now": timezone.now()})
