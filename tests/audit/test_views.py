"""The audit page, its export and the API: who reads which events, filters, query counts."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tasks.models import Item

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trail is written by PostgreSQL triggers")

IP = "198.51.100.23"


def _raise_item(client, user, alliance, title):
    client.force_login(user)
    created = client.post(reverse("api:item-list"), {"alliance": alliance.pk, "title": title},
                          content_type="application/json", REMOTE_ADDR=IP)
    assert created.status_code == 201, created.content
    return Item.objects.get(pk=created.json()["id"])


def _page(client, reader, alliance, **params):
    client.force_login(reader)
    return client.get(reverse("alliance-audit", kwargs={"pk": alliance.pk}), params)


def test_district_admin_and_observer_read_the_trail_of_their_subtree(tree, client):
    item = _raise_item(client, tree.community_secretary_a1, tree.community_a1, "楼道灯坏了")
    for reader in (tree.district_admin, tree.observer):
        page = _page(client, reader, tree.community_a1)
        assert page.status_code == 200
        html = page.content.decode()
        assert "楼道灯坏了" in html and IP in html
        assert tree.community_secretary_a1.username in html
        assert reverse("item-detail", kwargs={"pk": item.pk}) in html


@pytest.mark.parametrize("who", ["secretary_b", "community_secretary_a2", "other_tenant_admin"])
def test_neighbours_get_404(tree, client, who):
    assert _page(client, getattr(tree, who), tree.community_a1).status_code == 404
    client.force_login(getattr(tree, who))
    export = client.get(reverse("alliance-audit-export", kwargs={"pk": tree.community_a1.pk}))
    assert export.status_code == 404


@pytest.mark.parametrize("who", ["community_secretary_a1", "secretary_a", "staff_a", "liaison_a1"])
def test_roles_that_run_the_alliance_do_not_read_its_trail(tree, client, who):
    """They see the alliance (so 403, not 404), but the trail is for the district and observers."""
    assert _page(client, getattr(tree, who), tree.community_a1).status_code == 403
    detail = client.get(reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert 'data-testid="audit-link"' not in detail


def test_the_alliance_page_links_to_the_trail_for_those_allowed(tree, client):
    client.force_login(tree.district_admin)
    detail = client.get(reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert reverse("alliance-audit", kwargs={"pk": tree.community_a1.pk}) in detail


def test_a_subtree_page_does_not_show_its_siblings_events(tree, client):
    _raise_item(client, tree.community_secretary_a1, tree.community_a1, "锦霞的事项")
    _raise_item(client, tree.community_secretary_a2, tree.community_a2, "翠园的事项")
    a1 = _page(client, tree.district_admin, tree.community_a1).content.decode()
    assert "锦霞的事项" in a1 and "翠园的事项" not in a1
    district = _page(client, tree.district_admin, tree.district).content.decode()
    assert "锦霞的事项" in district and "翠园的事项" in district
    assert tree.other_tenant.name not in district


def test_filters(tree, client):
    item = _raise_item(client, tree.community_secretary_a1, tree.community_a1, "筛选用事项")
    client.post(reverse("api:item-start", kwargs={"pk": item.pk}), {}, content_type="application/json")
    _raise_item(client, tree.root, tree.community_a1, "另一个人的事项")

    def rows(**params):
        html = _page(client, tree.district_admin, tree.community_a1, **params).content.decode()
        return html.count("<tr data-kind="), html

    count, html = rows(kind="item", action="update", object_id=item.pk)
    assert count >= 1 and "<tr data-kind=\"item\" data-action=\"update\">" in html
    assert 'data-action="insert"' not in html
    count, html = rows(kind="item", user=tree.root.pk)
    assert "另一个人的事项" in html and "筛选用事项" not in html
    count, html = rows(kind="alliance", action="insert")
    assert 'data-kind="item"' not in html and count == 1  # community A1 itself, no children
    count, html = rows(since="2999-01-01")
    assert count == 0
    count, html = rows(since="2026-13-01", until="x", user="-1")
    assert "输入一个有效的日期" in html
    count, html = rows(since="2026-05-02", until="2026-05-01")
    assert "起始日期不能晚于截止日期" in html


def test_export_reads_back(tree, client):
    _raise_item(client, tree.community_secretary_a1, tree.community_a1, "导出用事项")
    client.force_login(tree.observer)
    response = client.get(reverse("alliance-audit-export", kwargs={"pk": tree.community_a1.pk}),
                          {"kind": "item", "action": "insert"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "时间"
    assert len(rows) == 2
    assert rows[1][4] == "导出用事项" and rows[1][6] == tree.community_secretary_a1.username and rows[1][7] == IP


def test_the_page_runs_a_fixed_number_of_queries(tree, client):
    def queries():
        client.force_login(tree.district_admin)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("alliance-audit", kwargs={"pk": tree.district.pk})).status_code == 200
        return len(ctx)

    _raise_item(client, tree.community_secretary_a1, tree.community_a1, "一")
    few = queries()
    for n in range(12):
        _raise_item(client, tree.community_secretary_a2 if n % 2 else tree.community_secretary_a1,
                    tree.community_a2 if n % 2 else tree.community_a1, f"事项{n}")
    assert queries() == few


def test_the_page_says_when_the_database_keeps_no_trail(tree, client, monkeypatch):
    monkeypatch.setattr("audit.views.audit_supported", lambda: False)
    html = _page(client, tree.district_admin, tree.community_a1).content.decode()
    assert 'data-testid="audit-unsupported"' in html and "PostgreSQL" in html


# The API -----------------------------------------------------------------------------------------

def test_api_lists_the_events_of_the_subtree(tree, client, api):
    item = _raise_item(client, tree.community_secretary_a1, tree.community_a1, "接口事项")
    url = reverse("api:audit-event-list")
    body = api(tree.district_admin).get(url, {"alliance": tree.community_a1.pk, "kind": "item",
                                                       "action": "insert"}).json()
    [row] = body["results"]
    assert row["object_id"] == str(item.pk) and row["object"] == "接口事项"
    assert row["user_id"] == tree.community_secretary_a1.pk and row["ip"] == IP and row["action"] == "insert"
    assert row["data"]["title"] == "接口事项"
    everything = api(tree.observer).get(url).json()["results"]
    assert row["id"] in [r["id"] for r in everything]


def test_api_scope(tree, client, api):
    _raise_item(client, tree.community_secretary_a1, tree.community_a1, "接口事项")
    url = reverse("api:audit-event-list")
    assert api(tree.secretary_b).get(url, {"alliance": tree.community_a1.pk}).status_code == 404
    assert api(tree.secretary_b).get(url).json()["results"] == []
    assert api(tree.other_tenant_admin).get(url).json()["results"] == [] or all(
        r["data"].get("tenant_id") == tree.other_tenant.tenant_id
        for r in api(tree.other_tenant_admin).get(url).json()["results"])
    assert api(tree.community_secretary_a1).get(url, {"alliance": tree.community_a1.pk}).status_code == 403
    assert api(tree.liaison_a1).get(url).json()["results"] == []
    bad = api(tree.district_admin).get(url, {"alliance": "abc", "since": "nope"})
    assert bad.status_code == 400


def test_api_runs_a_fixed_number_of_queries(tree, client, api):
    url = reverse("api:audit-event-list")
    def queries():
        reader = api(tree.district_admin)  # a fresh user each time, as a new request would have
        with CaptureQueriesContext(connection) as ctx:
            assert reader.get(url).status_code == 200
        return len(ctx)

    _raise_item(client, tree.community_secretary_a1, tree.community_a1, "一")
    few = queries()
    for n in range(8):
        _raise_item(client, tree.community_secretary_a1, tree.community_a1, f"事项{n}")
    assert queries() == few


def test_export_is_bounded_and_says_so(tree, client, monkeypatch):
    monkeypatch.setattr("audit.exports.EXPORT_LIMIT", 2)
    _raise_item(client, tree.community_secretary_a1, tree.community_a1, "导出用事项")
    client.force_login(tree.district_admin)
    response = client.get(reverse("alliance-audit-export", kwargs={"pk": tree.district.pk}))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 2 + 1
    assert "仅导出最新的 2 条记录" in rows[-1][0]


def test_the_last_calendar_day_and_odd_digits_are_answered_not_failed(tree, client):
    client.force_login(tree.district_admin)
    page = client.get(reverse("alliance-audit", kwargs={"pk": tree.district.pk}), {"until": "9999-12-31"})
    assert page.status_code == 200
    api = client.get("/api/v1/audit-events/", {"until": "9999-12-31"})
    assert api.status_code == 200
    odd = client.get("/api/v1/audit-events/", {"alliance": "²"})
    assert odd.status_code == 400 and odd.json()["errors"]["alliance"]
