"""Idle timeout and the second sign-in step, checked on every request of a signed-in user.

Both read only the session: the last activity is written at most once a minute, and whether the
user must give a second factor is decided once per session (at login) and kept there.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import selectors

LAST_SEEN = "accounts_last_seen"
OTP_STATE = "accounts_otp"  # "ok", "verify" (has an authenticator) or "setup" (must enrol one)
TOUCH_INTERVAL = 60


def otp_state_store(session, user) -> str:
    if selectors.otp_device_for_user(user=user) is not None:
        state = "verify"
    elif selectors.otp_required_for(user=user):
        state = "setup"
    else:
        state = "ok"
    session[OTP_STATE] = state
    return state


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


class SessionGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.guard(request) or self.get_response(request)

    def guard(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        session = request.session
        now = int(time.time())
        last = session.get(LAST_SEEN)
        idle = getattr(settings, "SESSION_IDLE_TIMEOUT", 0)
        if idle and last is not None and now - last > idle:
            logout(request)
            if _is_api(request):
                return None  # now anonymous: the API answers 403 itself
            messages.info(request, _("长时间未操作,已自动退出,请重新登录。"))
            return redirect_to_login(request.get_full_path())
        if last is None or now - last >= TOUCH_INTERVAL:
            session[LAST_SEEN] = now

        state = session.get(OTP_STATE) or otp_state_store(session, user)
        if state == "ok" or (state == "verify" and user.is_verified()):
            return None
        target = "otp-verify" if state == "verify" else "otp-setup"
        if request.path_info in {reverse(target), reverse("logout")}:
            return None
        if _is_api(request):
            return JsonResponse({"detail": _("请先在网页上完成两步验证。")}, status=403)
        return HttpResponseRedirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
