import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from tasks.models import EventKind, Item, ItemEvent, Notification, Rating, RatingStatus, Status
from tasks.services import (
    escalate_overdue_batch,
    item_claim,
    item_confirm,
    item_create,
    item_escalate,
    item_rate,
    item_reject,
    item_resolve,
    item_send_back,
    item_start,
    rating_appeal,
    rating_decide,
)

from ..conftest import fresh


def raise_item(tree, alliance=None, user=None, **extra):
    extra.setdefault("title", "楼道堆放杂物")
    extra.setdefault("source", "grid")
    extra.setdefault("category", "environment")
    item, _created = item_create(user=fresh(user or tree.community_secretary_a1),
                                 alliance=alliance or tree.community_a1, **extra)
    return item


def kinds(item):
    return list(ItemEvent.objects.filter(item=item).order_by("pk").values_list("kind", flat=True))


def test_the_whole_loop_leaves_a_timeline(tree):
    item = raise_item(tree)
    assert item.reference.startswith("500104-") and item.status == Status.NEW
    item = item_claim(user=fresh(tree.liaison_a1), item=item, unit=tree.unit_a1)
    assert item.status == Status.ACCEPTED and item.assignee_unit_id == tree.unit_a1.pk
    item = item_start(user=fresh(tree.community_secretary_a1), item=item)
    item = item_resolve(user=fresh(tree.liaison_a1), item=item, note="已清理楼道")
    assert item.status == Status.RESOLVED
    item = item_confirm(user=fresh(tree.community_secretary_a1), item=item, solved=True)
    item_rate(user=fresh(tree.community_secretary_a1), item=item, score=5, comment="及时")
    item.refresh_from_db()
    assert item.status == Status.CLOSED
    assert kinds(item) == ["created", "accepted", "started", "resolved", "confirmed", "rated", "closed"]


@pytest.mark.parametrize("action", ["resolve", "confirm", "rate"])
def test_illegal_transitions_are_refused_with_the_status_named(tree, action):
    item = raise_item(tree)
    user = fresh(tree.community_secretary_a1)
    with pytest.raises(ValidationError) as exc:
        if action == "resolve":
            item_resolve(user=user, item=item, note="x")
        elif action == "confirm":
            item_confirm(user=user, item=item, solved=True)
        else:
            item_rate(user=user, item=item, score=4)
    assert "待接单" in exc.value.messages[0]
    assert Item.objects.get(pk=item.pk).status == Status.NEW
    assert kinds(item) == ["created"]


def test_not_solved_reopens_instead_of_closing_on_paper(tree):
    item = raise_item(tree)
    item = item_start(user=fresh(tree.community_secretary_a1), item=item)
    item = item_resolve(user=fresh(tree.community_secretary_a1), item=item, note="已处理")
    item = item_confirm(user=fresh(tree.community_secretary_a1), item=item, solved=False, note="杂物还在")
    assert item.status == Status.IN_PROGRESS and item.confirmed_at is None
    with pytest.raises(ValidationError):
        item_rate(user=fresh(tree.community_secretary_a1), item=item, score=5)


def test_reject_needs_a_reason(tree):
    item = raise_item(tree)
    with pytest.raises(ValidationError):
        item_reject(user=fresh(tree.community_secretary_a1), item=item, reason=" ")
    item = item_reject(user=fresh(tree.community_secretary_a1), item=item, reason="不属于社区职责,已告知12345")
    assert item.status == Status.REJECTED


def test_a_neighbour_cannot_touch_the_item(tree):
    item = raise_item(tree)
    with pytest.raises(Http404):
        item_start(user=fresh(tree.community_secretary_a2), item=item)
    with pytest.raises(PermissionDenied):
        item_start(user=fresh(tree.observer), item=item)
    with pytest.raises(PermissionDenied):
        item_claim(user=fresh(tree.liaison_a1), item=item, unit=tree.unit_a1_other)


def test_manual_escalation_and_send_back_with_fresh_deadlines(tree):
    item = raise_item(tree)
    first_due = item.due_at
    item = item_escalate(user=fresh(tree.community_secretary_a1), item=item, reason="涉及物业与业委会,社区协调不了")
    assert item.alliance_id == tree.street_a.pk and item.escalations == 1 and item.due_at > first_due
    # The community still sees what it handed up; the street now handles it.
    with pytest.raises(PermissionDenied):
        item_start(user=fresh(tree.community_secretary_a1), item=item)
    item = item_send_back(user=fresh(tree.secretary_a), item=item, instructions="请社区先召开三方联席会议")
    assert item.alliance_id == tree.community_a1.pk
    assert kinds(item) == ["created", "escalated", "sent_back"]


