"""Sign-in (with the lockout message), two-factor set-up and check, the account page, sign out everywhere."""

from urllib.parse import urlencode, urlsplit

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from escalation.accounts import backup_codes, invitations, two_factor, two_factor_links, views_two_factor
from escalation.accounts.forms import CodeForm, LockedOutForm, NewPasswordForm, ResetRequestForm, SignInForm
from escalation.accounts.lockout import ADDRESS_LOCKED, was_address_locked
from escalation.accounts.next_page import is_local_path as _is_local_path
from escalation.accounts.next_page import safe_next as _safe_next
from escalation.accounts.sessions import sign_out_everywhere
from escalation.audit.security_log import TWO_FACTOR_WRONG_CODE, mark_refused

LOCKED_OUT = (
    "Your account is locked for {minutes} minutes because the password was entered wrongly too many times. "
    "Wait {minutes} minutes, then try again."
)


def _is_two_factor_link(path: str) -> bool:
    try:
        return resolve(urlsplit(path).path).url_name == "two-factor-link"
    except Resolver404:
        return False


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


class SignInView(LoginView):
    """Django's sign-in, then straight on to 2FA for anyone who must pass it."""

    template_name = "registration/login.html"
    authentication_form = SignInForm

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return url if _is_local_path(url) else ""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["timed_out"] = _session_ended(self.request)
        context["session_minutes"] = settings.SESSION_COOKIE_AGE // 60
        return context

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if _is_two_factor_link(url):
            return url  # the e-mailed set-up or recovery link: it is how someone without their app gets in
        step = two_factor.needs_two_factor(self.request.user)
        if step == two_factor.VERIFY:
            return _with_next("two-factor-verify", url)
        if step == two_factor.SETUP:
            return _with_next("two-factor-setup", url)
        return url


def _session_ended(request: HttpRequest) -> bool:
    """Whether the browser still holds a session the server has ended (idle too long), or the timeout
    warning sent the person here when time ran out. A sign-out deletes the cookie, so it does not count."""
    if request.method != "GET" or request.user.is_authenticated:
        return False
    cookie = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    return request.GET.get("timeout") == "1" or bool(cookie and not request.session.exists(cookie))


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout response: the sign-in page again, saying why and for how long."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 15
    message = ADDRESS_LOCKED if was_address_locked(request) else LOCKED_OUT
    form = LockedOutForm(request, message.format(minutes=minutes), data=request.POST or None)
    context = {"form": form, "next": request.POST.get("next", ""), "locked_out": True}
    return render(request, "registration/login.html", context, status=429)


@require_POST
def keep_signed_in(request: HttpRequest) -> JsonResponse:
    """The timeout warning's "Stay signed in": any request saves the session (SESSION_SAVE_EVERY_REQUEST), so
    answering is enough to start its idle time again. After the session has ended it signs nobody in."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    return JsonResponse({"signed_in": True, "session_seconds": request.session.get_expiry_age()})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/account.html",
        {
            "has_two_factor": two_factor.has_two_factor(request.user),
            "two_factor_required": two_factor.two_factor_required(request.user),
            "backup_codes_left": backup_codes.codes_left(request.user),
            "starts_recovery": bool(two_factor_links.partnerships_managed_by(request.user)),
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
    if not two_factor_links.may_enrol(request):
        return views_two_factor.link_needed(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = two_factor.confirm_setup(request, form.cleaned_data["code"])
        if result.ok:
            two_factor_links.enrolment_done(request)
            backup_codes.make_codes(request)
            messages.success(request, "Two-factor authentication is now on for your account.")
            return redirect(_with_next("two-factor-backup-codes", _safe_next(request)))
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
        mark_refused(request, TWO_FACTOR_WRONG_CODE)
        form.add_error("code", result.message)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


@require_POST
@login_required
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    sign_out_everywhere(request)
    messages.success(request, "You have been signed out on every device and browser.")
    return redirect("login")


@never_cache
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person sets a password; then they are signed in, and sent on to set up two-factor
    authentication first where their role needs it."""
    now = timezone.now()
    invitation = invitations.usable_invitation(token, now=now)
    if invitation is None:
        return render(
            request, "accounts/invitation_unusable.html", {"invitation_days": invitations.INVITATION_DAYS}, status=404
        )
    form = NewPasswordForm(invitation.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = invitations.accept_invitation(token=token, password=form.cleaned_data["new_password1"], now=now)
        if user is None:
            return render(
                request,
                "accounts/invitation_unusable.html",
                {"invitation_days": invitations.INVITATION_DAYS},
                status=404,
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        two_factor_links.allow_enrolment(request, user)  # the invitation e-mail proved they read the account's mail
        messages.success(request, "Your password is set. You are signed in.")
        if two_factor.two_factor_required(user):
            return redirect(_with_next("two-factor-setup", reverse("home")))
        return redirect("home")
    context = {"form": form, "partnership": invitation.partnership, "invited": invitation.user}
    return render(request, "accounts/invitation_accept.html", context)


#: Django's password reset, in GOV.UK pages. The request page says the same whether or not the address belongs
#: to anyone, and e-mails only an active person who has a password (an invited person uses their invitation).
password_reset = auth_views.PasswordResetView.as_view(
    template_name="registration/password_reset_form.html",
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    form_class=ResetRequestForm,
    extra_email_context={"site_url": settings.SITE_URL.rstrip("/")},
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html")
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="registration/password_reset_confirm.html", form_class=NewPasswordForm
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/password_reset_complete.html"
)
