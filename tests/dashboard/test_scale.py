"""数据看板 at scale: a fixed number of queries, and a cache that is never stale nor leaks scope."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext, override_settings

from alliance.models import Level
from alliance.services import alliance_create
from dashboard.selectors import dashboard_figures, dashboard_figures_changed
from members.models import Membership
from tasks.services import item_claim, item_create, item_resolve

from .. import factories
from ..conftest import fresh


def _queries(user, alliance) -> int:
    with CaptureQueriesContext(connection) as ctx:
        dashboard_figures(user=user, alliance=alliance)
    return len(ctx.captured_queries)


def _item(tree, alliance, title):
    return item_create(user=tree.root, alliance=alliance, title=title, source="grid")[0]


@override_settings(DASHBOARD_CACHE_SECONDS=0)
def test_computing_the_figures_takes_as_many_queries_for_a_tiny_and_a_larger_tree(tree):
    tiny = _queries(fresh(tree.district_admin), tree.district)
    # Three more streets of three communities, each with items, units and an escalated item.
    for s in range(3):
        street = alliance_create(user=tree.root, parent=tree.district, name=f"新街道{s}党建共同体",
                                 level=Level.STREET, code=f"50010400{s + 5}")
        for c in range(3):
            community = alliance_create(user=tree.root, parent=street, name=f"新社区{s}{c}党建共同体",
                                        level=Level.COMMUNITY, code=f"50010400{s + 5}00{c}")
            factories.unit(community, by=tree.root)
            for i in range(3):
                _item(tree, community, f"事项{s}{c}{i}")
    larger = _queries(fresh(tree.district_admin), tree.district)
    assert tiny == larger <= 12


def test_a_cached_dashboard_takes_one_query_and_gives_the_same_figures(tree):
    user = fresh(tree.district_admin)
    first = dashboard_figures(user=user, alliance=tree.district)
    with CaptureQueriesContext(connection) as ctx:
        again = dashboard_figures(user=user, alliance=tree.district)
    assert again == first
    assert len(ctx.captured_queries) == 1  # the tenant's fingerprint; the scope is cached on the user


def test_a_write_through_a_service_shows_at_the_next_request(tree):
    user = fresh(tree.district_admin)
    before = dashboard_figures(user=user, alliance=tree.district)["items"]
    item = _item(tree, tree.community_a1, "路灯不亮")
    opened = dashboard_figures(user=user, alliance=tree.district)["items"]
    assert (opened["opened"], opened["open"]) == (before["opened"] + 1, before["open"] + 1)
    item = item_claim(user=tree.community_secretary_a1, item=item)
    item_resolve(user=tree.community_secretary_a1, item=item, note="已修复")
    resolved = dashboard_figures(user=user, alliance=tree.district)["items"]
    assert (resolved["open"], resolved["resolved"], resolved["resolved_at_community"]) == (
        before["open"], before["resolved"] + 1, before["resolved_at_community"] + 1)
    # A new member unit shows too.
    units = dashboard_figures(user=user, alliance=tree.district)["units"]["registered"]
    factories.unit(tree.community_b1, by=tree.root)
    assert dashboard_figures(user=user, alliance=tree.district)["units"]["registered"] == units + 1


def test_a_write_the_fingerprint_cannot_see_shows_once_the_version_is_bumped(
        tree, django_capture_on_commit_callbacks):
    user = fresh(tree.district_admin)
    before = dashboard_figures(user=user, alliance=tree.district)["units"]["active_memberships"]
    # A membership ended by a bulk update: no timestamp, no new row.
    Membership.objects.filter(unit=tree.unit_a1, alliance=tree.community_a1).update(left_on="2000-01-01",
                                                                                   joined_on="1999-01-01")
    assert dashboard_figures(user=user, alliance=tree.district)["units"]["active_memberships"] == before
    with django_capture_on_commit_callbacks(execute=True):
        dashboard_figures_changed(tree.district.tenant_id)
    assert dashboard_figures(user=user, alliance=tree.district)["units"]["active_memberships"] == before - 1


def test_cached_figures_never_reach_a_user_without_the_scope(tree):
    figures = dashboard_figures(user=fresh(tree.district_admin), alliance=tree.district)
    assert figures["alliance"]["id"] == tree.district.pk  # now in the cache
    # Street A's secretary does not see the district; the other tenant's admin does not either.
    for outsider in (tree.secretary_a, tree.other_tenant_admin):
        with pytest.raises(Http404):
            dashboard_figures(user=fresh(outsider), alliance=tree.district)
    # A liaison sees its community but may not read its figures, cached or not.
    dashboard_figures(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1)
    with pytest.raises(PermissionDenied):
        dashboard_figures(user=fresh(tree.liaison_a1), alliance=tree.community_a1)
    # The street's own figures are its own, not the district's.
    street = dashboard_figures(user=fresh(tree.secretary_a), alliance=tree.street_a)
    assert street["alliance"]["id"] == tree.street_a.pk and street != figures
