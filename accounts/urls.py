from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/", views.account_detail, name="account"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/otp/setup/", views.otp_setup, name="otp-setup"),
    path("accounts/otp/verify/", views.otp_verify, name="otp-verify"),
    path("accounts/otp/disable/", views.otp_disable, name="otp-disable"),
    path("accounts/sessions/end-all/", views.sessions_end_all, name="sessions-end-all"),
]
