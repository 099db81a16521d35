from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from escalation.accounts import views as accounts

urlpatterns = [
    # The admin signs in through the app's own sign-in page: the same lockout and two-factor check.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True), name="admin-login"),
    path("admin/", admin.site.urls),
    path("sign-in/", accounts.SignInView.as_view(), name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", accounts.account, name="account"),
    path("account/sign-out-everywhere/", accounts.logout_everywhere, name="logout-everywhere"),
    path("account/two-factor/set-up/", accounts.two_factor_setup, name="two-factor-setup"),
    path("account/two-factor/verify/", accounts.two_factor_verify, name="two-factor-verify"),
    path("", include("escalation.web.urls")),
]
