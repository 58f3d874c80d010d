"""Session bookkeeping when a user signs in or out (no domain rows are written here)."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import services
from .middleware import LAST_SEEN, otp_state_store


@receiver(user_logged_in, dispatch_uid="accounts.session_login")
def session_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None:
        return
    if not session.session_key:
        session.save()
    session[LAST_SEEN] = int(time.time())
    otp_state_store(session, user)
    services.session_record(user=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="accounts.session_logout")
def session_logout(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        services.session_forget(session_key=session.session_key)
