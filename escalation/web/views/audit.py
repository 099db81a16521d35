"""Who looked at a dispute: for the partnership's business manager and chair only."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType, label_for
from escalation.audit.viewers import viewers_of
from escalation.disputes.permissions import oversight_roles
from escalation.disputes.selectors import get_dispute_for

PER_PAGE = 50


@login_required
def dispute_audit(request: HttpRequest, reference: str) -> HttpResponse:
    dispute = get_dispute_for(request.user, reference)
    if not oversight_roles(request.user, dispute):
        # The parties may see the dispute but not who else read it; say no more than a 404 does.
        raise Http404("No dispute found")
    audit.record(request.user, AuditEventType.DISPUTE_AUDIT_VIEWED, dispute=dispute, obj=dispute)
    page = Paginator(viewers_of(dispute), PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"event": event, "label": label_for(event.action)} for event in page]
    return render(request, "escalation/dispute_audit.html", {"dispute": dispute, "page_obj": page, "rows": rows})
