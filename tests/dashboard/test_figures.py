"""数据看板: the figures against a small tree built through the services, counted by hand."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agreements.models import CommitmentItem
from agreements.services import (
    agreement_perform,
    agreement_publish,
    agreement_sign,
    points_award_fulfilled,
)
from alliance.roles import Role
from dashboard.selectors import dashboard_figures, quarter_bounds, trend_months
from meetings.services import meeting_open, meeting_schedule
from tasks.models import Item
from tasks.services import (
    item_claim,
    item_confirm,
    item_create,
    item_escalate,
    item_rate,
    item_resolve,
)

from .. import factories
from ..conftest import fresh

MAX_QUERIES = 15


def _item(tree, alliance, title, source="grid"):
    item, _created = item_create(user=tree.root, alliance=alliance, title=title, source=source,
                                 requester_name="王阿姨" if source == "demand" else "")
    return item


def _resolve_and_rate(user, item, score):
    item = item_claim(user=user, item=item)
    item = item_resolve(user=user, item=item, note="已处理")
    item = item_confirm(item=item, solved=True, by_resident=True)
    item_rate(item=item, score=score, by_resident=True)


def _items(tree):
    """Street A: one item resolved in community A1 (rated 4), one escalated to street A and
    resolved there (rated 2), one open past its deadline in A2, one open in A1; one in B1."""
    now = timezone.now()
    _resolve_and_rate(tree.community_secretary_a1, _item(tree, tree.community_a1, "路灯不亮", "demand"), 4)
    escalated = item_escalate(user=tree.community_secretary_a1, item=_item(tree, tree.community_a1, "占道经营", "demand"),
                              reason="需要街道协调")
    _resolve_and_rate(tree.secretary_a, escalated, 2)
    late = _item(tree, tree.community_a2, "井盖破损")
    Item.objects.filter(pk=late.pk).update(due_at=now - dt.timedelta(days=1))  # its deadline has passed
    _item(tree, tree.community_a1, "楼道堆物")
    _item(tree, tree.community_b1, "噪音扰民")


def _agreements(tree):
    """Community B1: one draft, one performing agreement with two one-off commitments of unit B1:
    one fulfilled and confirmed (10 points), one whose due date has passed unfulfilled."""
    today = timezone.localdate()
    liaison = factories.user_with_role(tree.community_b1, Role.LIAISON, unit=tree.unit_b1, username="liaison_b1")
    factories.agreement(tree.community_b1, by=tree.root, units=[tree.unit_b1], title="草案")
    agreement = factories.agreement(tree.community_b1, by=tree.root, units=[tree.unit_b1], title="卫生共建",
                                    commitments=[
                                        {"unit": tree.unit_b1, "title": "义诊", "recurrence": "once",
                                         "due_on": today + dt.timedelta(days=10)},
                                        {"unit": tree.unit_b1, "title": "健康讲座", "recurrence": "once",
                                         "due_on": today + dt.timedelta(days=20)},
                                    ])
    for party in agreement.parties.order_by("pk"):
        agreement_sign(user=fresh(tree.root if party.unit_id is None else liaison), agreement=agreement, party=party)
    agreement_publish(user=tree.root, agreement=agreement)
    agreement_perform(user=tree.root, agreement=agreement)
    first, second = CommitmentItem.objects.filter(commitment__agreement=agreement).order_by("due_on")
    item = item_claim(user=tree.secretary_b, item=first.item)
    item = item_resolve(user=tree.secretary_b, item=item, note="义诊已开展")
    item_confirm(user=tree.secretary_b, item=item, solved=True)
    points_award_fulfilled()  # the sweep writes the 10 points of an occurrence fulfilled on time
    # Time passes for the second one: it is now past its due date.
    CommitmentItem.objects.filter(pk=second.pk).update(due_on=today - dt.timedelta(days=1))
    return agreement


def _meeting(tree):
    """Community A1 holds a meeting this quarter; A2, B1 and B2 hold none."""
    meeting = meeting_schedule(user=tree.community_secretary_a1, alliance=tree.community_a1, title="季度例会",
                               starts_at=timezone.now() + dt.timedelta(hours=1), units=[tree.unit_a1])
    return meeting_open(user=tree.community_secretary_a1, meeting=meeting)


def _by_key(rows):
    return {row["key"]: row["count"] for row in rows}


def test_items_and_ratings_of_a_street(tree):
    _items(tree)
    f = dashboard_figures(user=fresh(tree.secretary_a), alliance=tree.street_a)
    assert f["items"] == {
        "opened": 4, "open": 2, "overdue": 1, "resolved": 2, "escalated": 1,
        "resolved_at_community": 1, "resolved_at_street": 1, "share_community": 50.0, "share_street": 50.0,
    }
    assert f["rating"] == {"average": 3.0, "count": 2}
    children = {row["name"]: row for row in f["children"]}
    assert list(children) == [tree.community_a1.name, tree.community_a2.name]
    assert (children[tree.community_a1.name]["items_open"], children[tree.community_a1.name]["items_overdue"]) == (1, 0)
    assert (children[tree.community_a2.name]["items_open"], children[tree.community_a2.name]["items_overdue"]) == (1, 1)
    this_month = f["trend"][-1]
    assert (this_month["items_opened"], this_month["items_resolved"]) == (4, 2)
    assert sum(row["items_opened"] for row in f["trend"]) == 4
    # The district sees the fifth item too, raised in street B.
    district = dashboard_figures(user=fresh(tree.district_admin), alliance=tree.district)
    assert (district["items"]["opened"], district["items"]["open"]) == (5, 3)


def test_tree_units_and_meetings(tree):
    _meeting(tree)
    f = dashboard_figures(user=fresh(tree.district_admin), alliance=tree.district)
    assert f["alliances"]["total"] == 7
    assert _by_key(f["alliances"]["by_level"]) == {"city": 0, "district": 1, "street": 2, "community": 4, "grid": 0}
    assert _by_key(f["alliances"]["by_kind"])["regional"] == 7
    assert f["units"]["registered"] == 4  # A1 ×2, A2, B1; the other tenant's unit is not counted
    assert f["meetings"] == {"held_this_quarter": 1, "communities_without_meeting": 3}
    assert f["trend"][-1]["meetings_held"] == 1
    children = {row["id"]: row for row in f["children"]}
    assert children[tree.street_a.pk]["meetings_this_quarter"] == 1
    assert children[tree.street_b.pk]["meetings_this_quarter"] == 0
    street = dashboard_figures(user=fresh(tree.secretary_a), alliance=tree.street_a)
    assert street["alliances"]["total"] == 3
    assert street["units"]["registered"] == 3
    assert street["meetings"] == {"held_this_quarter": 1, "communities_without_meeting": 1}


def test_agreements_commitments_and_points(tree):
    _agreements(tree)
    f = dashboard_figures(user=fresh(tree.secretary_b), alliance=tree.street_b)
    stages = _by_key(f["agreements"]["by_stage"])
    assert (stages["draft"], stages["performing"], f["agreements"]["total"]) == (1, 1, 2)
    assert f["commitments"] == {"total": 2, "due": 1, "fulfilled": 1, "overdue": 1}
    assert f["top_units"] == [{"unit_id": tree.unit_b1.pk, "name": tree.unit_b1.name, "points": 10}]
    assert f["trend"][-1]["agreements_signed"] == 1
    children = {row["id"]: row for row in f["children"]}
    assert children[tree.community_b1.pk]["agreements_performing"] == 1
    assert children[tree.community_b2.pk]["agreements_performing"] == 0
    # Street A's figures hold none of it.
    other = dashboard_figures(user=fresh(tree.secretary_a), alliance=tree.street_a)
    assert other["agreements"]["total"] == 0 and other["top_units"] == [] and other["commitments"]["total"] == 0


def test_quarter_and_months():
    start, end = quarter_bounds(dt.date(2026, 11, 22))
    assert (timezone.localtime(start).date(), timezone.localtime(end).date()) == (dt.date(2026, 10, 1),
                                                                                   dt.date(2027, 1, 1))
    months = trend_months(dt.date(2026, 2, 3))
    assert (months[0], months[-1], len(months)) == (dt.date(2025, 3, 1), dt.date(2026, 2, 1), 12)


def _queries(user, alliance) -> int:
    with CaptureQueriesContext(connection) as ctx:
        dashboard_figures(user=user, alliance=alliance)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("node", ["district", "street_a"])
def test_a_fixed_number_of_queries_whatever_the_size(node, tree):
    user = fresh(tree.district_admin)
    alliance = getattr(tree, node)
    few = _queries(user, alliance)
    _items(tree)
    _agreements(tree)
    _meeting(tree)
    for i in range(10):
        _item(tree, tree.community_a2, f"更多事项{i}")
        factories.unit(tree.community_a1, by=tree.root, name=f"更多单位{i}")
    many = _queries(fresh(tree.district_admin), alliance)
    assert few == many <= MAX_QUERIES
