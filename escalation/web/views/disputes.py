"""A dispute's page and the actions on it.

Every request fetches the dispute through `selectors.get_dispute_for` (a 404 for anyone outside it,
on GET and POST alike). Action views are thin: the form checks what was typed, the service decides
whether the action is allowed and does it; a refusal is shown on the form, with what was typed.
"""

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from escalation.access.services import accesses_of
from escalation.audit import trail as audit
from escalation.audit.events import AuditEventType
from escalation.deadlines.overdue import Calendars
from escalation.disputes import deadline_changes, services
from escalation.disputes.models import Dispute
from escalation.disputes.next_steps import what_happens_next
from escalation.disputes.permissions import ActionRefused, allowed_actions, oversight_roles, require
from escalation.disputes.selectors import get_dispute_for
from escalation.web import dispute_page, forms
from escalation.web.display import london_moment
from policies.calendar import LONDON


@login_required
@require_GET
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    dispute = dispute_page.load_for_page(get_dispute_for(request.user, reference))
    audit.record(request.user, AuditEventType.DISPUTE_VIEWED, dispute=dispute)
    now = timezone.now()
    actions = allowed_actions(request.user, dispute)
    deadlines = dispute_page.open_deadlines(dispute)
    for row in deadlines:
        row.changes = deadline_choices(actions, row)
    deadline_to_set = next((row for row in deadlines if dispute_page.deadline_is_manual_unset(row)), None)
    calendars = Calendars()
    return render(
        request,
        "escalation/dispute_detail.html",
        {
            "dispute": dispute,
            "now": now,
            "actions": actions,
            "deadline_changes": any(row.changes for row in deadlines),
            "ladder": dispute_page.ladder(dispute),
            "stage": dispute.stage(),
            "deadlines": deadlines,
            "deadline_to_set": deadline_to_set,
            "next": what_happens_next(dispute, request.user, now, calendars),
            "calendars": calendars,
            "next_actions": dispute_page.next_actions(dispute, actions, deadline_to_set),
            "past_deadlines": dispute_page.closed_deadlines(dispute),
            "timeline": dispute_page.timeline(dispute),
            "participants": dispute.participants.select_related("agency"),
            "brought_in": accesses_of(dispute),
            "proposal": dispute_page.proposal(dispute),
            "outcome": getattr(dispute, "outcome", None),
            "snapshots": dispute.record_snapshots.defer("pdf").order_by("produced_at", "pk"),
            "sees_viewers": bool(oversight_roles(request.user, dispute)),
            "crumbs": [("Home", reverse("home")), (f"Dispute {dispute.reference}", "")],
        },
    )


def _refused_on_get(request: HttpRequest, dispute: Dispute, action: str) -> HttpResponse | None:
    """Send someone who may not take the action back to the dispute, saying why."""
    try:
        require(request.user, dispute, action)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("dispute", reference=dispute.reference)
    return None