def test_the_root_cannot_escalate_further(tree):
    item = raise_item(tree, alliance=tree.district, user=tree.district_admin)
    with pytest.raises(ValidationError):
        item_escalate(user=fresh(tree.district_admin), item=item, reason="x")


def test_the_sweep_walks_community_street_district_overdue_and_stops(tree):
    item = raise_item(tree)
    secretary = tree.secretary_a
    now = timezone.now()
    later = [now + dt.timedelta(days=d) for d in (10, 30, 60, 90)]
    assert escalate_overdue_batch(now=later[0]) == 1
    item.refresh_from_db()
    assert item.alliance_id == tree.street_a.pk
    assert Notification.objects.filter(user=secretary).count() == 1
    assert escalate_overdue_batch(now=later[1]) == 1
    item.refresh_from_db()
    assert item.alliance_id == tree.district.pk and not item.overdue_at_root
    assert escalate_overdue_batch(now=later[2]) == 1
    item.refresh_from_db()
    assert item.overdue_at_root and item.alliance_id == tree.district.pk
    # Nothing left to select: an item at the root is never picked again.
    assert escalate_overdue_batch(now=later[3]) == 0
    assert kinds(item) == ["created", "escalated", "escalated", "overdue"]
    assert [e.deadline is not None for e in item.events.all()][1:] == [True, True, True]


def test_an_escalation_is_recorded_once_per_deadline(tree):
    item = raise_item(tree)
    escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10))
    event = ItemEvent.objects.get(item=item, kind=EventKind.ESCALATED)
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemEvent.objects.create(tenant_id=item.tenant_id, item=item, kind=EventKind.ESCALATED,
                                 deadline=event.deadline)


def test_escalation_mail_is_sent_after_commit(tree, django_capture_on_commit_callbacks):
    tree.secretary_a.email = "chunhui@example.cn"
    tree.secretary_a.save(update_fields=["email"])
    raise_item(tree)
    with django_capture_on_commit_callbacks(execute=True):
        escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10))
    assert [m.to for m in mail.outbox] == [["chunhui@example.cn"]]
    assert "楼道堆放杂物" in mail.outbox[0].body
    assert f"/alliances/{tree.street_a.pk}/items/?box=escalated_to_us" in mail.outbox[0].body


def test_nothing_is_sent_when_the_transaction_rolls_back(tree, django_capture_on_commit_callbacks):
    tree.secretary_a.email = "chunhui@example.cn"
    tree.secretary_a.save(update_fields=["email"])
    raise_item(tree)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError), \
            transaction.atomic():
        escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10))
        raise RuntimeError("rolled back")
    assert callbacks == [] and mail.outbox == []
    assert Item.objects.get().alliance_id == tree.community_a1.pk


def test_the_lower_level_rates_the_upper_and_an_appeal_goes_above(tree):
    item = raise_item(tree)
    item = item_escalate(user=fresh(tree.community_secretary_a1), item=item, reason="需要街道协调")
    item = item_start(user=fresh(tree.secretary_a), item=item)
    item = item_resolve(user=fresh(tree.secretary_a), item=item, note="街道协调物业已处理")
    with pytest.raises(PermissionDenied):  # the street does not rate itself
        item_confirm(user=fresh(tree.secretary_a), item=item, solved=True)
    item = item_confirm(user=fresh(tree.community_secretary_a1), item=item, solved=True)
    rating = item_rate(user=fresh(tree.community_secretary_a1), item=item, score=2, comment="拖了很久")
    assert rating.rated_alliance_id == tree.street_a.pk
    rating = rating_appeal(user=fresh(tree.secretary_a), rating=rating, reason="超期系物业原因")
    with pytest.raises(PermissionDenied):  # the street cannot decide its own appeal
        rating_decide(user=fresh(tree.secretary_a), rating=rating, uphold=False, reason="x")
    rating = rating_decide(user=fresh(tree.district_admin), rating=rating, uphold=False, reason="核实属实")
    assert Rating.objects.get(pk=rating.pk).status == RatingStatus.VOIDED
    assert kinds(item)[-2:] == ["appealed", "appeal_decided"]


