"""Reads of the party-member work, all starting from the subtree rule (alliance.selectors.user_scope).

Who sees a party member: the roles that see every unit of the member's community (VIEW_ALL_UNITS:
district, secretaries, staff, observers), the liaison of the member's employer unit (the employer's
organisation sees where its members reported), and the member themself. Phone and ID numbers are
shown in full only to the member and to secretaries (CHANGE) of the community or above.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.privacy import mask_id_number, mask_phone
from alliance.roles import CHANGE, VIEW, VIEW_ALL_UNITS
from alliance.selectors import user_scope
from members.selectors import liaison_unit_ids
from tasks.models import Item, ItemSource
from tasks.models import Status as ItemStatus

from .models import (
    Attendance,
    Order,
    OrderStatus,
    PartyMember,
    PointEntry,
    PostClaim,
    Report,
    ServicePost,
    TimeBankEntry,
)
from .services import report_day

_MEMBER_ATTR = "_party_member"


def own_member(user) -> PartyMember | None:
    """The user's own party-member record, if any (cached on the user: one query per request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, _MEMBER_ATTR):
        setattr(user, _MEMBER_ATTR, PartyMember.objects.select_related("community", "employer_unit")
                .filter(user_id=user.pk).first())
    return getattr(user, _MEMBER_ATTR)


def _member_q(user, prefix: str = "") -> Q | None:
    """None means everything (superuser)."""
    scope = user_scope(user)
    if scope.is_superuser:
        return None
    q = scope.filter_q(VIEW_ALL_UNITS, path_field=f"{prefix}alliance_path", tenant_field=f"{prefix}tenant_id")
    own_units = liaison_unit_ids(user)
    if own_units:
        q |= Q(**{f"{prefix}employer_unit_id__in": sorted(own_units)})
    if getattr(user, "is_authenticated", False):
        q |= Q(**{f"{prefix}user_id": user.pk})
    return q


def _scoped(qs: QuerySet, user, prefix: str = "") -> QuerySet:
    q = _member_q(user, prefix)
    return qs if q is None else qs.filter(q)


def party_member_list(*, user) -> QuerySet[PartyMember]:
    qs = PartyMember.objects.select_related("community", "employer_unit")
    return _scoped(qs, user).annotate(
        is_reported=Exists(Report.objects.filter(member_id=OuterRef("pk"), ended_at__isnull=True)))


