"""Assigning an item to a staff member other than the acting user (item_start's assignee_user):
the assignee must be able to handle the item's alliance; the timeline says who assigned it to whom."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from tasks.models import EventKind, Item, ItemEvent, Status
from tasks.services import item_resolve, item_start

from ..conftest import fresh
from .test_services import kinds, raise_item

pytestmark = pytest.mark.django_db


def test_the_secretary_assigns_an_item_to_a_staff_member(tree, client):
    item = raise_item(tree)
    secretary = fresh(tree.community_secretary_a1)
    item = item_start(user=secretary, item=item, assignee_user=tree.staff_a, note="请本周内处理")
    assert item.status == Status.IN_PROGRESS
    assert (item.assignee_user_id, item.assignee_unit_id) == (tree.staff_a.pk, None)
    event = ItemEvent.objects.get(item=item, kind=EventKind.ASSIGNED)
    assert event.actor_id == secretary.pk and event.actor_label == secretary.get_full_name()
    assert event.note == f"指派给{tree.staff_a.get_full_name()}\n请本周内处理"
    assert kinds(item) == ["created", "assigned"]
    # The assignee works on it as its handler; the page shows the assignment in the timeline.
    item_resolve(user=fresh(tree.staff_a), item=item, note="已清理")
    client.force_login(tree.community_secretary_a1)
    page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    timeline = page[page.index('data-testid="timeline"'):]
    assert "指派" in timeline and f"指派给{tree.staff_a.get_full_name()}" in timeline


@pytest.mark.parametrize("who", ["community_secretary_a2", "observer", "liaison_a1", "other_tenant_admin"])
def test_the_assignee_must_be_able_to_handle_the_item(tree, who):
    item = raise_item(tree)
    with pytest.raises(ValidationError) as refused:
        item_start(user=fresh(tree.community_secretary_a1), item=item, assignee_user=getattr(tree, who))
    assert "不能承办该事项" in refused.value.message_dict["assignee_user"][0]
    item = Item.objects.get(pk=item.pk)
    assert item.status == Status.NEW and item.assignee_user_id is None and kinds(item) == ["created"]


def test_a_unit_and_a_person_at_once_are_refused(tree):
    item = raise_item(tree)
    with pytest.raises(ValidationError, match="只能指定一个"):
        item_start(user=fresh(tree.community_secretary_a1), item=item, assignee_unit=tree.unit_a1,
                   assignee_user=tree.staff_a)
    assert Item.objects.get(pk=item.pk).status == Status.NEW


def test_only_a_handler_assigns(tree):
    item = raise_item(tree)
    with pytest.raises(Http404):
        item_start(user=fresh(tree.community_secretary_a2), item=item, assignee_user=tree.staff_a)
    with pytest.raises(PermissionDenied):
        item_start(user=fresh(tree.observer), item=item, assignee_user=tree.staff_a)
    assert Item.objects.get(pk=item.pk).status == Status.NEW


def test_assigning_oneself_is_starting(tree):
    item = item_start(user=fresh(tree.community_secretary_a1), item=raise_item(tree),
                      assignee_user=tree.community_secretary_a1)
    assert item.assignee_user_id == tree.community_secretary_a1.pk and kinds(item) == ["created", "started"]