def test_a_retried_create_with_the_same_key_returns_the_first_item(tree):
    first, created = item_create(user=fresh(tree.secretary_a), alliance=tree.community_a1, title="路灯不亮",
                                 source="api", idempotency_key="12345-2026-000001")
    again, created_again = item_create(user=fresh(tree.secretary_a), alliance=tree.community_a1, title="路灯不亮",
                                       source="api", idempotency_key="12345-2026-000001")
    assert created and not created_again and first.pk == again.pk
    assert Item.objects.count() == 1


def test_a_resident_demand_needs_a_phone(tree):
    with pytest.raises(ValidationError) as exc:
        item_create(user=None, alliance=tree.community_a1, title="噪音扰民", source="demand")
    assert "requester_phone" in exc.value.message_dict
    assert not Item.objects.exists()


def test_unrated_items_close_themselves_after_the_window(tree, settings):
    from tasks.tasks import close_unrated_items_task

    settings.ITEM_RATING_WINDOW_DAYS = 7
    item = raise_item(tree)
    item = item_start(user=fresh(tree.community_secretary_a1), item=item)
    item = item_resolve(user=fresh(tree.community_secretary_a1), item=item, note="已处理")
    assert close_unrated_items_task.delay().get() == 0  # still inside the window
    Item.objects.filter(pk=item.pk).update(resolved_at=timezone.now() - dt.timedelta(days=8))
    assert close_unrated_items_task.delay().get() == 1
    item.refresh_from_db()
    assert item.status == Status.CLOSED and item.confirmed_at is None  # closed, but never confirmed
    assert kinds(item)[-1] == "closed"


def test_escalate_send_back_escalate_on_one_day_and_the_sweep_still_runs(tree):
    """Hand escalations record no missed deadline, so the sweep's unique rule never trips on them."""
    item = raise_item(tree)
    for _round in range(2):
        item = item_escalate(user=fresh(tree.community_secretary_a1), item=item, reason="社区协调不了")
        item = item_send_back(user=fresh(tree.secretary_a), item=item, instructions="请社区先召开联席会议")
    other = raise_item(tree, title="另一件事")
    assert escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10)) == 2
    item.refresh_from_db()
    other.refresh_from_db()
    assert item.alliance_id == other.alliance_id == tree.street_a.pk
    assert kinds(item).count("escalated") == 3


def test_a_demand_is_confirmed_and_rated_by_the_resident_only(tree):
    demand, _created = item_create(user=None, alliance=tree.community_a1, title="噪音", source="demand",
                                   requester_phone="13900000000")
    demand = item_start(user=fresh(tree.community_secretary_a1), item=demand)
    demand = item_resolve(user=fresh(tree.community_secretary_a1), item=demand, note="已劝导")
    with pytest.raises(PermissionDenied):
        item_confirm(user=fresh(tree.community_secretary_a1), item=demand, solved=True)
    grid = raise_item(tree)
    grid = item_start(user=fresh(tree.community_secretary_a1), item=grid)
    grid = item_resolve(user=fresh(tree.community_secretary_a1), item=grid, note="已清理")
    with pytest.raises(PermissionDenied):  # a follow link cannot rate what is not a resident's demand
        item_confirm(item=grid, solved=True, by_resident=True)
    assert Item.objects.get(pk=demand.pk).confirmed_at is None and Item.objects.get(pk=grid.pk).confirmed_at is None


def test_the_level_above_cannot_appeal_what_it_decides(tree):
    item = raise_item(tree)
    item = item_start(user=fresh(tree.community_secretary_a1), item=item)
    item = item_resolve(user=fresh(tree.community_secretary_a1), item=item, note="已处理")
    item = item_confirm(user=fresh(tree.community_secretary_a1), item=item, solved=True)
    rating = item_rate(user=fresh(tree.community_secretary_a1), item=item, score=2)
    with pytest.raises(PermissionDenied):
        rating_appeal(user=fresh(tree.secretary_a), rating=rating, reason="我来申诉")
    assert Rating.objects.get(pk=rating.pk).status == RatingStatus.VALID


def test_a_liaison_reports_only_after_the_secretary_confirmed_its_claim(tree):
    item = raise_item(tree)
    item = item_claim(user=fresh(tree.liaison_a1), item=item, unit=tree.unit_a1)
    with pytest.raises(ValidationError):
        item_resolve(user=fresh(tree.liaison_a1), item=item, note="已完成")
    item = item_start(user=fresh(tree.community_secretary_a1), item=item)
    assert item_resolve(user=fresh(tree.liaison_a1), item=item, note="已完成").status == Status.RESOLVED
