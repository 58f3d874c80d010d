"""Every write to the tree and to the permissions held on it."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.http import Http404
from django.utils.translation import gettext as _

from .models import (
    LEVEL_RANK,
    Alliance,
    AllianceUserObjectPermission,
    Kind,
    Level,
    Tenant,
    TenantOwned,
)
from .roles import MANAGE_TREE, ROLE_PERMISSIONS, VIEW
from .selectors import forget_scope, user_scope


def require_permission(*, user, alliance: Alliance, perm: str) -> None:
    """404 where the user cannot see the alliance at all, 403 where it sees but may not act."""
    scope = user_scope(user)
    if not scope.allows(VIEW, alliance.path):
        raise Http404(_("没有找到该党建共同体。"))
    if not scope.allows(perm, alliance.path):
        raise PermissionDenied(_("您没有在该党建共同体执行此操作的权限。"))


def _lock_tree(tenant_id: int) -> None:
    """Serialise the writes that change a tenant's tree shape: lock its root row."""
    list(Alliance.objects.select_for_update().filter(tenant_id=tenant_id, depth=1).values_list("pk", flat=True))


def _validate_placement(*, parent: Alliance | None, level: str, kind: str) -> None:
    if level not in Level.values:
        raise ValidationError({"level": _("未知的层级。")})
    if kind not in Kind.values:
        raise ValidationError({"kind": _("未知的类型。")})
    if parent is None:
        return
    parent_rank = LEVEL_RANK[Level(parent.level)]
    rank = LEVEL_RANK[Level(level)]
    # An industry or professional alliance may sit beside the regional one of its level.
    if parent.level == Level.GRID:
        raise ValidationError({"level": _("网格是最末一级,不能再设下级共同体。")})
    if rank < parent_rank or (rank == parent_rank and kind == Kind.REGIONAL):
        raise ValidationError(
            {"level": _("“%(level)s”级共同体不能设在“%(parent)s”级共同体之下。") % {
                "level": Level(level).label, "parent": Level(parent.level).label}}
        )


def _validate_code(*, tenant_id: int, code: str, exclude_pk: int | None = None) -> str:
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("请填写行政区划代码。")})
    qs = Alliance.objects.filter(tenant_id=tenant_id, code=code)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"code": _("代码“%(code)s”在本租户内已被使用。") % {"code": code}})
    return code


def _validate_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写名称。")})
    return name


@transaction.atomic
def tenant_create(*, name: str, code: str, level: str = Level.DISTRICT,
                  initiating_organisation: str = "") -> Alliance:
    """A new tenant and its root alliance. Platform operators only (management command, admin)."""
    name = _validate_name(name)
    code = (code or "").strip()
    if not code:
        raise ValidationError({"code": _("请填写行政区划代码。")})
    if Tenant.objects.filter(code=code).exists():
        raise ValidationError({"code": _("代码“%(code)s”已被其他租户使用。") % {"code": code}})
    _validate_placement(parent=None, level=level, kind=Kind.REGIONAL)
    tenant = Tenant.objects.create(name=name, code=code)
    return Alliance.objects.add_root(create_kwargs={
        "tenant": tenant, "name": name, "level": level, "kind": Kind.REGIONAL, "code": code,
        "initiating_organisation": initiating_organisation,
    })


@transaction.atomic
def alliance_create(*, user, parent: Alliance, name: str, level: str, code: str,
                    kind: str = Kind.REGIONAL, initiating_organisation: str = "",
                    description: str = "") -> Alliance:
    """Add an alliance under `parent`; the user needs the tree permission on the parent."""
    require_permission(user=user, alliance=parent, perm=MANAGE_TREE)
    name = _validate_name(name)
    _lock_tree(parent.tenant_id)
    parent = Alliance.objects.get(pk=parent.pk)
    _validate_placement(parent=parent, level=level, kind=kind)
    code = _validate_code(tenant_id=parent.tenant_id, code=code)
    return Alliance.objects.add_child(parent, create_kwargs={
        "tenant_id": parent.tenant_id, "name": name, "level": level, "kind": kind, "code": code,
        "initiating_organisation": initiating_organisation.strip(), "description": description.strip(),
    })  # the tree lock above makes the code check and the insert one step


