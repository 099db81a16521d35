"""The People pages: a partnership admin invites people, changes their roles, suspends and reinstates them; the
partnership chair approves the grants of business manager and chair.

Thin views: every rule is in `escalation.accounts` (roles, invitations, suspension), and a refusal comes back as a
message or a form error. Anyone who is not an admin is told the pages do not exist; nothing here shows a dispute.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Agency, Membership, OfficeHolder, Role
from escalation.accounts import invitations, roles, suspension
from escalation.accounts.models import Invitation, RoleRequest
from escalation.web.forms_people import InviteForm, RoleFields
from policies.runtime import ActionRefused

PAGE_SIZE = 50
SEARCH_LIMIT = 100


def _partnerships(request: HttpRequest) -> QuerySet:
    """The partnerships whose people this admin manages; a 404 for anyone who manages none."""
    partnerships = roles.administered_partnerships(request.user)
    if not partnerships.exists():
        raise Http404("Not found")
    return partnerships


def _agencies(partnerships: QuerySet) -> QuerySet[Agency]:
    return Agency.objects.filter(partnership__in=partnerships).select_related("partnership").order_by("name")


def status_of(user) -> tuple[str, str]:
    """(what the person's account is, the tag colour)."""
    if not user.is_active:
        return "Suspended", "red"
    if not user.has_usable_password():
        return "Invited", "blue"
    return "Active", "green"


def _with_roles(users: QuerySet, partnerships: QuerySet) -> QuerySet:
    return users.prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(agency__partnership__in=partnerships).select_related("agency"),
            to_attr="roles_here",
        )
    )


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    partnerships = _partnerships(request)
    query = request.GET.get("q", "").strip()[:SEARCH_LIMIT]
    users = roles.people_of(partnerships)
    if query:
        users = users.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(username__icontains=query)
            | Q(email__icontains=query)
            | Q(memberships__agency__name__icontains=query, memberships__agency__partnership__in=partnerships)
        ).distinct()
    users = _with_roles(users.order_by("last_name", "first_name", "username"), partnerships)
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(user, status_of(user)) for user in page.object_list]
    waiting = RoleRequest.objects.filter(
        status=RoleRequest.Status.PENDING, agency__partnership__in=partnerships
    ).count()
    context = {"rows": rows, "page_obj": page, "query": query, "waiting": waiting, "people_section": True}
    return render(request, "people/list.html", context)


@never_cache
@login_required
def invite(request: HttpRequest) -> HttpResponse:
    partnerships = _partnerships(request)
    form = InviteForm(request.POST if request.method == "POST" else None, agencies=_agencies(partnerships))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        agency = data["agency"]
        try:
            invitation = invitations.invite_person(
                partnership=agency.partnership,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                roles=[invitations.RoleToGrant(agency, data["role"], data["designation"])],
                invited_by=request.user,
                now=timezone.now(),
            )
        except invitations.AddressRefused as refused:
            form.add_error("email", str(refused))
        except ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                (f"Invitation sent to {invitation.user.email}. The link works for {invitations.INVITATION_DAYS} days."),
            )
            return redirect("person", user_id=invitation.user_id)
    context = {"form": form, "people_section": True, "invitation_days": invitations.INVITATION_DAYS}
    return render(request, "people/invite.html", context)


def _person_or_404(request: HttpRequest, user_id: int):
    partnerships = _partnerships(request)
    person = get_object_or_404(roles.people_of(partnerships), pk=user_id)
    return person, partnerships


def _person_page(request: HttpRequest, person, partnerships, role_form=None, problem: str = "") -> HttpResponse:
    person = _with_roles(get_user_model().objects.filter(pk=person.pk), partnerships).get()
    own = person.pk == request.user.pk
    context = {
        "person": person,
        "status": status_of(person),
        "own": own,
        "offices": OfficeHolder.objects.filter(user=person, partnership__in=partnerships).select_related("partnership"),
        "waiting": RoleRequest.objects.filter(
            user=person, status=RoleRequest.Status.PENDING, agency__partnership__in=partnerships
        ).select_related("agency"),
        "invitation": Invitation.objects.filter(user=person, partnership__in=partnerships).first(),
        "role_form": role_form or RoleFields(agencies=_agencies(partnerships)),
        "suspension_refusal": suspension.refusal_to_suspend(user=person, by=request.user),
        "problem": problem,
        "people_section": True,
    }
    return render(request, "people/person.html", context)


@login_required
@require_GET
def person(request: HttpRequest, user_id: int) -> HttpResponse:
    found, partnerships = _person_or_404(request, user_id)
    return _person_page(request, found, partnerships)


