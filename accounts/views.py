"""The user's own account pages: security settings, the second sign-in step, the lock-out page."""

import base64
import datetime as dt

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from alliance.forms import add_service_error

from . import selectors, services
from .forms import TokenForm
from .middleware import OTP_STATE


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@login_required
def account_detail(request):
    """Password, second factor and sessions of the signed-in user."""
    context = {
        "otp_device": selectors.otp_device_for_user(user=request.user),
        "otp_required": selectors.otp_required_for(user=request.user),
        "session_count": len(selectors.user_session_keys(user=request.user)),
    }
    return render(request, "account/detail.html", context)


@login_required
def otp_setup(request):
    """Enrol an authenticator: show its QR code and secret, confirm with a code it shows."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_device_confirm(user=request.user, token=form.cleaned_data["token"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            otp_login(request, device)
            request.session[OTP_STATE] = "ok"
            messages.success(request, _("已启用两步验证。以后登录时需要输入验证码。"))
            return redirect(_next_url(request) if request.POST.get("next") else "account")
    device = services.otp_device_pending(user=request.user)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "required": selectors.otp_required_for(user=request.user),
        "next": request.GET.get("next", ""),
    }
    return render(request, "account/otp_setup.html", context)


@login_required
def otp_verify(request):
    """The second step of signing in, for a user who has an authenticator."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_verify(user=request.user, token=form.cleaned_data["token"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            otp_login(request, device)
            request.session[OTP_STATE] = "ok"
            return redirect(_next_url(request))
    return render(request, "account/otp_verify.html", {"form": form, "next": _next_url(request)})


@login_required
@require_POST
def otp_disable(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            services.otp_device_remove(user=request.user, token=form.cleaned_data["token"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已关闭两步验证。"))
            return redirect("account")
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("account")


@login_required
@require_POST
def sessions_end_all(request):
    """Log out everywhere: every session of the user ends, API tokens are revoked."""
    services.sessions_end_all(user=request.user)
    logout(request)
    messages.success(request, _("已在所有设备上退出登录,请重新登录。"))
    return redirect("login")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: when to try again, in the user's language."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = int(cool_off.total_seconds() // 60) if isinstance(cool_off, dt.timedelta) else 0
    context = {"minutes": minutes, "retry_at": timezone.localtime() + dt.timedelta(minutes=minutes)}
    return render(request, "registration/lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)
