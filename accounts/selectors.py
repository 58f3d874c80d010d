"""Reads about a user's own sign-in: whether a second factor is required, which device they have."""

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.roles import Role
from members.models import RoleAssignment

from .models import UserSession


def otp_required_for(*, user) -> bool:
    """District admins must use a second factor when OTP_REQUIRED_FOR_DISTRICT_ADMINS is on."""
    if not getattr(settings, "OTP_REQUIRED_FOR_DISTRICT_ADMINS", False):
        return False
    return RoleAssignment.objects.filter(user=user, role=Role.DISTRICT_ADMIN).exists()


def otp_device_for_user(*, user, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def user_session_keys(*, user) -> list[str]:
    return list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
