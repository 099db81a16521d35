"""A person's notifications: only their own; opening one marks it read and goes to its dispute."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from escalation.disputes.selectors import can_see

PAGE_SIZE = 25
#: Where on the dispute's page a notification leads: a written record to its records, a deadline to its deadlines.
SECTIONS = {
    "record_required": "#records",
    "deadline_near": "#deadlines",
    "deadline_breached": "#deadlines",
    "no_response": "#deadlines",
    "deadline_changed": "#deadlines",
}


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    mine = request.user.notifications.all()
    if request.method == "POST":
        marked = mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        if marked:
            messages.success(request, f"{marked} notification{'' if marked == 1 else 's'} marked as read.")
        return redirect("notifications")
    page = Paginator(mine.select_related("dispute").order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    unread = mine.filter(read_at__isnull=True).count()
    return render(request, "escalation/notifications.html", {"page_obj": page, "unread": unread})


@login_required
@require_GET
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = get_object_or_404(request.user.notifications.select_related("dispute"), pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    if not can_see(request.user, notification.dispute):
        messages.error(request, "You can no longer see the dispute this notification is about.")
        return redirect("notifications")
    page = reverse("dispute", kwargs={"reference": notification.dispute.reference})
    return redirect(page + SECTIONS.get(notification.event, ""))