def _done(request: HttpRequest, dispute: Dispute, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.POST.get("return_to") == "approvals":
        return redirect("approvals")
    return redirect("dispute", reference=dispute.reference)


def _action(
    request: HttpRequest,
    dispute: Dispute,
    *,
    action: str,
    form_class: type[Form],
    perform: Callable[[Dispute, dict], str],
    page: dict,
    initial: dict | None = None,
) -> HttpResponse:
    """GET shows the form; POST runs it through the service and back to the dispute with a message."""
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                message = perform(dispute, form.cleaned_data)
            except ActionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                return _done(request, dispute, message)
    else:
        refused = _refused_on_get(request, dispute, action)
        if refused:
            return refused
        audit.record(request.user, AuditEventType.DISPUTE_ACTION_FORM_VIEWED, dispute=dispute, after={"action": action})
        form = form_class(initial=initial)
    return render(
        request,
        "escalation/dispute_action.html",
        {
            "dispute": dispute,
            "form": form,
            "back_url": reverse("dispute", kwargs={"reference": dispute.reference}),
            "return_to": request.POST.get("return_to") or request.GET.get("return_to", ""),
            **page,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_entry(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        services.add_record_entry(
            dispute=dispute, author=request.user, kind=data["kind"], text=data["text"], occurred_on=data["occurred_on"]
        )
        return "Your record has been added to the dispute."

    return _action(
        request,
        get_dispute_for(request.user, reference),
        action="add_entry",
        form_class=forms.RecordEntryForm,
        perform=perform,
        page={"page_title": "Add a record", "button": "Add the record"},
        initial={"occurred_on": timezone.localdate()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def propose_escalation(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        dispute = services.propose_escalation(dispute=dispute, proposed_by=request.user, reason=data["reason"])
        if dispute.state == "awaiting_approval":
            return "Escalation proposed. A manager has been asked to approve it."
        return f"The dispute has moved to stage {dispute.current_stage}."

    dispute = get_dispute_for(request.user, reference)
    next_stage = dispute.next_stage()
    intro = []
    if next_stage is not None:
        intro.append(f"The next stage is stage {next_stage.number}: {next_stage.name}.")
        intro.append(dispute_page.approval_text(next_stage))
    return _action(
        request,
        dispute,
        action="propose_escalation",
        form_class=forms.ProposeEscalationForm,
        perform=perform,
        page={"page_title": "Escalate to the next stage", "button": "Propose escalation", "intro": intro},
    )


@login_required
@require_http_methods(["GET", "POST"])
def decide_escalation(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        if data["decision"] == "approve":
            dispute = services.approve_escalation(dispute=dispute, approver=request.user)
            return f"Escalation approved: {dispute.reference} has moved to stage {dispute.current_stage}."
        services.decline_escalation(dispute=dispute, approver=request.user, reason=data["reason"])
        return f"Escalation of {dispute.reference} declined. The person who asked for it has been told."

    dispute = get_dispute_for(request.user, reference)
    proposal = dispute_page.proposal(dispute)
    decision = request.GET.get("decision")
    return _action(
        request,
        dispute,
        action="approve_escalation",
        form_class=forms.DecideEscalationForm,
        perform=perform,
        page={"page_title": "Approve or decline the escalation", "button": "Send decision", "proposal": proposal},
        initial={"decision": decision} if decision in {"approve", "decline"} else None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def resolve(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        outcome = services.record_resolution(
            dispute=dispute,
            recorded_by=request.user,
            agreed_outcome=data["agreed_outcome"],
            outstanding_actions=data["outstanding_actions"],
            decided_on=data["decided_on"],
            convened=data["convened"],
        )
        dispute.refresh_from_db(fields=["state"])
        if dispute.state != "awaiting_confirmation":
            return "Resolution recorded. Both agencies have been told."
        if outcome.raising_confirmed_at or outcome.other_confirmed_at:
            return "Resolution recorded. It counts once the other agency confirms it: they have been told."
        return "Resolution recorded. It counts once both agencies confirm it: they have been told."

    return _action(
        request,
        get_dispute_for(request.user, reference),
        action="resolve",
        form_class=forms.ResolutionForm,
        perform=perform,
        page={"page_title": "Record the resolution", "button": "Record the resolution"},
        initial={"decided_on": timezone.localdate(), "convened": "neither"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        services.close_dispute(dispute=dispute, closed_by=request.user)
        return f"Dispute {dispute.reference} closed."

    return _action(
        request,
        get_dispute_for(request.user, reference),
        action="close",
        form_class=forms.CloseForm,
        perform=perform,
        page={
            "page_title": "Close the dispute",
            "button": "Close the dispute",
            "intro": ["Close the dispute once the agreed actions are done. Nothing more can be added afterwards."],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        services.withdraw_dispute(dispute=dispute, withdrawn_by=request.user, reason=data["reason"])
        return f"Dispute {dispute.reference} withdrawn. The other agency has been told."

    return _action(
        request,
        get_dispute_for(request.user, reference),
        action="withdraw",
        form_class=forms.WithdrawForm,
        perform=perform,
        page={
            "page_title": "Withdraw the dispute",
            "button": "Withdraw the dispute",
            "button_class": "govuk-button--warning",
            "intro": ["Withdraw the dispute if it is no longer needed. It cannot be reopened."],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def flag_immediate_harm(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        services.flag_immediate_harm(dispute=dispute, flagged_by=request.user, reason=data["reason"])
        return "Risk of immediate harm reported. The people the policy names have been told."

    dispute = get_dispute_for(request.user, reference)
    version = dispute.policy_version
    hours = version.urgent_hours
    intro = [
        "Both agencies and the people the policy names will be told, and its rules for immediate harm start now"
        + (f": action to keep them safe must be taken within {hours} hours." if hours else ".")
    ]
    if version.urgent_contacts:
        intro.append(version.urgent_contacts)
    return _action(
        request,
        dispute,
        action="flag_immediate_harm",
        form_class=forms.FlagImmediateHarmForm,
        perform=perform,
        page={"page_title": "Report a risk of immediate harm", "button": "Report the risk", "intro": intro},
    )


DEADLINE_FORMS = {
    "set": forms.ManualDeadlineForm,
    "extend": forms.ExtendDeadlineForm,
    "pause": forms.PauseDeadlineForm,
    "resume": forms.ResumeDeadlineForm,
    "shorten": forms.ShortenDeadlineForm,
}
DEADLINE_DONE = {
    "set": "Deadline set: it is now due {due}.",
    "extend": "Deadline extended: it is now due {due}.",
    "pause": "Deadline paused. It will not run until it is restarted.",
    "resume": "Deadline restarted: it is now due {due}.",
    "shorten": "Deadline brought forward: it is now due {due}.",
}


def _change_deadline(request: HttpRequest, dispute: Dispute, row, choice: str, data: dict) -> None:
    now = timezone.now()
    if choice == "set":
        due_at = datetime.datetime.combine(data["due_on"], data["due_time"], tzinfo=LONDON)
        services.set_manual_deadline(dispute=dispute, set_by=request.user, due_at=due_at, now=now)
    elif choice == "extend":
        deadline_changes.extend_deadline(
            deadline=row, by=request.user, working_days=data["working_days"], reason=data["reason"], now=now
        )
    elif choice == "pause":
        deadline_changes.pause_deadline(deadline=row, by=request.user, reason=data["reason"], now=now)
    elif choice == "shorten":
        due_at = datetime.datetime.combine(data["due_on"], data["due_time"], tzinfo=LONDON)
        deadline_changes.shorten_deadline(deadline=row, by=request.user, due_at=due_at, reason=data["reason"], now=now)
    else:
        deadline_changes.resume_deadline(deadline=row, by=request.user, reason=data["reason"], now=now)


def deadline_choices(actions: set[str], row) -> list[str]:
    """The changes the page offers for this deadline: what it can take that this person may make."""
    return [
        change
        for change in deadline_changes.possible_changes(row)
        if deadline_changes.CHANGE_PERMISSIONS[change] in actions
    ]


def _why_unchangeable(actions: set[str], row) -> str:
    permitted = [change for change, needs in deadline_changes.CHANGE_PERMISSIONS.items() if needs in actions]
    reasons = [deadline_changes.refusal(row, change) for change in permitted]
    return next(
        (reason for reason in reasons if reason),
        "Only the partnership business manager can extend or pause a deadline, only the business manager or a "
        "manager in one of the two agencies can bring one forward, and only the partnership chair can set one the "
        "policy leaves to them, while the dispute is open.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def deadline(request: HttpRequest, reference: str, deadline_id: int) -> HttpResponse:
    dispute = get_dispute_for(request.user, reference)
    row = get_object_or_404(dispute.deadlines.select_related("rule"), pk=deadline_id)
    actions = allowed_actions(request.user, dispute)
    choices = deadline_choices(actions, row)
    bound = None
    if request.method == "POST":
        choice = request.POST.get("change", "")
        if choice not in DEADLINE_FORMS:
            messages.error(request, "Choose what to change about the deadline.")
            return redirect("dispute-deadline", reference=dispute.reference, deadline_id=row.pk)
        bound = (choice, DEADLINE_FORMS[choice](request.POST, prefix=choice))
        form = bound[1]
        if form.is_valid():
            try:
                _change_deadline(request, dispute, row, choice, form.cleaned_data)
            except ActionRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                row.refresh_from_db()
                messages.success(request, DEADLINE_DONE[choice].format(due=london_moment(row.due_at)))
                return redirect("dispute", reference=dispute.reference)
    elif not choices:
        messages.error(request, _why_unchangeable(actions, row))
        return redirect("dispute", reference=dispute.reference)
    else:
        audit.record(
            request.user,
            AuditEventType.DISPUTE_DEADLINE_VIEWED,
            dispute=dispute,
            after={"deadline": row.pk, "rule": row.rule.name},
        )
    forms_shown = []
    for choice in choices if bound is None or bound[0] in choices else [*choices, bound[0]]:
        form = bound[1] if bound and bound[0] == choice else DEADLINE_FORMS[choice](prefix=choice)
        forms_shown.append((choice, form))
    return render(
        request,
        "escalation/dispute_deadline.html",
        {
            "dispute": dispute,
            "deadline": row,
            "now": timezone.now(),
            "forms": forms_shown,
            "form": bound[1] if bound else Form(),
            "back_url": reverse("dispute", kwargs={"reference": dispute.reference}),
        },
    )


def _outcome_intro(dispute: Dispute) -> list[str]:
    """What was recorded, for the page that asks a side to confirm it or say it does not agree."""
    outcome = getattr(dispute, "outcome", None) if dispute.state == "awaiting_confirmation" else None
    if outcome is None:
        return []
    if outcome.raising_confirmed_at:
        still = f"It counts once {dispute.other_agency} confirms it."
    elif outcome.other_confirmed_at:
        still = f"It counts once {dispute.raising_agency} confirms it."
    else:
        still = "It counts once both agencies confirm it."
    intro = [
        f"{dispute_page.person(outcome.recorded_by)} recorded this resolution at stage {outcome.stage_number} at "
        f"{london_moment(outcome.recorded_at)}. {still}",
        f"What was agreed: {outcome.agreed_outcome}",
    ]
    if outcome.outstanding_actions:
        intro.append(f"Still to do: {outcome.outstanding_actions}")
    return intro


@login_required
@require_http_methods(["GET", "POST"])
def record_decision(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        services.record_decision(
            dispute=dispute,
            recorded_by=request.user,
            agreed_outcome=data["agreed_outcome"],
            outstanding_actions=data["outstanding_actions"],
            decided_on=data["decided_on"],
            convened=data["convened"],
        )
        return "Decision recorded. It is final and binding, and both agencies have been told."

    dispute = get_dispute_for(request.user, reference)
    return _action(
        request,
        dispute,
        action="record_decision",
        form_class=forms.DecisionForm,
        perform=perform,
        page={
            "page_title": "Record the decision",
            "button": "Record the decision",
            "intro": [f"The decision of stage {dispute.current_stage} is final and binding on both agencies."],
        },
        initial={"decided_on": timezone.localdate(), "convened": "neither"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def confirm_resolution(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        services.confirm_resolution(dispute=dispute, confirmed_by=request.user)
        dispute.refresh_from_db(fields=["state"])
        if dispute.state == "resolved":
            return "Resolution confirmed. The dispute is resolved and both agencies have been told."
        return "Resolution confirmed. It is now waiting for the other agency to confirm it."

    dispute = get_dispute_for(request.user, reference)
    return _action(
        request,
        dispute,
        action="confirm_resolution",
        form_class=forms.ConfirmResolutionForm,
        perform=perform,
        page={
            "page_title": "Confirm the resolution",
            "button": "Confirm the resolution",
            "intro": _outcome_intro(dispute),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reject_resolution(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        services.reject_resolution(dispute=dispute, rejected_by=request.user, reason=data["reason"])
        return "You have said your agency does not agree. The dispute is back in discussion at the same stage."

    dispute = get_dispute_for(request.user, reference)
    return _action(
        request,
        dispute,
        action="reject_resolution",
        form_class=forms.RejectResolutionForm,
        perform=perform,
        page={
            "page_title": "Say your agency does not agree",
            "button": "Send",
            "button_class": "govuk-button--warning",
            "intro": _outcome_intro(dispute),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def escalate_no_response(request: HttpRequest, reference: str) -> HttpResponse:
    def perform(dispute: Dispute, data: dict) -> str:
        dispute = services.escalate_no_response(dispute=dispute, escalated_by=request.user, reason=data["reason"])
        return f"The dispute has moved to stage {dispute.current_stage}: there was no response in time."

    dispute = get_dispute_for(request.user, reference)
    next_stage = dispute.next_stage()
    intro = ["A deadline for a response has been missed, so the policy lets you move the dispute on without approval."]
    if next_stage is not None:
        intro.append(f"It will move to stage {next_stage.number}: {next_stage.name}.")
    return _action(
        request,
        dispute,
        action="escalate_no_response",
        form_class=forms.NoResponseForm,
        perform=perform,
        page={"page_title": "Escalate: no response", "button": "Move to the next stage", "intro": intro},
    )
