"""Sign-in (with the lockout message), two-factor set-up and check, the account page, sign out everywhere."""

from urllib.parse import urlencode

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from escalation.accounts import two_factor
from escalation.accounts.forms import CodeForm, LockedOutForm, SignInForm
from escalation.accounts.sessions import sign_out_everywhere

LOCKED_OUT = (
    "Your account is locked for {minutes} minutes because the password was entered wrongly too many times. "
    "Wait {minutes} minutes, then try again."
)


def _is_local_path(target: str) -> bool:
    """A path on this site: it starts with one slash (a relative or scheme-relative address never passes)."""
    return target.startswith("/") and not target.startswith("//")


def _safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target
        and _is_local_path(target)
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return reverse(default)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class SignInView(LoginView):
    """Django's sign-in, then straight on to 2FA for anyone who must pass it."""

    template_name = "registration/login.html"
    authentication_form = SignInForm

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return url if _is_local_path(url) else ""

    def get_success_url(self) -> str:
        url = super().get_success_url()
        step = two_factor.needs_two_factor(self.request.user)
        if step == two_factor.VERIFY:
            return _with_next("two-factor-verify", url)
        if step == two_factor.SETUP:
            return _with_next("two-factor-setup", url)
        return url


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout response: the sign-in page again, saying why and for how long."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 15
    form = LockedOutForm(request, LOCKED_OUT.format(minutes=minutes), data=request.POST or None)
    context = {"form": form, "next": request.POST.get("next", ""), "locked_out": True}
    return render(request, "registration/login.html", context, status=429)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "has_two_factor": two_factor.has_two_factor(request.user),
            "two_factor_required": two_factor.two_factor_required(request.user),
        },
    )


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if two_factor.has_two_factor(user):
        if user.is_verified():
            messages.info(request, "Two-factor authentication is already set up for your account.")
            return redirect("account")
        return redirect(_with_next("two-factor-verify", _safe_next(request)))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.confirm_setup(request, form.cleaned_data["code"])
        if result.ok:
            messages.success(request, "Two-factor authentication is now on for your account.")
            return redirect(_safe_next(request))
        form.add_error("code", result.message)
    device = two_factor.pending_device(user)
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_data_uri(device),
        "secret_key": two_factor.key_for_people(device),
        "required": two_factor.two_factor_required(user),
        "next": _safe_next(request),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not two_factor.has_two_factor(user):
        return redirect(_with_next("two-factor-setup", _safe_next(request)))
    if user.is_verified():
        return redirect(_safe_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.verify_code(request, form.cleaned_data["code"])
        if result.ok:
            return redirect(_safe_next(request))
        form.add_error("code", result.message)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    sign_out_everywhere(request)
    messages.success(request, "You have been signed out on every device and browser.")
    return redirect("login")
