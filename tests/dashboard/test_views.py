"""数据看板: the page and the stats endpoint, who may open them, and what they show."""

import pytest
from django.urls import reverse

from tasks.services import item_create

from ..conftest import fresh


def _page(t, node):
    return reverse("alliance-dashboard", kwargs={"pk": getattr(t, node).pk})


def _api(t, node):
    return reverse("api:stats-detail", kwargs={"alliance_id": getattr(t, node).pk})


@pytest.mark.parametrize("url", [_page, _api])
def test_street_secretary_sees_only_its_street(url, tree, client):
    client.force_login(fresh(tree.secretary_a))
    assert client.get(url(tree, "street_a")).status_code == 200
    assert client.get(url(tree, "community_a1")).status_code == 200
    assert client.get(url(tree, "street_b")).status_code == 404
    assert client.get(url(tree, "district")).status_code == 404


@pytest.mark.parametrize("url", [_page, _api])
@pytest.mark.parametrize("neighbour", ["community_secretary_a2", "secretary_b", "other_tenant_admin"])
def test_neighbours_get_404(url, neighbour, tree, client):
    client.force_login(fresh(getattr(tree, neighbour)))
    assert client.get(url(tree, "community_a1")).status_code == 404


@pytest.mark.parametrize("url", [_page, _api])
def test_a_liaison_sees_the_alliance_but_not_its_figures(url, tree, client):
    client.force_login(fresh(tree.liaison_a1))
    assert client.get(url(tree, "community_a1")).status_code == 403
    assert client.get(url(tree, "community_a2")).status_code == 404


@pytest.mark.parametrize("who", ["district_admin", "observer", "staff_a", "secretary_a"])
def test_the_organisation_department_and_the_street_open_it(who, tree, client):
    client.force_login(fresh(getattr(tree, who)))
    assert client.get(_page(tree, "street_a")).status_code == 200


def test_the_page_shows_figures_charts_tables_and_the_children(tree, client):
    item_create(user=tree.root, alliance=tree.community_a1, title="路灯不亮", source="grid")
    client.force_login(fresh(tree.secretary_a))
    response = client.get(_page(tree, "street_a"))
    html = response.content.decode()
    assert 'data-testid="items-opened">1<' in html
    assert 'data-testid="alliances-total">3<' in html
    assert 'id="dashboard-data"' in html and "chart.umd.min.js" in html
    assert 'data-testid="trend-table"' in html and 'data-testid="stage-table"' in html
    # Drill-down: each child links to its own dashboard.
    for child in (tree.community_a1, tree.community_a2):
        assert reverse("alliance-dashboard", kwargs={"pk": child.pk}) in html
    assert tree.community_b1.name not in html


def test_the_alliance_page_links_to_the_dashboard_for_those_who_may_open_it(tree, client):
    detail = reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})
    client.force_login(fresh(tree.community_secretary_a1))
    assert 'data-testid="dashboard-link"' in client.get(detail).content.decode()
    client.force_login(fresh(tree.liaison_a1))
    assert 'data-testid="dashboard-link"' not in client.get(detail).content.decode()


def test_the_api_gives_the_same_figures(tree, client):
    item_create(user=tree.root, alliance=tree.community_a2, title="井盖破损", source="grid")
    client.force_login(fresh(tree.district_admin))
    data = client.get(_api(tree, "street_a")).json()
    assert data["alliance"]["id"] == tree.street_a.pk
    assert data["items"]["opened"] == 1 and data["items"]["share_community"] is None
    assert len(data["trend"]) == 12
    assert [c["id"] for c in data["children"]] == [tree.community_a1.pk, tree.community_a2.pk]
    assert {row["key"] for row in data["agreements"]["by_stage"]} >= {"draft", "performing"}
