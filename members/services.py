"""Every write to member units, memberships and roles. Forms and the API both call these."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import MANAGE_MEMBERSHIP, MANAGE_ROLES, MANAGE_TREE, Role
from alliance.selectors import user_scope
from alliance.services import alliance_permissions_sync, require_permission

from .models import (
    Category,
    Membership,
    MembershipRole,
    MemberUnit,
    PartyOrgForm,
    RoleAssignment,
    User,
)
from .selectors import forget_liaison_units
from .validators import normalize_credit_code, validate_credit_code

# A unit's party members fit the database column with a wide margin (the largest party committees
# of state enterprises count tens of thousands).
MAX_PARTY_MEMBERS = 1_000_000

UNIT_FIELDS = (
    "name", "category", "credit_code", "party_org_form", "party_member_count",
    "address", "contact_name", "contact_phone",
)


def _clean_unit_fields(*, tenant_id: int, fields: dict, exclude_pk: int | None = None,
                       check_unique: bool = True) -> dict:
    """Business validation of a member unit, shared by the form, the API and the importer.

    Collects every problem of the row before raising, so a user sees them all at once.
    """
    errors: dict[str, list[str]] = {}
    cleaned = dict(fields)
    for key in ("name", "address", "contact_name", "contact_phone"):
        if key in cleaned:
            cleaned[key] = str(cleaned[key] or "").replace("\x00", "").strip()
            limit = MemberUnit._meta.get_field(key).max_length
            if len(cleaned[key]) > limit:
                errors.setdefault(key, []).append(
                    _("不能超过%(limit)d个字符(当前%(n)d个)。") % {"limit": limit, "n": len(cleaned[key])}
                )
    if "name" in cleaned and not cleaned["name"]:
        errors.setdefault("name", []).append(_("请填写单位名称。"))
    if "category" in cleaned and cleaned["category"] not in Category.values:
        errors.setdefault("category", []).append(_("未知的单位类别“%(value)s”。") % {"value": cleaned["category"]})
    if "party_org_form" in cleaned:
        cleaned["party_org_form"] = cleaned["party_org_form"] or PartyOrgForm.NONE
        if cleaned["party_org_form"] not in PartyOrgForm.values:
            errors.setdefault("party_org_form", []).append(
                _("未知的党组织形式“%(value)s”。") % {"value": cleaned["party_org_form"]}
            )
    if "party_member_count" in cleaned:
        count = cleaned["party_member_count"]
        if count in (None, ""):
            count = 0
        try:
            count = int(count)
        except (TypeError, ValueError):
            count = -1
        if count < 0 or count > MAX_PARTY_MEMBERS:
            errors.setdefault("party_member_count", []).append(
                _("党员人数应为0到%(max)d之间的整数。") % {"max": MAX_PARTY_MEMBERS}
            )
        cleaned["party_member_count"] = count
    if "contact_phone" in cleaned and cleaned["contact_phone"]:
        phone = cleaned["contact_phone"].replace(" ", "")
        if not all(c.isdigit() or c in "-+" for c in phone) or len(phone) < 7:
            errors.setdefault("contact_phone", []).append(_("联系电话格式不正确。"))
    if "credit_code" in cleaned:
        code = normalize_credit_code(cleaned["credit_code"])
        cleaned["credit_code"] = code
        try:
            validate_credit_code(code)
            clash = MemberUnit.objects.filter(tenant_id=tenant_id, credit_code=code) if check_unique else None
        except ValidationError as exc:
            errors.setdefault("credit_code", []).extend(exc.messages)
            clash = None
        if clash is not None:
            if exclude_pk is not None:
                clash = clash.exclude(pk=exclude_pk)
            if clash.exists():
                errors.setdefault("credit_code", []).append(
                    _("统一社会信用代码“%(code)s”已登记在其他成员单位。") % {"code": code}
                )
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def member_unit_create(*, user, alliance: Alliance, join: bool = True, joined_on: dt.date | None = None,
                       **fields) -> MemberUnit:
    """Register a unit under `alliance` and, by default, make it a member there."""
    require_permission(user=user, alliance=alliance, perm=MANAGE_MEMBERSHIP)
    missing = [f for f in ("name", "category", "credit_code") if f not in fields]
    if missing:
        raise ValidationError({f: _("此项为必填项。") for f in missing})
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    cleaned = _clean_unit_fields(tenant_id=alliance.tenant_id, fields=fields)
    try:
        with transaction.atomic():
            unit = MemberUnit.objects.create(
                tenant_id=alliance.tenant_id, alliance=alliance, alliance_path=alliance.path, **cleaned
            )
    except IntegrityError:
        # A concurrent request registered the same code between our check and our insert.
        raise ValidationError({"credit_code": _("统一社会信用代码“%(code)s”已登记在其他成员单位。")
                               % {"code": cleaned["credit_code"]}}) from None
    if join:
        Membership.objects.create(
            tenant_id=alliance.tenant_id, alliance=alliance, alliance_path=alliance.path, unit=unit,
            role=MembershipRole.MEMBER, joined_on=joined_on or timezone.localdate(),
        )
    return unit


@transaction.atomic
def member_unit_update(*, user, unit: MemberUnit, **fields) -> MemberUnit:
    """Edit a unit; the user needs the membership permission where the unit is registered."""
    require_permission(user=user, alliance=unit.alliance, perm=MANAGE_MEMBERSHIP)
    unknown = set(fields) - set(UNIT_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    cleaned = _clean_unit_fields(tenant_id=unit.tenant_id, fields=fields, exclude_pk=unit.pk)
    for name, value in cleaned.items():
        setattr(unit, name, value)
    if cleaned:
        try:
            with transaction.atomic():
                unit.save(update_fields=[*cleaned, "updated_at"])
        except IntegrityError:
            raise ValidationError({"credit_code": _("统一社会信用代码“%(code)s”已登记在其他成员单位。")
                                   % {"code": unit.credit_code}}) from None
    return unit


@transaction.atomic
def membership_create(*, user, unit: MemberUnit, alliance: Alliance, role: str = MembershipRole.MEMBER,
                      joined_on: dt.date | None = None, representative: str = "") -> Membership:
    """A unit joins an alliance (its community's, or an industry alliance). One active row each."""
    require_permission(user=user, alliance=alliance, perm=MANAGE_MEMBERSHIP)
    if unit.tenant_id != alliance.tenant_id:
        raise ValidationError({"unit": _("成员单位与党建共同体不属于同一租户。")})
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("未知的成员角色。")})
    # Lock the unit so that two concurrent joins cannot both pass the check below.
    MemberUnit.objects.select_for_update().filter(pk=unit.pk).first()
    if Membership.objects.filter(unit=unit, alliance=alliance, left_on__isnull=True).exists():
        raise ValidationError({"unit": _("“%(unit)s”已是“%(alliance)s”的成员。") % {
            "unit": unit.name, "alliance": alliance.name}})
    return Membership.objects.create(
        tenant_id=alliance.tenant_id, alliance=alliance, alliance_path=alliance.path, unit=unit,
        role=role, joined_on=joined_on or timezone.localdate(), representative=representative.strip(),
    )


