"""Reads of member units, memberships and roles, all starting from the subtree rule."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.privacy import mask_phone
from alliance.roles import MANAGE_MEMBERSHIP, VIEW, VIEW_ALL_UNITS, Role
from alliance.selectors import user_scope

from .models import Membership, MemberUnit, RoleAssignment

_LIAISON_ATTR = "_liaison_unit_ids"


def liaison_unit_ids(user) -> frozenset[int]:
    """The units a liaison speaks for: the second (and last) query of a user's scope."""
    cached = getattr(user, _LIAISON_ATTR, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False):
        ids: frozenset[int] = frozenset()
    else:
        ids = frozenset(
            RoleAssignment.objects.filter(user_id=user.pk, role=Role.LIAISON, alliance__is_active=True)
            .values_list("member_unit_id", flat=True)
        )
    setattr(user, _LIAISON_ATTR, ids)
    return ids


def forget_liaison_units(user) -> None:
    if hasattr(user, _LIAISON_ATTR):
        delattr(user, _LIAISON_ATTR)


def _unit_visibility_q(user, perm: str = VIEW_ALL_UNITS) -> Q | None:
    """None means everything (superuser).

    Units registered in the subtree, plus units with an active membership there. The two
    indexed prefix scans are combined with UNION inside one subquery: an OR across the two
    tables would make PostgreSQL scan every unit of the tenant.
    """
    scope = user_scope(user)
    if scope.is_superuser:
        return None
    registered = MemberUnit.objects.filter(scope.filter_q(perm, path_field="alliance_path")).order_by()
    joined = (
        Membership.objects.filter(left_on__isnull=True)
        .filter(scope.filter_q(perm, path_field="alliance_path"))
        .order_by()
        .values_list("unit_id")
    )
    q = Q(pk__in=registered.values_list("pk").union(joined))
    if perm == VIEW_ALL_UNITS:
        own = liaison_unit_ids(user)
        if own:
            q |= Q(pk__in=sorted(own))
    if scope.tenant_ids:
        q &= Q(tenant_id__in=sorted(scope.tenant_ids))
    return q


def member_unit_list(*, user, perm: str = VIEW_ALL_UNITS) -> QuerySet[MemberUnit]:
    """Units registered in, or members of, the user's subtree; a liaison's own units."""
    qs = MemberUnit.objects.select_related("alliance")
    q = _unit_visibility_q(user, perm)
    return qs if q is None else qs.filter(q)


def member_unit_get_for_user(*, user, pk, perm: str = VIEW_ALL_UNITS) -> MemberUnit:
    try:
        return member_unit_list(user=user, perm=perm).get(pk=pk)
    except (MemberUnit.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该成员单位。")) from None


def membership_list(*, user) -> QuerySet[Membership]:
    """Memberships in alliances of the user's subtree; a liaison sees its own units' only."""
    scope = user_scope(user)
    qs = Membership.objects.select_related("unit", "alliance")
    if scope.is_superuser:
        return qs
    q = scope.filter_q(VIEW_ALL_UNITS, path_field="alliance_path")
    own = liaison_unit_ids(user)
    if own:
        q |= scope.filter_q(VIEW, path_field="alliance_path") & Q(unit_id__in=sorted(own))
    return qs.filter(q)


def membership_get_for_user(*, user, pk) -> Membership:
    try:
        return membership_list(user=user).get(pk=pk)
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该成员关系。")) from None


def alliance_memberships(*, user, alliance: Alliance, active_only: bool = True) -> QuerySet[Membership]:
    qs = membership_list(user=user).filter(alliance_id=alliance.pk)
    if active_only:
        qs = qs.filter(left_on__isnull=True)
    return qs.order_by("unit__name", "pk")


def alliance_counts(*, alliance: Alliance) -> dict[str, int]:
    """Figures for the alliance page, one query for the tree and one for the memberships."""
    tree = Alliance.objects.filter(tenant_id=alliance.tenant_id, path__startswith=alliance.path).aggregate(
        descendants=Count("pk", filter=~Q(pk=alliance.pk)),
        children=Count("pk", filter=Q(depth=alliance.depth + 1)),
    )
    units = Membership.objects.filter(
        tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path, left_on__isnull=True
    ).aggregate(
        direct=Count("unit_id", filter=Q(alliance_id=alliance.pk), distinct=True),
        subtree=Count("unit_id", distinct=True),
        committee=Count("pk", filter=Q(alliance_id=alliance.pk, role__in=["committee", "chair"])),
    )
    return {**tree, **{f"units_{k}": v for k, v in units.items()}}


def role_assignment_list(*, user) -> QuerySet[RoleAssignment]:
    scope = user_scope(user)
    qs = RoleAssignment.objects.select_related("user", "alliance", "member_unit")
    if scope.is_superuser:
        return qs
    return qs.filter(scope.filter_q("manage_roles", path_field="alliance_path"))


def can_manage_units(*, user, alliance: Alliance) -> bool:
    return user_scope(user).allows(MANAGE_MEMBERSHIP, alliance.path)


def unit_contact_visible(user, unit: MemberUnit) -> bool:
    """A unit's contact phone is for those who keep its register entry (MANAGE_MEMBERSHIP where it
    is registered: its community, street and district secretaries and staff) and for the unit's own
    liaison; observers, other levels and API clients without that permission see it masked."""
    return user_scope(user).allows(MANAGE_MEMBERSHIP, unit.alliance_path) or unit.pk in liaison_unit_ids(user)


def unit_contact_phone(*, user, unit: MemberUnit) -> str:
    """The contact phone as `user` may see it: in full, or masked (138****5678)."""
    return unit.contact_phone if unit_contact_visible(user, unit) else mask_phone(unit.contact_phone)
