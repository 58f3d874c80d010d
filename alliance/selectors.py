"""The subtree rule. Every other selector in the project starts from `user_scope`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Alliance, AllianceUserObjectPermission
from .roles import VIEW

_CACHE_ATTR = "_alliance_scope"


def _minimal_prefixes(paths: set[str]) -> tuple[str, ...]:
    """Drop paths that lie under another path of the set: the prefix already covers them."""
    kept: list[str] = []
    for path in sorted(paths):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


@dataclass(frozen=True)
class Scope:
    """What one user may see and do: for each permission, the roots of the subtrees it holds on."""

    user_id: int | None
    is_superuser: bool = False
    prefixes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tenant_ids: frozenset[int] = frozenset()
    # The alliances the user was given a role on, for the home page.
    role_alliance_ids: frozenset[int] = frozenset()

    def allows(self, perm: str, path: str) -> bool:
        if self.is_superuser:
            return True
        return any(path.startswith(prefix) for prefix in self.prefixes.get(perm, ()))

    def strictly_below(self, perm: str, path: str) -> bool:
        """The permission holds on a node above `path`, not on `path` itself: peers cannot promote."""
        if self.is_superuser:
            return True
        return any(path.startswith(p) and path != p for p in self.prefixes.get(perm, ()))

    def filter_q(self, perm: str = VIEW, *, path_field: str = "path", tenant_field: str = "tenant_id") -> Q:
        """A Q that keeps only rows whose alliance lies in a subtree where `perm` holds."""
        if self.is_superuser:
            return Q()
        prefixes = self.prefixes.get(perm, ())
        if not prefixes:
            return Q(pk__in=[])
        q = Q()
        for prefix in prefixes:
            q |= Q(**{f"{path_field}__startswith": prefix})
        # The tenant column lets a sharded database route the query to one shard.
        return Q(**{f"{tenant_field}__in": sorted(self.tenant_ids)}) & q

    def strictly_below_q(self, perm: str, *, path_field: str = "alliance_path") -> Q:
        """Rows strictly below the nodes where `perm` holds (not on those nodes themselves)."""
        if self.is_superuser:
            return Q()
        q = Q(pk__in=[])
        for prefix in self.prefixes.get(perm, ()):
            q |= Q(**{f"{path_field}__startswith": prefix}) & ~Q(**{path_field: prefix})
        return q

    def scope_queryset(self, qs: QuerySet, perm: str = VIEW, *, path_field: str = "alliance_path",
                       tenant_field: str = "tenant_id") -> QuerySet:
        return qs.filter(self.filter_q(perm, path_field=path_field, tenant_field=tenant_field))


def user_scope(user) -> Scope:
    """Resolve the user's scope from its guardian rows: one query, cached on the user object."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        scope = Scope(user_id=None)
    elif user.is_superuser:
        scope = Scope(user_id=user.pk, is_superuser=True)
    else:
        rows = AllianceUserObjectPermission.objects.filter(
            user_id=user.pk, content_object__is_active=True
        ).values_list(
            "permission__codename", "content_object__path", "content_object__tenant_id",
            "content_object_id",
        )
        by_perm: dict[str, set[str]] = {}
        tenants: set[int] = set()
        alliance_ids: set[int] = set()
        for codename, path, tenant_id, alliance_id in rows:
            by_perm.setdefault(codename, set()).add(path)
            tenants.add(tenant_id)
            alliance_ids.add(alliance_id)
        scope = Scope(
            user_id=user.pk,
            prefixes={perm: _minimal_prefixes(paths) for perm, paths in by_perm.items()},
            tenant_ids=frozenset(tenants),
            role_alliance_ids=frozenset(alliance_ids),
        )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope after the user's roles change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def alliance_list(*, user, perm: str = VIEW) -> QuerySet[Alliance]:
    scope = user_scope(user)
    return Alliance.objects.filter(scope.filter_q(perm)).select_related("tenant")


