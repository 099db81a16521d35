"""Template filters for disputes: London times and time left (policies.time_words does the work)."""

import datetime

from django import template

from escalation.deadlines import overdue
from escalation.disputes import worklists as inbox
from escalation.web import display, dispute_page

register = template.Library()


@register.filter
def london_moment(value: datetime.datetime | None) -> str:
    return display.london_moment(value)


@register.filter
def london_datetime(value: datetime.datetime | None) -> str:
    return display.london_datetime(value)


@register.filter
def long_date(value: datetime.date | None) -> str:
    return display.long_date(value)


@register.simple_tag(takes_context=True)
def deadline_left(context, deadline, now: datetime.datetime) -> str:
    """'3 working days left', 'overdue by 5 hours': in the unit the deadline's rule counts in. With `calendars`
    (an `overdue.Calendars`) in the page's context, each partnership's calendar is read once per page."""
    return overdue.time_left(deadline, now, context.get("calendars"))


@register.simple_tag(takes_context=True)
def navigation_for(context) -> dict[str, bool]:
    """Which sections of the service this person uses, for the navigation bar."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return inbox.navigation_flags(user)


@register.filter
def stage_label(dispute) -> str:
    """'Stage 2: Manager to manager', from the stages prefetched with the dispute."""
    stage = inbox.stage_of(dispute)
    return f"Stage {stage.number}: {stage.name}" if stage else f"Stage {dispute.current_stage}"


@register.filter
def deadline_status(deadline, now: datetime.datetime) -> str:
    return dispute_page.deadline_status(deadline, now)


@register.filter
def ago(moment: datetime.datetime | None, now: datetime.datetime) -> str:
    """'3 days ago'."""
    return f"{display.duration(now - moment)} ago" if moment else ""


@register.filter
def nhs_number(value: str) -> str:
    return display.nhs_number(value)
