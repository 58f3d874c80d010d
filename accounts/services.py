"""Writes about a user's own sign-in: the session index, "log out everywhere", the second factor."""

import datetime as dt
from importlib import import_module

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from . import selectors
from .models import UserSession


def session_record(*, user, session_key: str) -> None:
    """Remember that `session_key` is `user`'s, and forget the user's sessions that have expired."""
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    UserSession.objects.filter(user=user, created_at__lt=cutoff).delete()


def session_forget(*, session_key: str) -> None:
    UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def sessions_end_all(*, user) -> int:
    """End every session of `user` on every device, and revoke the user's API tokens."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = selectors.user_session_keys(user=user)
    for key in keys:
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def otp_device_pending(*, user) -> TOTPDevice:
    """The authenticator the user is enrolling (created once, shown until confirmed)."""
    device = selectors.otp_device_for_user(user=user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("身份验证器"), confirmed=False)
    return device


def _check_token(device: TOTPDevice, token: str) -> None:
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise ValidationError({"token": [_("验证码错误次数过多,请稍等片刻再试。")]})
    if not device.verify_token((token or "").strip()):
        raise ValidationError({"token": [_("验证码不正确或已过期。")]})


@transaction.atomic
def otp_device_confirm(*, user, token: str) -> TOTPDevice:
    """Confirm the pending authenticator with a code it shows; it replaces any earlier one."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise ValidationError({"token": [_("请先打开两步验证设置页面。")]})
    _check_token(device, token)
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def otp_verify(*, user, token: str) -> TOTPDevice:
    """The second step of signing in: the code of the user's confirmed authenticator."""
    device = selectors.otp_device_for_user(user=user)
    if device is None:
        raise ValidationError({"token": [_("尚未启用两步验证。")]})
    _check_token(device, token)
    return device


@transaction.atomic
def otp_device_remove(*, user, token: str) -> None:
    """Turn the second factor off (with a current code); refused where it is required."""
    if selectors.otp_required_for(user=user):
        raise ValidationError({"token": [_("组织部管理员必须启用两步验证,不能关闭。")]})
    device = selectors.otp_device_for_user(user=user)
    if device is None:
        raise ValidationError({"token": [_("尚未启用两步验证。")]})
    _check_token(device, token)
    TOTPDevice.objects.filter(user=user).delete()