def alliance_get_for_user(*, user, pk, perm: str = VIEW) -> Alliance:
    """The one way to fetch an alliance for a user: missing and not yours are the same 404."""
    try:
        return alliance_list(user=user, perm=perm).get(pk=pk)
    except (Alliance.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该党建共同体。")) from None


def alliance_descendants(*, alliance: Alliance, include_self: bool = False) -> QuerySet[Alliance]:
    """All descendants, at any depth, in one indexed prefix query."""
    qs = Alliance.objects.filter(tenant_id=alliance.tenant_id, path__startswith=alliance.path)
    if not include_self:
        qs = qs.exclude(pk=alliance.pk)
    return qs.order_by("path")


TREE_ROW_FIELDS = ("id", "path", "depth", "numchild", "name", "level", "kind", "code", "is_active")


def alliance_tree_rows(*, alliance: Alliance, include_self: bool = False) -> list[dict]:
    """The whole subtree as plain rows, in tree order, with each row's parent id: one query.

    For tree views and for systems that mirror the tree. Plain rows from plain SQL, not model
    objects: building 1,600 model instances costs ten times the query itself, and the ORM's
    query building is a fifth of the rest (bench/tree_bench.py, target 10 ms).
    """
    table = connection.ops.quote_name(Alliance._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in TREE_ROW_FIELDS)
    exclude_self = "" if include_self else " AND id <> %s"
    params = [alliance.tenant_id, _like_prefix(alliance.path)] + ([] if include_self else [alliance.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE tenant_id = %s AND path LIKE %s{exclude_self} ORDER BY path",
            params,
        )
        rows = [dict(zip(TREE_ROW_FIELDS, row, strict=True)) for row in cursor.fetchall()]
    ids_by_path = {alliance.path: alliance.pk, **{row["path"]: row["id"] for row in rows}}
    for row in rows:
        row["is_active"] = bool(row["is_active"])  # SQLite answers 0/1
        row["parent"] = ids_by_path.get(row["path"][: -Alliance.steplen]) if row["depth"] > 1 else None
    return rows


def _like_prefix(path: str) -> str:
    # Paths use 0-9A-Z only, so there is nothing to escape for LIKE.
    return path + "%"


def alliance_ancestor_paths(path: str) -> list[str]:
    step = Alliance.steplen
    return [path[:end] for end in range(step, len(path), step)]


def alliance_ancestors(*, alliance: Alliance) -> QuerySet[Alliance]:
    """All ancestors, root first, in one query on the unique path index."""
    return Alliance.objects.filter(
        tenant_id=alliance.tenant_id, path__in=alliance_ancestor_paths(alliance.path)
    ).order_by("path")


def alliance_children(*, alliance: Alliance) -> QuerySet[Alliance]:
    return alliance_descendants(alliance=alliance).filter(depth=alliance.depth + 1)


def alliance_home_list(*, user) -> QuerySet[Alliance]:
    """The alliances the user was given a role on (for a superuser: the roots)."""
    scope = user_scope(user)
    if scope.is_superuser:
        return Alliance.objects.filter(depth=1).select_related("tenant")
    return Alliance.objects.filter(pk__in=sorted(scope.role_alliance_ids)).select_related("tenant")


class Crumb(NamedTuple):
    pk: int
    name: str
    path: str


def alliance_ancestor_crumbs(*, alliance: Alliance) -> list[Crumb]:
    """The ancestors as (pk, name, path), root first: one query on the unique path index.

    Every page shows a breadcrumb, so this is plain SQL: building the ORM query costs
    more than PostgreSQL takes to answer it (bench/tree_bench.py, target 1 ms).
    """
    paths = alliance_ancestor_paths(alliance.path)
    if not paths:
        return []
    table = connection.ops.quote_name(Alliance._meta.db_table)
    placeholders = ", ".join(["%s"] * len(paths))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name, path FROM {table} WHERE tenant_id = %s AND path IN ({placeholders}) ORDER BY path",
            [alliance.tenant_id, *paths],
        )
        return [Crumb(*row) for row in cursor.fetchall()]


def alliance_breadcrumb(*, user, alliance: Alliance) -> list[tuple[Crumb, bool]]:
    """The ancestors root first, each with whether the user may open it."""
    scope = user_scope(user)
    return [(crumb, scope.allows(VIEW, crumb.path)) for crumb in alliance_ancestor_crumbs(alliance=alliance)]