@transaction.atomic
def membership_update(*, user, membership: Membership, role: str | None = None,
                      representative: str | None = None, left_on: dt.date | None = None) -> Membership:
    """Change the role (兼职委员, 轮值主席) or end the membership with a leaving date."""
    require_permission(user=user, alliance=membership.alliance, perm=MANAGE_MEMBERSHIP)
    # Re-read under a lock: two "end membership" requests must not both succeed.
    membership = Membership.objects.select_for_update().select_related("alliance", "unit").get(pk=membership.pk)
    update = []
    if role is not None:
        if role not in MembershipRole.values:
            raise ValidationError({"role": _("未知的成员角色。")})
        membership.role = role
        update.append("role")
    if representative is not None:
        membership.representative = representative.strip()
        update.append("representative")
    if left_on is not None:
        if membership.left_on is not None:
            raise ValidationError({"left_on": _("该成员关系已经结束。")})
        if left_on < membership.joined_on:
            raise ValidationError({"left_on": _("退出日期不能早于加入日期。")})
        membership.left_on = left_on
        update.append("left_on")
    if update:
        membership.save(update_fields=update)
    return membership


def role_assignment_validate(*, user, target: User | None, alliance: Alliance, role: str,
                             member_unit: MemberUnit | None = None) -> None:
    """The rules of giving a role; the admin form calls it before saving, role_assign always."""
    if role not in Role.values:
        raise ValidationError({"role": _("未知的角色。")})
    if target is not None and target.tenant_id not in (None, alliance.tenant_id):
        raise ValidationError({"user": _("该账号属于其他区,不能在这里授予角色。")})
    scope = user_scope(user)
    if not scope.is_superuser:
        require_permission(user=user, alliance=alliance, perm=MANAGE_ROLES)
        if role == Role.DISTRICT_ADMIN and not scope.strictly_below(MANAGE_TREE, alliance.path):
            raise PermissionDenied(_("组织部管理员角色只能由上一级组织部授予。"))
    if role == Role.LIAISON:
        if member_unit is None:
            raise ValidationError({"member_unit": _("联络员必须绑定一个成员单位。")})
        inside = member_unit.tenant_id == alliance.tenant_id and (
            member_unit.alliance_path.startswith(alliance.path)
            or Membership.objects.filter(
                unit=member_unit, alliance_path__startswith=alliance.path, left_on__isnull=True
            ).exists()
        )
        if not inside:
            raise ValidationError({"member_unit": _("该成员单位不在这个党建共同体之内。")})
    elif member_unit is not None:
        raise ValidationError({"member_unit": _("只有联络员角色绑定成员单位。")})


