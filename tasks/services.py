"""Every change of an item: its workflow, deadlines, escalation up the tree and ratings.

new → accepted (接单) → in_progress → resolved (办结) → closed (after confirmation and rating);
new/accepted → rejected with a reason. Open items past their deadline go up one level.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pghistory
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import HANDLE_ITEMS, VIEW
from alliance.selectors import alliance_ancestor_paths, user_scope
from members.models import MemberUnit, User
from members.selectors import liaison_unit_ids
from webhooks.models import EventKind as WebhookEvent
from webhooks.payloads import ITEM_ROW_FIELDS, emit_item, emit_items_escalated

from . import notifications
from .calendar import DeadlineBook, deadline_for
from .models import (
    OPEN_STATUSES,
    Category,
    EventKind,
    Item,
    ItemEvent,
    ItemSource,
    Rating,
    RatingStatus,
    Status,
)

MAX_TITLE = 200


def _actor_label(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return user.get_full_name()


def _event(item: Item, kind: str, *, user=None, label: str = "", from_status: str = "", to_status: str = "",
           from_alliance: Alliance | None = None, to_alliance: Alliance | None = None,
           deadline: dt.datetime | None = None, note: str = "") -> ItemEvent:
    return ItemEvent(
        tenant_id=item.tenant_id, item=item, kind=kind,
        actor=user if getattr(user, "is_authenticated", False) else None,
        actor_label=label or _actor_label(user), from_status=from_status, to_status=to_status,
        from_alliance=from_alliance, to_alliance=to_alliance, deadline=deadline, note=note,
    )


def _may_handle(user, item: Item) -> bool:
    return user_scope(user).allows(HANDLE_ITEMS, item.alliance_path)


def _require_handler(user, item: Item) -> None:
    """Staff and secretaries of the handling alliance (or above) act on an item."""
    scope = user_scope(user)
    visible = scope.allows(VIEW, item.alliance_path) or scope.allows(VIEW, item.origin_path)
    if not visible and item.assignee_unit_id not in liaison_unit_ids(user):
        raise Http404(_("没有找到该事项。"))
    if not scope.allows(HANDLE_ITEMS, item.alliance_path):
        raise PermissionDenied(_("只有当前办理层级的书记或工作人员可以执行此操作。"))


def _require_status(item: Item, allowed, action: str) -> None:
    if item.status not in allowed:
        raise ValidationError(
            _("事项当前状态为“%(status)s”,不能%(action)s。") % {"status": item.get_status_display(),
                                                              "action": action}
        )


def _lock(item: Item) -> Item:
    """Re-read the item under a row lock: the check and the write see the same state."""
    return Item.objects.select_for_update().select_related("alliance", "origin").get(pk=item.pk)


@transaction.atomic
def item_create(*, user, alliance: Alliance, title: str, source: str, description: str = "",
                category: str = Category.OTHER, requester_name: str = "", requester_phone: str = "",
                assignee_unit: MemberUnit | None = None, idempotency_key: str | None = None,
                now: dt.datetime | None = None, due_at: dt.datetime | None = None) -> tuple[Item, bool]:
    """Raise an item at `alliance`. With an idempotency key a retried create returns the first item.

    Returns (item, created). `user` is None for a resident's public demand or for work the system
    raises itself (a commitment's due date). `due_at` overrides the SLA deadline where the date
    was agreed beforehand (a resolution's action, a commitment).
    """
    if user is not None:
        scope = user_scope(user)
        if not scope.allows(VIEW, alliance.path):
            raise Http404(_("没有找到该党建共同体。"))
        if not scope.allows(HANDLE_ITEMS, alliance.path):
            raise PermissionDenied(_("只有本级书记或工作人员可以登记事项。"))
    if idempotency_key and (user is None or len(idempotency_key) > 80):
        raise ValidationError({"idempotency_key": [_("幂等键最长80个字符,且只用于已登录的调用方。")]})
    if idempotency_key:
        # A key is the caller's own: another account's key neither matches nor shows.
        existing = Item.objects.filter(created_by_id=user.pk, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    errors = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("请填写事项标题。")]
    elif len(title) > MAX_TITLE:
        errors["title"] = [_("标题不能超过%(n)d个字。") % {"n": MAX_TITLE}]
    if category not in Category.values:
        errors["category"] = [_("未知的事项类别。")]
    if source not in ItemSource.values:
        errors["source"] = [_("未知的事项来源。")]
    if source == ItemSource.DEMAND and not (requester_phone or "").strip() and user is None:
        errors["requester_phone"] = [_("请留下联系电话,以便反馈办理结果。")]
    if assignee_unit is not None and assignee_unit.tenant_id != alliance.tenant_id:
        errors["assignee_unit"] = [_("承办单位不在本租户。")]
    if due_at is not None and timezone.is_naive(due_at):
        errors["due_at"] = [_("请填写有效的办理期限。")]
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    alliance = Alliance.objects.select_related("tenant").get(pk=alliance.pk)
    item = Item(
        tenant_id=alliance.tenant_id, alliance=alliance, alliance_path=alliance.path,
        origin=alliance, origin_path=alliance.path, title=title, description=(description or "").strip(),
        category=category, source=source, requester_name=(requester_name or "").strip(),
        requester_phone=(requester_phone or "").strip(), assignee_unit=assignee_unit,
        status=Status.NEW, created_by=user if user is not None and user.is_authenticated else None,
        idempotency_key=idempotency_key or None,
        due_at=due_at or deadline_for(tenant_id=alliance.tenant_id, level=alliance.level, category=category,
                                      start=now),
    )
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        if idempotency_key:  # a concurrent retry with the same key won the race
            return Item.objects.get(created_by_id=user.pk, idempotency_key=idempotency_key), False
        raise
    item.reference = f"{alliance.tenant.code}-{timezone.localtime(now):%Y}-{item.pk:07d}"
    item.save(update_fields=["reference"])
    # Without a user an item is a resident's demand, or work the platform raises itself (a commitment's due date).
    creator = "" if user else _("群众") if source == ItemSource.DEMAND else _("系统")
    _event(item, EventKind.CREATED, user=user, label=creator,
           to_status=Status.NEW, to_alliance=alliance, deadline=item.due_at).save()
    emit_item(WebhookEvent.ITEM_CREATED, item)
    return item, True


@transaction.atomic
def item_claim(*, user, item: Item, unit: MemberUnit | None = None, note: str = "") -> Item:
    """接单: a unit (through its liaison) or a staff member takes a new item; the secretary confirms."""
    item = _lock(item)
    _require_status(item, (Status.NEW,), _("接单"))
    scope = user_scope(user)
    own_units = liaison_unit_ids(user)
    if unit is not None:
        if unit.pk not in own_units and not scope.allows(HANDLE_ITEMS, item.alliance_path):
            raise PermissionDenied(_("只能以本单位名义接单。"))
        if not scope.allows(VIEW, item.alliance_path):
            raise Http404(_("没有找到该事项。"))
        item.assignee_unit = unit
    else:
        _require_handler(user, item)
        item.assignee_user = user
    item.status = Status.ACCEPTED
    item.save(update_fields=["assignee_unit", "assignee_user", "status", "updated_at"])
    _event(item, EventKind.ACCEPTED, user=user, from_status=Status.NEW, to_status=Status.ACCEPTED,
           note=note or (unit.name if unit else "")).save()
    return item


@transaction.atomic
def item_start(*, user, item: Item, assignee_unit: MemberUnit | None = None, assignee_user: User | None = None,
               note: str = "") -> Item:
    """The secretary confirms the taker (or assigns one) and the work begins. `assignee_user`
    assigns the item to a person other than the acting user: someone who may handle items of the
    item's alliance (its staff or secretaries, or those of an alliance above it); the timeline
    records it as assigned (指派) to that person by the acting user."""
    item = _lock(item)
    _require_handler(user, item)
    _require_status(item, (Status.NEW, Status.ACCEPTED), _("开始办理"))
    if assignee_unit is not None and assignee_user is not None:
        raise ValidationError(_("承办单位和承办人只能指定一个。"))
    if assignee_unit is not None:
        if assignee_unit.tenant_id != item.tenant_id:
            raise ValidationError({"assignee_unit": _("承办单位不在本租户。")})
        item.assignee_unit = assignee_unit
    if assignee_user is not None:
        if (assignee_user.tenant_id != item.tenant_id or not assignee_user.is_active
                or not user_scope(assignee_user).allows(HANDLE_ITEMS, item.alliance_path)):
            raise ValidationError({"assignee_user": [
                _("%(name)s不是本级或上级的书记或工作人员,不能承办该事项。") % {
                    "name": assignee_user.get_full_name() or assignee_user.username}]})
        item.assignee_unit = None
        item.assignee_user = assignee_user
    if item.assignee_unit_id is None and item.assignee_user_id is None:
        item.assignee_user = user
    before = item.status
    item.status = Status.IN_PROGRESS
    item.save(update_fields=["assignee_unit", "assignee_user", "status", "updated_at"])
    if assignee_user is not None and assignee_user.pk != user.pk:
        assigned = _("指派给%(name)s") % {"name": assignee_user.get_full_name() or assignee_user.username}
        _event(item, EventKind.ASSIGNED, user=user, from_status=before, to_status=Status.IN_PROGRESS,
               note=f"{assigned}\n{note}" if note else assigned).save()
    else:
        _event(item, EventKind.STARTED, user=user, from_status=before, to_status=Status.IN_PROGRESS,
               note=note).save()
    return item


@transaction.atomic
def item_resolve(*, user, item: Item, note: str) -> Item:
    """办结: the handler reports the result; the origin must still confirm it."""
    item = _lock(item)
    if _may_handle(user, item):
        _require_status(item, (Status.ACCEPTED, Status.IN_PROGRESS), _("办结"))
    elif item.assignee_unit_id in liaison_unit_ids(user):
        # A unit reports the result once the secretary has confirmed its claim (开始办理).
        _require_status(item, (Status.IN_PROGRESS,), _("办结"))
    else:
        _require_handler(user, item)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写办理结果。")})
    before = item.status
    item.status = Status.RESOLVED
    item.resolution_note = note
    item.resolved_at = timezone.now()
    item.save(update_fields=["status", "resolution_note", "resolved_at", "updated_at"])
    _event(item, EventKind.RESOLVED, user=user, from_status=before, to_status=Status.RESOLVED, note=note).save()
    emit_item(WebhookEvent.ITEM_RESOLVED, item)
    return item


@transaction.atomic
def item_reject(*, user, item: Item, reason: str) -> Item:
    """驳回: not a matter for the platform, with the reason the origin will read."""
    item = _lock(item)
    _require_handler(user, item)
    _require_status(item, (Status.NEW, Status.ACCEPTED), _("驳回"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写驳回理由。")})
    before = item.status
    item.status = Status.REJECTED
    item.rejected_reason = reason
    item.closed_at = timezone.now()
    item.save(update_fields=["status", "rejected_reason", "closed_at", "updated_at"])
    _event(item, EventKind.REJECTED, user=user, from_status=before, to_status=Status.REJECTED, note=reason).save()
    return item


def item_rater_path(item: Item) -> str:
    """以下评上: the level just below the handler on the way to the origin, or the origin itself."""
    if item.alliance_path == item.origin_path:
        return item.origin_path
    return item.origin_path[: len(item.alliance_path) + Alliance.steplen]


def _require_rater(user, item: Item, *, by_resident: bool) -> None:
    """A resident's demand is confirmed and rated by the resident (the follow link), anything
    else by the level below the handler: nobody closes its own work on paper."""
    if by_resident:
        if item.source != ItemSource.DEMAND:
            raise PermissionDenied(_("只有群众点单由群众确认和评价。"))
        return
    if item.source == ItemSource.DEMAND:
        raise PermissionDenied(_("群众点单由提出的群众本人确认和评价。"))
    _require_origin(user, item)


def _require_origin(user, item: Item) -> None:
    scope = user_scope(user)
    if not (scope.allows(VIEW, item.origin_path) or scope.allows(VIEW, item.alliance_path)):
        raise Http404(_("没有找到该事项。"))
    rater_path = item_rater_path(item)
    if not scope.allows(HANDLE_ITEMS, rater_path):
        raise PermissionDenied(_("只有提出事项的下一级可以确认和评价。"))
    if rater_path != item.alliance_path and scope.allows(HANDLE_ITEMS, item.alliance_path):
        # 以下评上: whoever handles it does not rate it, even with a role on the level below.
        raise PermissionDenied(_("不能评价本级办理的事项,应由下一级评价。"))


@transaction.atomic
def item_confirm(*, user=None, item: Item, solved: bool, note: str = "", by_resident: bool = False) -> Item:
    """The one who raised it says whether it is really solved (no closing on paper)."""
    item = _lock(item)
    _require_rater(user, item, by_resident=by_resident)
    _require_status(item, (Status.RESOLVED,), _("确认"))
    if item.confirmed_at is not None:
        raise ValidationError(_("该事项已经确认过。"))
    label = _("群众") if by_resident else ""
    if solved:
        item.confirmed_at = timezone.now()
        item.save(update_fields=["confirmed_at", "updated_at"])
        _event(item, EventKind.CONFIRMED, user=user, label=label, note=note).save()
    else:
        if not (note or "").strip():
            raise ValidationError({"note": _("请说明哪里还没有解决。")})
        item.status = Status.IN_PROGRESS
        item.resolved_at = None
        item.save(update_fields=["status", "resolved_at", "updated_at"])
        _event(item, EventKind.REOPENED, user=user, label=label, from_status=Status.RESOLVED,
               to_status=Status.IN_PROGRESS, note=note).save()
    return item


@transaction.atomic
def item_rate(*, user=None, item: Item, score: int, comment: str = "", by_resident: bool = False) -> Rating:
    """一事一评: one rating per item, once it is confirmed; the rating closes the item."""
    item = _lock(item)
    _require_rater(user, item, by_resident=by_resident)
    _require_status(item, (Status.RESOLVED,), _("评价"))
    if item.confirmed_at is None:
        raise ValidationError(_("请先确认事项已经解决,再评价。"))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("评分应为1到5分。")})
    if Rating.objects.filter(item=item).exists():
        raise ValidationError(_("该事项已经评价过。"))
    rating = Rating.objects.create(
        tenant_id=item.tenant_id, item=item, score=score, comment=(comment or "").strip(),
        rated_alliance_id=item.alliance_id, by_user=user if user is not None else None, by_resident=by_resident,
    )
    now = timezone.now()
    item.status = Status.CLOSED
    item.closed_at = now
    item.save(update_fields=["status", "closed_at", "updated_at"])
    label = _("群众") if by_resident else ""
    ItemEvent.objects.bulk_create([
        _event(item, EventKind.RATED, user=user, label=label, note=f"{score}/5 {rating.comment}".strip()),
        _event(item, EventKind.CLOSED, user=user, label=label, from_status=Status.RESOLVED,
               to_status=Status.CLOSED),
    ])
    emit_item(WebhookEvent.ITEM_RATED, item, rating={"score": score, "by_resident": by_resident})
    return rating


def _parent(alliance: Alliance) -> Alliance | None:
    paths = alliance_ancestor_paths(alliance.path)
    if not paths:
        return None
    return Alliance.objects.get(tenant_id=alliance.tenant_id, path=paths[-1])


@transaction.atomic
def item_escalate(*, user, item: Item, reason: str) -> Item:
    """逐级提交上一级: a secretary hands an open item to the parent alliance, with a fresh deadline."""
    item = _lock(item)
    _require_handler(user, item)
    _require_status(item, OPEN_STATUSES, _("上报"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明上报的原因。")})
    parent = _parent(item.alliance)
    if parent is None:
        raise ValidationError(_("已经是最高一级,无法继续上报。"))
    _move_up(item, parent, now=timezone.now(), user=user, note=reason).save()
    emit_item(WebhookEvent.ITEM_ESCALATED, item)
    return item


def _move_up(item: Item, parent: Alliance, *, now: dt.datetime, user=None, note: str) -> ItemEvent:
    """Point the item at the parent with a fresh deadline; returns the (unsaved) event.

    A hand escalation records no deadline: none was missed, and the unique (item, deadline)
    rule is there for the sweep. (An item escalated, sent back and escalated again on one day
    would otherwise break it.)
    """
    from_alliance = item.alliance
    item.alliance = parent
    item.alliance_path = parent.path
    item.escalations += 1
    item.due_at = deadline_for(tenant_id=item.tenant_id, level=parent.level, category=item.category, start=now)
    item.save(update_fields=["alliance", "alliance_path", "escalations", "due_at", "updated_at"])
    return _event(item, EventKind.ESCALATED, user=user, from_alliance=from_alliance, to_alliance=parent,
                  note=note)


@transaction.atomic
def item_send_back(*, user, item: Item, instructions: str) -> Item:
    """The upper level sends an item one level back down, toward where it was raised."""
    item = _lock(item)
    _require_handler(user, item)
    _require_status(item, OPEN_STATUSES, _("发回"))
    instructions = (instructions or "").strip()
    if not instructions:
        raise ValidationError({"instructions": _("请写明对下级的办理要求。")})
    if item.alliance_path == item.origin_path:
        raise ValidationError(_("事项就在提出地办理,没有可以发回的下级。"))
    child_path = item.origin_path[: len(item.alliance_path) + Alliance.steplen]
    child = Alliance.objects.get(tenant_id=item.tenant_id, path=child_path)
    from_alliance = item.alliance
    now = timezone.now()
    item.alliance = child
    item.alliance_path = child.path
    item.overdue_at_root = False
    item.due_at = deadline_for(tenant_id=item.tenant_id, level=child.level, category=item.category, start=now)
    item.save(update_fields=["alliance", "alliance_path", "overdue_at_root", "due_at", "updated_at"])
    _event(item, EventKind.SENT_BACK, user=user, from_alliance=from_alliance, to_alliance=child,
           note=instructions).save()
    return item


def escalate_overdue_batch(*, now: dt.datetime | None = None, batch_size: int = 500,
                           tally: notifications.EscalationTally | None = None) -> int:
    """One batch of the sweep: open items past their deadline go up one level; at the root they
    are marked overdue for the district and never selected again. Safe with concurrent sweeps:
    rows are locked with SKIP LOCKED, and the unique (item, deadline) constraint on escalation
    events backs the rule that a missed deadline is escalated once. Returns rows handled.

    The receiving alliances' secretaries are notified in the batch's transaction; or, given a
    `tally`, the batch adds what it escalated to it once it has committed, and the caller (a sweep
    of many batches) notifies once at the end (notify_escalations).
    """
    now = now or timezone.now()
    received = notifications.EscalationTally()
    # The audit trail (audit app) records these bulk updates under the sweep's name.
    with transaction.atomic(), pghistory.context(task="escalate_overdue"):
        # Plain rows, not model instances: at 500 rows a batch the instances cost more than the SQL.
        rows = list(
            Item.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=OPEN_STATUSES, overdue_at_root=False, due_at__lt=now)
            .order_by("due_at")
            .values_list("pk", "tenant_id", "title", "category", "due_at", "alliance_id", "alliance_path")[:batch_size]
        )
        if not rows:
            return 0
        step = Alliance.steplen
        parent_paths = {path[:-step] for *_rest, path in rows if len(path) > step}
        parents = {(a.tenant_id, a.path): a for a in Alliance.objects.filter(path__in=parent_paths)
                   .only("pk", "tenant_id", "path", "level")}
        book = DeadlineBook(start=now)
        system, late, overdue_note = _("系统"), _("系统(超期自动上报)"), _("已超过区级办理期限,由区委组织部督办。")
        escalated_note = _("超过办理期限未办结,自动提交上一级。")
        events = []
        at_root: list[int] = []
        # Items that get the same parent and the same new deadline move in one UPDATE.
        groups: dict[tuple[int, dt.datetime], list[int]] = defaultdict(list)
        for pk, tenant_id, title, category, missed, alliance_id, path in rows:
            if len(path) == step:
                at_root.append(pk)
                events.append(ItemEvent(tenant_id=tenant_id, item_id=pk, kind=EventKind.OVERDUE,
                                        actor_label=system, deadline=missed, note=overdue_note))
                continue
            parent = parents[(tenant_id, path[:-step])]
            due_at = book.deadline(tenant_id=tenant_id, level=parent.level, category=category)
            events.append(ItemEvent(tenant_id=tenant_id, item_id=pk, kind=EventKind.ESCALATED, actor_label=late,
                                    from_alliance_id=alliance_id, to_alliance_id=parent.pk, deadline=missed,
                                    note=escalated_note))
            groups[(parent.pk, due_at)].append(pk)
            received.add(parent.pk, title)
        ItemEvent.objects.bulk_create(events)
        for (parent_id, due_at), pks in groups.items():
            parent_path = next(a.path for a in parents.values() if a.pk == parent_id)
            Item.objects.filter(pk__in=pks).update(
                alliance_id=parent_id, alliance_path=parent_path, escalations=F("escalations") + 1,
                due_at=due_at, updated_at=now,
            )
        if at_root:
            Item.objects.filter(pk__in=at_root).update(overdue_at_root=True, updated_at=now)
        if groups:  # webhooks: one query and one emit for the whole batch
            emit_items_escalated(Item.objects.filter(pk__in=[pk for pks in groups.values() for pk in pks])
                                 .values(*ITEM_ROW_FIELDS))
        if received and tally is None:
            notifications.notify_escalations(tally=received)
    if tally is not None:
        tally.merge(received)
    return len(rows)


@transaction.atomic
def rating_appeal(*, user, rating: Rating, reason: str) -> Rating:
    """The handler thinks a rating unfair and asks the level above to decide."""
    rating = Rating.objects.select_for_update().select_related("item", "rated_alliance").get(pk=rating.pk)
    item = rating.item
    scope = user_scope(user)
    parents = alliance_ancestor_paths(rating.rated_alliance.path)
    if not parents:
        raise ValidationError(_("区级办理的评价没有上一级可以裁定,不能申诉。"))
    # The appeal comes from the rated level itself; the level above decides and so cannot appeal.
    if not scope.allows(HANDLE_ITEMS, rating.rated_alliance.path) or scope.allows(HANDLE_ITEMS, parents[-1]):
        raise PermissionDenied(_("只有被评价的办理层级可以申诉。"))
    if rating.status != RatingStatus.VALID:
        raise ValidationError(_("该评价已经申诉过。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明申诉理由。")})
    rating.status = RatingStatus.APPEALED
    rating.appeal_reason = reason
    rating.save(update_fields=["status", "appeal_reason"])
    _event(item, EventKind.APPEALED, user=user, note=reason).save()
    return rating


@transaction.atomic
def rating_decide(*, user, rating: Rating, uphold: bool, reason: str) -> Rating:
    """The level above the rated one upholds or voids an appealed rating, with its reasons kept."""
    rating = Rating.objects.select_for_update().select_related("item", "rated_alliance").get(pk=rating.pk)
    parent_paths = alliance_ancestor_paths(rating.rated_alliance.path)
    scope = user_scope(user)
    if not parent_paths or not scope.allows(HANDLE_ITEMS, parent_paths[-1]):
        raise PermissionDenied(_("申诉由被评价层级的上一级裁定。"))
    if rating.status != RatingStatus.APPEALED:
        raise ValidationError(_("该评价没有待裁定的申诉。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明裁定理由。")})
    rating.status = RatingStatus.UPHELD if uphold else RatingStatus.VOIDED
    rating.decision_reason = reason
    rating.save(update_fields=["status", "decision_reason"])
    _event(rating.item, EventKind.APPEAL_DECIDED, user=user,
           note=(_("维持原评价:") if uphold else _("撤销原评价:")) + reason).save()
    return rating


def close_unrated_batch(*, now: dt.datetime | None = None, after: dt.timedelta, batch_size: int = 500) -> int:
    """Resolved items nobody rated within `after` close themselves (they count as unconfirmed)."""
    now = now or timezone.now()
    with transaction.atomic():
        items = list(
            Item.objects.select_for_update(skip_locked=True)
            .filter(status=Status.RESOLVED, resolved_at__lt=now - after)
            .order_by("resolved_at")[:batch_size]
        )
        for item in items:
            item.status = Status.CLOSED
            item.closed_at = now
        Item.objects.bulk_update(items, ["status", "closed_at"])
        ItemEvent.objects.bulk_create([
            _event(item, EventKind.CLOSED, label=_("系统"), from_status=Status.RESOLVED, to_status=Status.CLOSED,
                   note=_("超过评价期限未评价,自动关闭。"))
            for item in items
        ])
        return len(items)


def notifications_mark_read(*, user) -> int:
    from .models import Notification

    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