def party_member_get_for_user(*, user, pk) -> PartyMember:
    try:
        return party_member_list(user=user).get(pk=pk)
    except (PartyMember.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该党员。")) from None


def may_see_personal(user, member: PartyMember) -> bool:
    """The member themself, and secretaries (CHANGE) of the member's community or above."""
    if member.user_id is not None and member.user_id == getattr(user, "pk", None):
        return True
    return user_scope(user).allows(CHANGE, member.alliance_path)


def with_personal(user, members):
    """Set `phone_shown` and `id_shown` on each member: full or masked, for this user."""
    for member in members:
        full = may_see_personal(user, member)
        member.phone_shown = member.phone if full else mask_phone(member.phone)
        member.id_shown = member.id_number if full else mask_id_number(member.id_number)
    return members


def report_list(*, user) -> QuerySet[Report]:
    return _scoped(Report.objects.select_related("member", "community"), user, "member__")


def report_get_for_user(*, user, pk) -> Report:
    try:
        return report_list(user=user).get(pk=pk)
    except (Report.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该报到记录。")) from None


def active_reports(*, members) -> dict[int, Report]:
    """Each member's active report, one query."""
    return {r.member_id: r for r in Report.objects.filter(member__in=list(members), ended_at__isnull=True)
            .select_related("community")}


# --- the report-day register ---------------------------------------------------------------

def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month - dt.timedelta(days=1)).replace(day=1)


def register(*, community: Alliance, month: dt.date) -> list[dict]:
    """The register of one month's report day: each member reported to the community by that day,
    and whether (and when) they came. `community` must come from alliance_get_for_user. 2 queries."""
    month = month_start(month)
    day = report_day(month)
    until = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    members = list(
        PartyMember.objects.filter(reports__community=community, reports__ended_at__isnull=True,
                                   reports__reported_at__lt=until)
        .select_related("employer_unit").order_by("name", "pk").distinct()
    )
    came = dict(Attendance.objects.filter(member__in=members, month=month).values_list("member_id", "attended_on"))
    return [{"member": m, "attended_on": came.get(m.pk), "came": m.pk in came} for m in members]


def last_report_days(*, today: dt.date, n: int = 3) -> list[dt.date]:
    """The last `n` report days on or before today, newest first."""
    month = month_start(today)
    if report_day(month) > today:
        month = previous_month(month)
    days = []
    for _i in range(n):
        days.append(report_day(month))
        month = previous_month(month)
    return days


def absent_three_months(*, community: Alliance, today: dt.date | None = None) -> QuerySet[PartyMember]:
    """连续三个月未报到: members reported to the community before the first of the last three report
    days, who came on none of them. One query."""
    days = last_report_days(today=today or timezone.localdate())
    first = days[-1]
    before = timezone.make_aware(dt.datetime.combine(first + dt.timedelta(days=1), dt.time.min))
    months = [month_start(d) for d in days]
    return (
        PartyMember.objects.filter(reports__community=community, reports__ended_at__isnull=True,
                                   reports__reported_at__lt=before)
        .exclude(Exists(Attendance.objects.filter(member_id=OuterRef("pk"), month__in=months)))
        .select_related("employer_unit").order_by("name", "pk").distinct()
    )


# --- posts, claims, orders ------------------------------------------------------------------

def post_list(*, user) -> QuerySet[ServicePost]:
    """Posts in the user's subtree; for a member, the posts of their home community."""
    scope = user_scope(user)
    qs = ServicePost.objects.select_related("community")
    if scope.is_superuser:
        return qs
    q = scope.filter_q(VIEW, path_field="alliance_path")
    member = own_member(user)
    if member is not None:
        q |= Q(community_id=member.community_id)
    return qs.filter(q)


def post_get_for_user(*, user, pk) -> ServicePost:
    try:
        return post_list(user=user).get(pk=pk)
    except (ServicePost.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该岗位。")) from None


def with_places(posts: QuerySet[ServicePost]) -> QuerySet[ServicePost]:
    from django.db.models import Count

    return posts.annotate(held=Count("claims", filter=Q(claims__status__in=["claimed", "confirmed"])))


def claim_list(*, user) -> QuerySet[PostClaim]:
    return _scoped(PostClaim.objects.select_related("post", "post__community", "member"), user, "member__")


def claim_get_for_user(*, user, pk) -> PostClaim:
    try:
        return claim_list(user=user).get(pk=pk)
    except (PostClaim.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该认岗记录。")) from None


def order_list(*, user) -> QuerySet[Order]:
    return _scoped(Order.objects.select_related("member", "item", "item__alliance"), user, "member__")


def order_get_for_user(*, user, pk) -> Order:
    try:
        return order_list(user=user).get(pk=pk)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该接单。")) from None


def orderable_items(*, member: PartyMember) -> QuerySet[Item]:
    """Residents' new demands handled in the member's community that nobody has taken."""
    taken = Order.objects.filter(item_id=OuterRef("pk")).exclude(status=OrderStatus.CANCELLED)
    return (Item.objects.filter(alliance_id=member.community_id, source=ItemSource.DEMAND, status=ItemStatus.NEW)
            .exclude(Exists(taken)).order_by("due_at", "pk"))


def orderable_item_get(*, member: PartyMember, pk) -> Item:
    try:
        return orderable_items(member=member).get(pk=pk)
    except (Item.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该事项。")) from None


# --- points and the time bank ---------------------------------------------------------------

def point_entry_list(*, user) -> QuerySet[PointEntry]:
    return _scoped(PointEntry.objects.select_related("member", "reverses").annotate(
        is_reversed=Exists(PointEntry.objects.filter(reverses_id=OuterRef("pk")))), user, "member__")


def point_entry_get_for_user(*, user, pk) -> PointEntry:
    try:
        return point_entry_list(user=user).get(pk=pk)
    except (PointEntry.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该积分记录。")) from None


def timebank_list(*, user) -> QuerySet[TimeBankEntry]:
    return _scoped(TimeBankEntry.objects.select_related("member"), user, "member__")


def points_total(member: PartyMember) -> int:
    return PointEntry.objects.filter(member=member).aggregate(total=Sum("points"))["total"] or 0


def timebank_total(member: PartyMember) -> Decimal:
    return TimeBankEntry.objects.filter(member=member).aggregate(total=Sum("hours"))["total"] or Decimal("0")


def ranking_members(*, alliance: Alliance, limit: int = 50) -> QuerySet[PartyMember]:
    """Members living in the alliance's subtree by their points. `alliance` comes from the scope."""
    return (PartyMember.objects.filter(tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path)
            .annotate(total=Sum("point_entries__points")).filter(total__isnull=False)
            .select_related("community", "employer_unit").order_by("-total", "name", "pk")[:limit])


def ranking_units(*, alliance: Alliance, limit: int = 50) -> list[dict]:
    """Employer units by their members' points, members living in the alliance's subtree."""
    return list(
        PointEntry.objects.filter(member__tenant_id=alliance.tenant_id,
                                  member__alliance_path__startswith=alliance.path,
                                  member__employer_unit__isnull=False)
        .values("member__employer_unit_id", "member__employer_unit__name")
        .annotate(total=Sum("points")).order_by("-total", "member__employer_unit__name")[:limit]
    )


def item_for_member(*, member: PartyMember, pk) -> Item:
    """An item handled in the member's community (any state: the service says why it cannot be taken)."""
    try:
        return Item.objects.get(alliance_id=member.community_id, tenant_id=member.tenant_id, pk=pk)
    except (Item.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该事项。")) from None
