"""A resolution's action for a staff member is assigned to that person by the secretary (tasks'
item_start with assignee_user), not recorded as started by the assignee."""

import datetime as dt

from django.utils import timezone

from meetings.services import Action, resolution_assign_actions
from tasks.models import EventKind, Item, ItemEvent, Status

from ..conftest import fresh
from .test_review_fixes import adopted_without_unit_a1
from .test_services import sec


def test_an_action_for_a_staff_member_is_assigned_by_the_secretary(m):
    _meeting, resolution = adopted_without_unit_a1(m)
    secretary = sec(m)
    (action,) = resolution_assign_actions(user=secretary, resolution=resolution, actions=[
        Action(assignee_user=fresh(m.staff_a), title="协调规划审批", due=timezone.localdate() + dt.timedelta(days=30))])
    item = Item.objects.get(pk=action.item_id)
    assert (item.assignee_user_id, item.status) == (m.staff_a.pk, Status.IN_PROGRESS)
    events = list(ItemEvent.objects.filter(item=item).order_by("pk"))
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.ASSIGNED]
    assigned = events[1]
    assert assigned.actor_id == secretary.pk and assigned.actor_id != m.staff_a.pk
    assert assigned.note.startswith(f"指派给{m.staff_a.get_full_name()}\n会议决议:")


def test_an_action_for_a_unit_is_still_started_for_the_unit(m):
    _meeting, resolution = adopted_without_unit_a1(m)
    (action,) = resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
        Action(unit=m.unit_c, title="征求住户意见", due=timezone.localdate())])
    item = Item.objects.get(pk=action.item_id)
    assert (item.assignee_unit_id, item.assignee_user_id, item.status) == (m.unit_c.pk, None, Status.IN_PROGRESS)
    assert list(ItemEvent.objects.filter(item=item).order_by("pk").values_list("kind", flat=True)) == [
        EventKind.CREATED, EventKind.STARTED]