@login_required
@require_POST
def add_role(request: HttpRequest, user_id: int) -> HttpResponse:
    found, partnerships = _person_or_404(request, user_id)
    form = RoleFields(request.POST, agencies=_agencies(partnerships))
    if form.is_valid():
        data = form.cleaned_data
        try:
            granted = roles.grant_role(
                user=found,
                agency=data["agency"],
                role=data["role"],
                designation=data["designation"],
                granted_by=request.user,
                now=timezone.now(),
            )
        except ActionRefused as refused:
            form.add_error(None, str(refused))
        else:
            if isinstance(granted, RoleRequest):
                messages.info(request, "The partnership chair has been asked to approve this role.")
            else:
                messages.success(request, f"{granted.get_role_display()} at {granted.agency.name} given.")
            return redirect("person", user_id=found.pk)
    return _person_page(request, found, partnerships, role_form=form)


def _act(request: HttpRequest, action, success: str, found, partnerships) -> HttpResponse:
    """Carry out a change of the person's account; a refusal is shown on their page, as an error."""
    try:
        action()
    except ActionRefused as refused:
        return _person_page(request, found, partnerships, problem=str(refused))
    messages.success(request, success)
    if not roles.people_of(partnerships).filter(pk=found.pk).exists():
        return redirect("people")
    return redirect("person", user_id=found.pk)


@login_required
@require_POST
def remove_role(request: HttpRequest, user_id: int) -> HttpResponse:
    found, partnerships = _person_or_404(request, user_id)
    membership = get_object_or_404(
        Membership, pk=request.POST.get("membership") or 0, user=found, agency__partnership__in=partnerships
    )
    return _act(
        request,
        lambda: roles.remove_role(membership=membership, removed_by=request.user, now=timezone.now()),
        f"{membership.get_role_display()} at {membership.agency.name} removed.",
        found,
        partnerships,
    )


@login_required
@require_POST
def suspend(request: HttpRequest, user_id: int) -> HttpResponse:
    found, partnerships = _person_or_404(request, user_id)
    return _act(
        request,
        lambda: suspension.suspend_person(user=found, suspended_by=request.user, now=timezone.now()),
        f"{found.get_full_name() or found.get_username()} is suspended and has been signed out everywhere.",
        found,
        partnerships,
    )


@login_required
@require_POST
def reinstate(request: HttpRequest, user_id: int) -> HttpResponse:
    found, partnerships = _person_or_404(request, user_id)
    return _act(
        request,
        lambda: suspension.reinstate_person(user=found, reinstated_by=request.user, now=timezone.now()),
        f"{found.get_full_name() or found.get_username()} can sign in again.",
        found,
        partnerships,
    )


@login_required
@require_POST
def resend(request: HttpRequest, user_id: int) -> HttpResponse:
    found, partnerships = _person_or_404(request, user_id)
    invitation = Invitation.objects.filter(user=found, partnership__in=partnerships).first()
    if invitation is None:
        raise Http404("Not found")
    return _act(
        request,
        lambda: invitations.resend_invitation(
            user=found, partnership=invitation.partnership, invited_by=request.user, now=timezone.now()
        ),
        f"A new invitation has been sent to {found.email}. Earlier links no longer work.",
        found,
        partnerships,
    )


@never_cache
@login_required
def role_requests(request: HttpRequest) -> HttpResponse:
    """The chair's (or a superuser's) approvals of business manager and chair grants; a 404 for everyone else."""
    user = request.user
    is_decider = user.is_superuser or Membership.objects.filter(user=user, role=Role.CHAIR).exists()
    if not is_decider:
        raise Http404("Not found")
    if request.method == "POST":
        waiting = get_object_or_404(roles.requests_for_decider(user), pk=request.POST.get("request") or 0)
        decision = request.POST.get("decision")
        now = timezone.now()
        try:
            if decision == "approve":
                roles.approve_role_request(request=waiting, approved_by=user, now=now)
                messages.success(request, f"{waiting.user.get_full_name() or waiting.user} is now {_label(waiting)}.")
            elif decision == "refuse":
                roles.refuse_role_request(request=waiting, refused_by=user, now=now)
                name = waiting.user.get_full_name() or waiting.user.get_username()
                messages.success(request, f"Refused: {name} as {_label(waiting)}.")
            else:
                messages.error(request, "Choose approve or refuse.")
        except ActionRefused as refused:
            messages.error(request, str(refused))
        return redirect("role-requests")
    waiting = roles.requests_for_decider(user).order_by("requested_at", "id")
    return render(request, "people/role_requests.html", {"waiting": waiting})


def _label(request: RoleRequest) -> str:
    return Role(request.role).label.lower() if request.role in Role.values else request.role
