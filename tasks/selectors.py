"""Reads of items, scoped: the handling alliance's subtree, the origin's subtree, a liaison's unit."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.privacy import mask_phone
from alliance.roles import HANDLE_ITEMS, VIEW, VIEW_ALL_UNITS
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
    # The liaison clause below is limited to VIEW subtrees: when they all lie inside the user's
    # VIEW_ALL_UNITS subtrees it adds no row, so its query (the liaison's units) is skipped.
    all_units = scope.prefixes.get(VIEW_ALL_UNITS, ())
    covered = all(any(path.startswith(p) for p in all_units) for path in scope.prefixes.get(VIEW, ()))
    own = frozenset() if covered else liaison_unit_ids(user)
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


def item_contact_visible(user, item: Item) -> bool:
    """A resident's name and phone on an item are for whoever handles it now and must call back
    (HANDLE_ITEMS on the item's alliance); units, observers, other levels and API clients without
    that permission see them masked (个人信息保护法: the minimum necessary)."""
    return user_scope(user).allows(HANDLE_ITEMS, item.alliance_path)


def _mask_name(name: str) -> str:
    name = (name or "").strip()
    return f"{name[0]}{'*' * (len(name) - 1)}" if len(name) > 1 else ("*" if name else "")


def item_requester(*, user, item: Item) -> tuple[str, str]:
    """The resident's (name, phone) as `user` may see them: in full, or masked (王**, 138****5678)."""
    if item_contact_visible(user, item):
        return item.requester_name, item.requester_phone
    return _mask_name(item.requester_name), mask_phone(item.requester_phone)


def item_requester_masker(user):
    """`item_requester` for a whole page of rows: `(alliance_path, name, phone) -> (name, phone)`.

    The same rule as `item_contact_visible` (HANDLE_ITEMS on the item's alliance), with the scope
    resolved once and the answer remembered per path."""
    scope = user_scope(user)
    visible: dict[str, bool] = {}

    def requester(path: str, name: str, phone: str) -> tuple[str, str]:
        shown = visible.get(path)
        if shown is None:
            shown = visible[path] = scope.allows(HANDLE_ITEMS, path)
        if shown:
            return name, phone
        return _mask_name(name), mask_phone(phone)

    return requester
