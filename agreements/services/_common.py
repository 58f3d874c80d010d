"""Small pieces the agreement and list services share: input cleaning, membership, dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from members.models import MemberUnit

from ..selectors import working_memberships


class Errors:
    """Collects every problem of an input before raising, so a user sees them all at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def __contains__(self, field: str) -> bool:
        return field in self.by_field

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def clean_text(errors: Errors, field: str, value, *, max_length: int | None = None,
               required: str | None = None) -> str:
    """Strip the text; record a missing required value (message `required`) or one too long."""
    text = str(value or "").replace("\x00", "").strip()
    if required and not text:
        errors.add(field, required)
    elif max_length is not None and len(text) > max_length:
        errors.add(field, _("不能超过%(limit)d个字(当前%(n)d个)。") % {"limit": max_length, "n": len(text)})
    return text


def clean_date(errors: Errors, field: str, value, *, required: str | None = None) -> dt.date | None:
    """A date, or an ISO date string (as the API and forms may hand it over)."""
    if value in (None, ""):
        if required:
            errors.add(field, required)
        return None
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.add(field, _("请填写有效的日期(如 2026-05-15)。"))
        return None


def clean_choice(errors: Errors, field: str, value, choices, message: str) -> str:
    if value not in choices.values:
        errors.add(field, message)
    return value


def tenant_owned(model, *, owner: Alliance, **fields):
    """A new row of `model` carrying its alliance's tenant and path."""
    return model(tenant_id=owner.tenant_id, alliance_path=owner.path, **fields)


def member_unit_ids_of(alliance: Alliance, unit_ids) -> set[int]:
    """Of `unit_ids`, those with an active membership in the alliance or one of its ancestors.

    A unit that joined the street's alliance works with the street's communities too.
    """
    return set(working_memberships(alliance).filter(unit_id__in=list(unit_ids)).values_list("unit_id", flat=True))


def is_member(unit: MemberUnit, alliance: Alliance) -> bool:
    return unit.tenant_id == alliance.tenant_id and bool(member_unit_ids_of(alliance, [unit.pk]))


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of `day` in the platform's time zone (Asia/Shanghai): a due date's deadline."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ZoneInfo(settings.TIME_ZONE))


def display_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""
