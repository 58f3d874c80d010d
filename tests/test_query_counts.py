"""A page or endpoint runs the same number of SQL queries for 1 row as for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.models import Level
from alliance.services import alliance_create
from members.services import membership_create

from . import factories
from .conftest import fresh


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def _first_item(tree):
    from tasks.models import Item
    from tasks.services import item_create

    item = Item.objects.filter(origin=tree.community_a1).order_by("pk").first()
    if item is None:
        item, _created = item_create(user=tree.root, alliance=tree.community_a1, title="首个事项", source="grid")
    return item


def _grow(tree, n=49):
    """n more units in community A1, n more communities under street A, memberships in street A,
    n more items in community A1 and n more events on the first item."""
    from tasks.models import ItemEvent
    from tasks.services import item_create

    first = _first_item(tree)
    for i in range(n):
        item_create(user=tree.root, alliance=tree.community_a1, title=f"增长事项{i}", source="grid",
                    assignee_unit=tree.unit_a1)
        ItemEvent.objects.create(tenant_id=first.tenant_id, item=first, kind="note", actor=tree.root,
                                 from_alliance=tree.community_a1, to_alliance=tree.street_a, note=f"备注{i}")
    for i in range(n):
        unit = factories.unit(tree.community_a1, by=tree.root, name=f"增长单位{i}")
        membership_create(user=tree.root, unit=unit, alliance=tree.street_a)
        alliance_create(user=tree.root, parent=tree.street_a, name=f"增长社区{i}", level=Level.COMMUNITY,
                        code=f"500104001{200 + i}")


PAGES = {
    "alliance-detail (community)": ("alliance-detail", lambda t: {"pk": t.community_a1.pk}),
    "alliance-detail (street)": ("alliance-detail", lambda t: {"pk": t.street_a.pk}),
    "alliance-unit-list": ("alliance-unit-list", lambda t: {"pk": t.street_a.pk}),
    "unit-detail": ("unit-detail", lambda t: {"pk": t.unit_a1.pk}),
    "membership-create": ("membership-create", lambda t: {"pk": t.street_a.pk}),
    "home": ("home", lambda t: {}),
    "api alliances": ("api:alliance-list", lambda t: {}),
    "api member units": ("api:member-unit-list", lambda t: {}),
    "api memberships": ("api:membership-list", lambda t: {}),
    "api ancestors": ("api:alliance-ancestors", lambda t: {"pk": t.community_a1.pk}),
    "api descendants": ("api:alliance-descendants", lambda t: {"pk": t.street_a.pk}),
    "item inbox": ("item-inbox", lambda t: {"pk": t.community_a1.pk}),
    "item detail": ("item-detail", lambda t: {"pk": _first_item(t).pk}),
    "api items": ("api:item-list", lambda t: {}),
    "api item events": ("api:item-events", lambda t: {"pk": _first_item(t).pk}),
}


@pytest.mark.parametrize("label", sorted(PAGES))
def test_query_count_does_not_grow_with_rows(label, tree, client):
    name, kwargs = PAGES[label]
    _first_item(tree)  # one row to start from: "the same for 1 row and 50"
    client.force_login(fresh(tree.secretary_a))
    url = reverse(name, kwargs=kwargs(tree))
    small = _count(client, url)
    _grow(tree)
    large = _count(client, url)
    assert large == small, f"{label}: {small} queries with few rows, {large} with 50"
