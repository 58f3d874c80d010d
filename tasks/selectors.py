"""Reads of items, scoped: the handling alliance's subtree, the origin's subtree, a liaison's unit."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import VIEW, VIEW_ALL_UNITS
from alliance.selectors import user_scope
from members.selectors import liaison_unit_ids

from .models import OPEN_STATUSES, Item, ItemEvent


def item_list(*, user) -> QuerySet[Item]:
    """Items handled in, or raised in, the user's subtrees; for a liaison, its unit's items and
    the new ones nobody has taken yet."""
    scope = user_scope(user)
    qs = Item.objects.select_related("alliance", "origin", "assignee_unit", "assignee_user")
    if scope.is_superuser:
        return qs
    q = scope.filter_q(VIEW_ALL_UNITS, path_field="alliance_path") | scope.filter_q(
        VIEW_ALL_UNITS, path_field="origin_path"
    )
    own = liaison_unit_ids(user)
    if own:
        # A liaison follows its unit's items, and sees the open demands it may take (抢单).
        q |= scope.filter_q(VIEW, path_field="alliance_path") & (
            Q(assignee_unit_id__in=sorted(own)) | Q(status="new", assignee_unit__isnull=True)
        )
    return qs.filter(q)


def item_get_for_user(*, user, pk) -> Item:
    try:
        return item_list(user=user).get(pk=pk)
    except (Item.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该事项。")) from None


INBOXES = ("new", "mine", "overdue", "escalated_to_us", "escalated_by_us", "resolved", "all")


def item_inbox(*, user, alliance: Alliance, box: str) -> QuerySet[Item]:
    """One alliance's inbox. `alliance` must already come from alliance_get_for_user."""
    items = item_list(user=user)
    here = items.filter(alliance_id=alliance.pk)
    now = timezone.now()
    if box == "new":
        return here.filter(status="new")
    if box == "mine":
        return here.filter(assignee_user_id=user.pk, status__in=OPEN_STATUSES)
    if box == "overdue":
        return here.filter(status__in=OPEN_STATUSES, due_at__lt=now)
    if box == "escalated_to_us":
        return here.filter(status__in=OPEN_STATUSES, escalations__gt=0).exclude(origin_id=alliance.pk)
    if box == "escalated_by_us":
        return items.filter(origin_id=alliance.pk, status__in=OPEN_STATUSES).exclude(alliance_id=alliance.pk)
    if box == "resolved":
        return here.filter(status="resolved")
    return here


def item_events(*, item: Item) -> QuerySet[ItemEvent]:
    return item.events.select_related("actor", "from_alliance", "to_alliance").order_by("created_at", "pk")


def item_for_follow_token(*, token: str) -> Item:
    """The public follow page: the secret link is the only key."""
    try:
        return Item.objects.select_related("alliance", "origin").get(follow_token=token)
    except Item.DoesNotExist:
        raise Http404(_("没有找到该事项。")) from None
