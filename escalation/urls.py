from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from escalation.accounts import views as accounts
from escalation.accounts import views_two_factor as accounts_2fa

urlpatterns = [
    # The admin signs in through the app's own sign-in page: the same lockout and two-factor check.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin-login"),
    path("admin/", admin.site.urls),
    path("sign-in/", accounts.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", accounts.account, name="account"),
    path("account/keep-signed-in/", accounts.keep_signed_in, name="keep-signed-in"),
    path("account/sign-out-everywhere/", accounts.logout_everywhere, name="logout-everywhere"),
    path("account/two-factor/set-up/", accounts.two_factor_setup, name="two-factor-setup"),
    path("account/two-factor/verify/", accounts.two_factor_verify, name="two-factor-verify"),
    path("account/two-factor/send-link/", accounts_2fa.send_link, name="two-factor-send-link"),
    path("account/two-factor/link/<str:token>/", accounts_2fa.use_link, name="two-factor-link"),
    path("account/two-factor/backup-code/", accounts_2fa.backup_code_verify, name="two-factor-backup-code"),
    path("account/two-factor/backup-codes/", accounts_2fa.backup_codes_page, name="two-factor-backup-codes"),
    path("account/two-factor/recovery/", accounts_2fa.start_recovery, name="two-factor-recovery"),
    path("invitation/<str:token>/", accounts.accept_invitation, name="invitation-accept"),
    path("password-reset/", accounts.password_reset, name="password_reset"),
    path("password-reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("password-reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("", include("escalation.web.urls")),
]
