"""The escalation sweep notifies each receiving alliance's secretary once per run, with the total,
however many batches the run took (not once per batch)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.models import Item, Notification
from tasks.services import item_create
from tasks.tasks import escalate_overdue_items_task

from ..conftest import fresh

pytestmark = pytest.mark.django_db


def overdue(tree, alliance, secretary, n, prefix):
    past = timezone.now() - dt.timedelta(hours=1)
    user = fresh(secretary)
    for i in range(n):
        item_create(user=user, alliance=alliance, title=f"{prefix}{i + 1:02d}", source="grid", due_at=past)


@pytest.fixture
def backlog(tree, settings):
    settings.ITEM_SWEEP_BATCH_SIZE = 5
    overdue(tree, tree.community_a1, tree.community_secretary_a1, 22, "楼道杂物")
    overdue(tree, tree.community_b1, tree.secretary_b, 3, "路灯不亮")
    return tree


def notices(user):
    return list(Notification.objects.filter(user=user))


def test_a_sweep_of_many_batches_notifies_each_secretary_once_with_the_total(backlog):
    tree = backlog
    assert escalate_overdue_items_task.delay().get() == 25  # five batches of five
    assert Item.objects.filter(alliance=tree.street_a).count() == 22
    (street_a,) = notices(tree.secretary_a)
    assert street_a.title == f"{tree.street_a.name}收到22项下级上报的事项"
    lines = street_a.body.splitlines()
    # Twenty distinct titles (the sweep's order among items due at the same moment is not fixed), then the count.
    assert len(lines) == 21 and lines[-1] == "……等共22项"
    assert len(set(lines[:20])) == 20 and all(line.startswith("· 楼道杂物") for line in lines[:20])
    assert street_a.url.endswith("?box=escalated_to_us")
    (street_b,) = notices(tree.secretary_b)
    assert street_b.title == f"{tree.street_b.name}收到3项下级上报的事项"
    assert sorted(street_b.body.splitlines()) == ["· 路灯不亮01", "· 路灯不亮02", "· 路灯不亮03"]
    # The community secretaries sent the items up; they hear nothing.
    assert notices(tree.community_secretary_a1) == []
    # A second run finds nothing overdue and sends nothing.
    assert escalate_overdue_items_task.delay().get() == 0
    assert Notification.objects.count() == 2


def test_a_run_cut_short_by_max_batches_notifies_for_what_it_did(backlog):
    tree = backlog
    # Two batches of five (the rest is left to the run it re-enqueues after commit).
    assert escalate_overdue_items_task.delay(5, 2).get() == 10
    notified = Notification.objects.filter(user__in=[tree.secretary_a, tree.secretary_b])
    assert sum(int(n.title.split("收到")[1].split("项")[0]) for n in notified) == 10
    assert notified.count() == len({n.user_id for n in notified})  # one each


def test_the_management_command_notifies_once_too(backlog):
    tree = backlog
    call_command("escalate_overdue", "--batch-size", "4", stdout=io.StringIO())
    (street_a,) = notices(tree.secretary_a)
    assert street_a.title.endswith("收到22项下级上报的事项")
    assert len(notices(tree.secretary_b)) == 1