def _sync_roles(*, target: User, alliance: Alliance) -> None:
    roles = set(RoleAssignment.objects.filter(user=target, alliance=alliance).values_list("role", flat=True))
    alliance_permissions_sync(user=target, alliance=alliance, roles=roles)
    forget_liaison_units(target)
    # District admins work in the Django admin too; the flag follows the role.
    is_staff = target.is_superuser or RoleAssignment.objects.filter(user=target, role=Role.DISTRICT_ADMIN).exists()
    update = []
    if target.is_staff != is_staff:
        target.is_staff = is_staff
        update.append("is_staff")
    if target.tenant_id is None and not target.is_superuser:
        target.tenant_id = alliance.tenant_id
        update.append("tenant")
    if update:
        target.save(update_fields=update)


@transaction.atomic
def role_assign(*, user, target: User, alliance: Alliance, role: str,
                member_unit: MemberUnit | None = None) -> RoleAssignment:
    """Give `target` a role on `alliance` (and its subtree). Nobody grants more than they hold."""
    role_assignment_validate(user=user, target=target, alliance=alliance, role=role, member_unit=member_unit)
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=target, alliance=alliance, role=role,
        defaults={"tenant_id": alliance.tenant_id, "alliance_path": alliance.path,
                  "member_unit": member_unit, "granted_by": user if user.is_authenticated else None},
    )
    _sync_roles(target=target, alliance=alliance)
    return assignment


@transaction.atomic
def role_revoke(*, user, assignment: RoleAssignment) -> None:
    if not user_scope(user).is_superuser:
        require_permission(user=user, alliance=assignment.alliance, perm=MANAGE_ROLES)
    target, alliance = assignment.user, assignment.alliance
    assignment.delete()
    _sync_roles(target=target, alliance=alliance)