@transaction.atomic
def alliance_update(*, user, alliance: Alliance, **fields) -> Alliance:
    """Edit the alliance's own fields; its place in the tree changes only through alliance_move."""
    require_permission(user=user, alliance=alliance, perm="change_alliance")
    allowed = {"name", "code", "kind", "level", "initiating_organisation", "description", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("不能修改字段:%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "name" in fields:
        fields["name"] = _validate_name(fields["name"])
    if "code" in fields or "level" in fields or "kind" in fields:
        _lock_tree(alliance.tenant_id)
    if "code" in fields:
        fields["code"] = _validate_code(tenant_id=alliance.tenant_id, code=fields["code"],
                                        exclude_pk=alliance.pk)
    if ("level" in fields or "kind" in fields) and (
        fields.get("level", alliance.level), fields.get("kind", alliance.kind)) != (alliance.level, alliance.kind):
        level, kind = fields.get("level", alliance.level), fields.get("kind", alliance.kind)
        if alliance.depth == 1 and level != alliance.level:
            raise ValidationError({"level": _("租户根节点的层级不能修改。")})
        _validate_placement(parent=Alliance.objects.get_parent(alliance), level=level, kind=kind)
        # The children must still fit under the new level.
        for child in Alliance.objects.filter(tenant_id=alliance.tenant_id, path__startswith=alliance.path,
                                             depth=alliance.depth + 1):
            try:
                _validate_placement(parent=Alliance(level=level, kind=kind), level=child.level, kind=child.kind)
            except ValidationError:
                raise ValidationError({"level": _("下级“%(child)s”不能设在“%(level)s”级共同体之下,请先调整下级。")
                                       % {"child": child.name, "level": Level(level).label}}) from None
    for name, value in fields.items():
        setattr(alliance, name, value.strip() if isinstance(value, str) else value)
    if fields:
        alliance.save(update_fields=[*fields, "updated_at"])
    return alliance


def _tenant_owned_models() -> list[type[TenantOwned]]:
    return [m for m in apps.get_models() if issubclass(m, TenantOwned)]


@transaction.atomic
def alliance_move(*, user, alliance: Alliance, new_parent: Alliance) -> Alliance:
    """Move a subtree under another parent of the same tenant. Never under itself (a cycle)."""
    require_permission(user=user, alliance=alliance, perm=MANAGE_TREE)
    require_permission(user=user, alliance=new_parent, perm=MANAGE_TREE)
    # Serialise tree changes, then re-read both nodes: a concurrent move may have changed paths.
    _lock_tree(alliance.tenant_id)
    alliance = Alliance.objects.get(pk=alliance.pk)
    new_parent = Alliance.objects.get(pk=new_parent.pk)
    if alliance.depth == 1:
        raise ValidationError({"parent": _("租户的根节点不能移动。")})
    if new_parent.tenant_id != alliance.tenant_id:
        raise ValidationError({"parent": _("不能移动到其他租户。")})
    if new_parent.path.startswith(alliance.path):
        raise ValidationError({"parent": _("不能把共同体移动到它自己或它的下级之下,这会形成循环。")})
    _validate_placement(parent=new_parent, level=alliance.level, kind=alliance.kind)
    old_path = alliance.path
    Alliance.objects.move(alliance, new_parent, pos="last-child")
    alliance.refresh_from_db()
    new_path = alliance.path
    # Every tenant-owned row carries its alliance's path: rewrite the moved prefix.
    for model in _tenant_owned_models():
        model.objects.filter(tenant_id=alliance.tenant_id, alliance_path__startswith=old_path).update(
            alliance_path=Concat(Value(new_path), Substr("alliance_path", len(old_path) + 1))
        )
    return alliance


def _permission_ids(codenames) -> dict[str, int]:
    return dict(
        Permission.objects.filter(
            content_type__app_label="alliance", content_type__model="alliance", codename__in=codenames
        ).values_list("codename", "pk")
    )


@transaction.atomic
def alliance_permissions_sync(*, user, alliance: Alliance, roles: set[str]) -> None:
    """Make the user's guardian rows on `alliance` exactly those of `roles` (idempotent)."""
    wanted = frozenset().union(*(ROLE_PERMISSIONS[r] for r in roles)) if roles else frozenset()
    ids = _permission_ids(wanted)
    existing = set(
        AllianceUserObjectPermission.objects.filter(user=user, content_object=alliance)
        .values_list("permission_id", flat=True)
    )
    AllianceUserObjectPermission.objects.filter(user=user, content_object=alliance).exclude(
        permission_id__in=ids.values()
    ).delete()
    AllianceUserObjectPermission.objects.bulk_create(
        [
            AllianceUserObjectPermission(user=user, content_object=alliance, permission_id=pid)
            for pid in ids.values()
            if pid not in existing
        ]
    )
    forget_scope(user)
