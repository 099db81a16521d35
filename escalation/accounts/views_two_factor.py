"""The two-factor pages beyond set-up and the code check: the e-mailed set-up link, backup codes, and recovery."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from agencies.models import Membership
from escalation.accounts import backup_codes, two_factor, two_factor_links
from escalation.accounts.next_page import safe_next
from escalation.audit.security_log import TWO_FACTOR_WRONG_CODE, mark_refused


class BackupCodeForm(forms.Form):
    code = forms.CharField(
        label="Backup code",
        max_length=30,
        error_messages={"required": backup_codes.NOT_A_CODE, "max_length": backup_codes.NOT_A_CODE},
    )


class RecoveryForm(forms.Form):
    person = forms.CharField(
        label="Their username or e-mail address",
        max_length=254,
        error_messages={
            "required": "Enter their username or e-mail address",
            "max_length": "Enter their username or e-mail address",
        },
    )


def _next(request: HttpRequest) -> str:
    return safe_next(request)


def link_needed(request: HttpRequest) -> HttpResponse:
    """The set-up page for someone who has not yet shown they read the account's e-mail."""
    context = {"next": _next(request), "required": two_factor.two_factor_required(request.user)}
    return render(request, "accounts/two_factor_link_needed.html", context)


@require_POST
@login_required
def send_link(request: HttpRequest) -> HttpResponse:
    two_factor_links.send_first_link(request.user)
    messages.success(
        request,
        "We have sent a link to the e-mail address on your account. Open it within an hour to set up two-factor "
        "authentication. If it has not arrived in a few minutes, check your spam folder or ask again.",
    )
    return redirect(f"{reverse('two-factor-setup')}?{urlencode({'next': _next(request)})}")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def use_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for a button press (an e-mail scanner that opens links must not use them up); POST uses the link."""
    if request.method == "POST":
        link = two_factor_links.use_link(request, token)
        if link is not None:
            if link.purpose == two_factor_links.RECOVERY:
                messages.success(request, "Your old authenticator app and backup codes have been removed.")
            return redirect("two-factor-setup")
    elif two_factor_links.usable_link(token, request.user, now=timezone.now()) is not None:
        return render(request, "accounts/two_factor_link.html", {"token": token})
    return render(request, "accounts/two_factor_link_unusable.html", status=404)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def backup_codes_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not two_factor.has_two_factor(user) or not user.is_verified():
        return redirect("account")
    if request.method == "POST":
        backup_codes.make_codes(request)
        return redirect("two-factor-backup-codes")
    context = {
        "codes": backup_codes.codes_to_show(request),
        "left": backup_codes.codes_left(user),
        "next": _next(request),
    }
    return render(request, "accounts/backup_codes.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def backup_code_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():
        return redirect(_next(request))
    form = BackupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = backup_codes.sign_in_with_code(request, form.cleaned_data["code"])
        if result.ok:
            left = backup_codes.codes_left(user)
            messages.info(request, f"You have {left} backup code{'' if left == 1 else 's'} left.")
            return redirect(_next(request))
        mark_refused(request, TWO_FACTOR_WRONG_CODE)
        form.add_error("code", result.message)
    return render(request, "accounts/backup_code_verify.html", {"form": form, "next": _next(request)})


def _person(text: str, managed: set[int]):
    """The one person in the manager's partnerships with this username or e-mail address, or None."""
    in_partnership = Membership.objects.filter(agency__partnership_id__in=managed).values("user_id")
    people = get_user_model().objects.filter(pk__in=in_partnership)
    found = list(people.filter(Q(username=text) | Q(email__iexact=text))[:2])
    return found[0] if len(found) == 1 else None


@login_required
@require_http_methods(["GET", "POST"])
def start_recovery(request: HttpRequest) -> HttpResponse:
    """A business manager starts the recovery of someone's lost authenticator app; 404 for anyone else."""
    managed = two_factor_links.partnerships_managed_by(request.user)
    if not managed:
        raise Http404("No such page")
    form = RecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = _person(form.cleaned_data["person"].replace("\x00", "").strip(), managed)
        if person is None:
            form.add_error("person", "Nobody in your partnership has that username or e-mail address")
        else:
            try:
                two_factor_links.start_recovery(person=person, started_by=request.user)
            except two_factor_links.RecoveryRefused as refused:
                form.add_error("person", str(refused))
            else:
                messages.success(
                    request,
                    f"Recovery started. {person.get_full_name() or person.get_username()} has been e-mailed a link "
                    "that works once, for one day. They sign in with their password, open it and set up a new "
                    "authenticator app.",
                )
                return redirect("two-factor-recovery")
    return render(request, "accounts/two_factor_recovery.html", {"form": form})
