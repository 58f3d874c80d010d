"""下级对比: the children of a node side by side for a quarter, sortable, with the laggards marked,
against the hand-built tree of test_figures (counted by hand)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.models import Level
from alliance.services import alliance_create
from dashboard.comparison import (
    CHILDREN_QUERIES,
    Quarter,
    children_comparison,
    mark_laggards,
    sort_rows,
)
from dashboard.selectors import dashboard_figures

# The browser test below uses the e2e fixtures (skipped where Chromium or Playwright is missing).
from tests.e2e.conftest import browser, page  # noqa: E402, F401

from ..conftest import fresh
from .test_figures import _agreements, _item, _items, _meeting


def _comparison(user, alliance, quarter=None):
    quarter = quarter or Quarter.containing(timezone.localdate())
    figures = dashboard_figures(user=fresh(user), alliance=alliance, today=quarter.report_day(timezone.localdate()))
    return children_comparison(alliance=alliance, figures=figures, quarter=quarter)


def _rows(comparison):
    return {row["name"]: row for row in comparison["rows"]}


def _page(client, alliance, **params):
    return client.get(reverse("alliance-dashboard", kwargs={"pk": alliance.pk}), params)


def _build(tree):
    _items(tree)
    _agreements(tree)
    _meeting(tree)


# --- the quarter -------------------------------------------------------------------------------

def test_quarters_parse_label_and_bounds():
    today = dt.date(2026, 11, 22)
    q = Quarter.parse("2026Q4", today=today)
    assert (q.code, q.label, q.start, q.last_day) == ("2026Q4", "2026年第四季度", dt.date(2026, 10, 1),
                                                      dt.date(2026, 12, 31))
    assert Quarter.parse("", today=today) == q and Quarter.parse(None, today=today) == q
    assert Quarter.parse(" 2026q1 ", today=today).label == "2026年第一季度"
    assert q.report_day(today) == today and Quarter(2026, 3).report_day(today) == dt.date(2026, 9, 30)
    for bad in ("2026Q5", "2026-4", "Q4", "abcd", "1999Q1"):
        with pytest.raises(ValidationError, match="2026Q4"):
            Quarter.parse(bad, today=today)
    with pytest.raises(ValidationError, match="尚未开始"):
        Quarter.parse("2027Q1", today=today)


# --- the figures -------------------------------------------------------------------------------

def test_the_streets_of_the_district_compared(tree):
    _build(tree)
    comparison = _comparison(tree.district_admin, tree.district)
    rows = _rows(comparison)
    assert list(rows) == [tree.street_a.name, tree.street_b.name]
    a, b = rows[tree.street_a.name], rows[tree.street_b.name]
    # Street A: 4 items raised this quarter (one resolved in A1, one resolved by the street after
    # escalation, one open overdue in A2, one open in A1), rated 4 and 2; A1 met once.
    assert {k: a[k] for k in ("units", "agreements_signed", "agreements_performing", "commitments_due",
                              "commitments_share", "meetings", "items_opened", "items_resolved", "items_overdue",
                              "resolved_share", "rating", "rating_count", "points")} == {
        "units": 3, "agreements_signed": 0, "agreements_performing": 0, "commitments_due": 0,
        "commitments_share": None, "meetings": 1, "items_opened": 4, "items_resolved": 2, "items_overdue": 1,
        "resolved_share": 50.0, "rating": 3.0, "rating_count": 2, "points": 0,
    }
    # Street B: one item raised in B1 plus the two items of B1's commitments, the first carried
    # out; the second fell due yesterday unfulfilled; 10 points for unit B1; no meeting.
    yesterday_in_quarter = timezone.localdate() - dt.timedelta(days=1) >= comparison["quarter"].start
    assert {k: b[k] for k in ("units", "agreements_signed", "agreements_performing", "commitments_due",
                              "commitments_fulfilled", "meetings", "items_opened", "items_resolved",
                              "items_overdue", "resolved_share", "rating", "points")} == {
        "units": 1, "agreements_signed": 1, "agreements_performing": 1,
        "commitments_due": 1 if yesterday_in_quarter else 0, "commitments_fulfilled": 0,
        "meetings": 0, "items_opened": 3, "items_resolved": 1, "items_overdue": 0, "resolved_share": 33.3,
        "rating": None, "points": 10,
    }
    # Laggards: B below the median share (41.65) and without a meeting; A has the most overdue items.
    assert comparison["rules"] == {"median_resolved_share": 41.6, "overdue_threshold": 1} or \
        comparison["rules"] == {"median_resolved_share": 41.7, "overdue_threshold": 1}
    assert a["laggard_flags"] == {"items_overdue"} and a["laggard_reasons"] == ["超期事项居前四分之一"]
    assert b["laggard_flags"] == {"resolved_share", "meetings"}
    assert b["laggard_reasons"] == ["办结率低于中位数", "本季度未开会"]
    assert comparison["laggards"] == 2


def test_the_communities_of_a_street_compared(tree):
    _build(tree)
    rows = _rows(_comparison(tree.secretary_a, tree.street_a))
    assert list(rows) == [tree.community_a1.name, tree.community_a2.name]  # street B's are not there
    a1, a2 = rows[tree.community_a1.name], rows[tree.community_a2.name]
    # The escalated item is handled by the street itself now: in no community's row.
    assert (a1["items_opened"], a1["items_resolved"], a1["resolved_share"], a1["rating"], a1["units"]) == \
        (2, 1, 50.0, 4.0, 2)
    assert (a2["items_opened"], a2["items_resolved"], a2["resolved_share"], a2["items_overdue"], a2["units"]) == \
        (1, 0, 0.0, 1, 1)
    assert not a1["laggard"]
    assert a2["laggard_flags"] == {"resolved_share", "items_overdue", "meetings"}


def test_a_past_quarter_counts_none_of_this_quarters_work(tree):
    _build(tree)
    last = Quarter.containing(timezone.localdate()).previous()
    rows = _rows(_comparison(tree.district_admin, tree.district, last))
    for row in rows.values():
        assert (row["items_opened"], row["meetings"], row["points"], row["rating"]) == (0, 0, 0, None)
    # Stocks stay what they are: units, and agreements signed... only those signed by then.
    assert rows[tree.street_a.name]["units"] == 3 and rows[tree.street_b.name]["agreements_signed"] == 0


def test_laggard_rules_median_quartile_and_meetings():
    def row(name, share, overdue, meetings, active=True):
        return {"name": name, "resolved_share": share, "items_overdue": overdue, "meetings": meetings,
                "is_active": active}

    rows = [row(f"街道{i}", share, overdue, 1) for i, (share, overdue) in enumerate(
        [(90.0, 0), (80.0, 1), (70.0, 2), (60.0, 3), (50.0, 4), (40.0, 5), (30.0, 6), (None, 7)])]
    rows.append(row("停用街道", 0.0, 99, 0, active=False))
    rules = mark_laggards(rows)
    # Median of the seven shares is 60; the top quarter of eight active children is two (7 and 6).
    assert rules == {"median_resolved_share": 60.0, "overdue_threshold": 6}
    flagged = {r["name"]: r["laggard_flags"] for r in rows if r["laggard"]}
    assert flagged == {"街道4": {"resolved_share"}, "街道5": {"resolved_share"},
                       "街道6": {"resolved_share", "items_overdue"}, "街道7": {"items_overdue"}}
    # A single child is compared with nobody; only its missing meeting marks it.
    alone = [row("唯一", 10.0, 5, 0)]
    assert mark_laggards(alone) == {"median_resolved_share": None, "overdue_threshold": None}
    assert alone[0]["laggard_flags"] == {"meetings"}
    # No overdue items anywhere marks nobody for them.
    calm = [row("甲", None, 0, 1), row("乙", None, 0, 1)]
    mark_laggards(calm)
    assert not any(r["laggard"] for r in calm)


def test_sorting_keeps_empty_values_last():
    rows = [{"name": "甲", "rating": 3.0}, {"name": "乙", "rating": None}, {"name": "丙", "rating": 4.5}]
    assert [r["name"] for r in sort_rows(rows, "rating", "asc")[0]] == ["甲", "丙", "乙"]
    assert [r["name"] for r in sort_rows(rows, "rating", "desc")[0]] == ["丙", "甲", "乙"]
    assert sort_rows(rows, "bogus", "desc") == (rows, "", "")


# --- query counts ------------------------------------------------------------------------------

def test_the_comparison_runs_a_fixed_number_of_queries(tree):
    figures = dashboard_figures(user=fresh(tree.district_admin), alliance=tree.street_a)
    quarter = Quarter.containing(timezone.localdate())
    with CaptureQueriesContext(connection) as few:
        children_comparison(alliance=tree.street_a, figures=figures, quarter=quarter)
    _build(tree)
    for i in range(6):
        community = alliance_create(user=tree.root, parent=tree.street_a, name=f"新增社区{i}",
                                    level=Level.COMMUNITY, code=f"5001040019{i:02d}")
        _item(tree, community, f"新社区事项{i}")
    figures = dashboard_figures(user=fresh(tree.district_admin), alliance=tree.street_a)
    with CaptureQueriesContext(connection) as many:
        comparison = children_comparison(alliance=tree.street_a, figures=figures, quarter=quarter)
    assert len(comparison["rows"]) == 8
    assert len(few.captured_queries) == len(many.captured_queries) == CHILDREN_QUERIES


def test_the_page_runs_a_fixed_number_of_queries(tree, client):
    client.force_login(fresh(tree.secretary_a))
    with CaptureQueriesContext(connection) as few:
        assert _page(client, tree.street_a, sort="resolved_share", dir="asc").status_code == 200
    _build(tree)
    for i in range(6):
        community = alliance_create(user=tree.root, parent=tree.street_a, name=f"新增社区{i}",
                                    level=Level.COMMUNITY, code=f"5001040019{i:02d}")
        _item(tree, community, f"新社区事项{i}")
    client.force_login(fresh(tree.secretary_a))
    with CaptureQueriesContext(connection) as many:
        assert _page(client, tree.street_a, sort="resolved_share", dir="asc").status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries)


# --- the page ----------------------------------------------------------------------------------

def _order(html: str, ids) -> list[int]:
    found = [int(m) for m in re.findall(r'data-testid="child-(\d+)"', html)]
    return [pk for pk in found if pk in ids]


def test_the_page_shows_the_comparison_with_laggards_and_a_legend(tree, client):
    _build(tree)
    client.force_login(fresh(tree.secretary_a))
    html = _page(client, tree.street_a).content.decode()
    a1, a2 = tree.community_a1.pk, tree.community_a2.pk
    assert _order(html, {a1, a2}) == [a1, a2]
    laggard = html.split(f'data-testid="laggard-{a2}"')[1].split("</td>")[0]
    assert "落后" in laggard and "办结率低于中位数" in laggard and "本季度未开会" in laggard
    assert "落后" not in html.split(f'data-testid="laggard-{a1}"')[1].split("</td>")[0]
    assert f'<tr data-testid="child-{a2}" class="laggard">' in html
    assert 'data-testid="laggard-legend"' in html and "中位数(25.0%)" in html
    assert "dashboard-compare.js" in html and "<script>" not in html
    # Drill-down keeps the quarter.
    quarter = Quarter.containing(timezone.localdate()).code
    assert f'{reverse("alliance-dashboard", kwargs={"pk": a1})}?quarter={quarter}' in html


@pytest.mark.parametrize(("sort", "direction", "first"), [
    ("resolved_share", "asc", "community_a2"), ("resolved_share", "desc", "community_a1"),
    ("items_overdue", "desc", "community_a2"), ("units", "desc", "community_a1"),
    ("name", "asc", "community_a2"),  # 翠园 sorts before 锦霞 by code point
])
def test_the_table_sorts_on_the_server_without_script(sort, direction, first, tree, client):
    _build(tree)
    client.force_login(fresh(tree.secretary_a))
    html = _page(client, tree.street_a, sort=sort, dir=direction).content.decode()
    ids = {tree.community_a1.pk, tree.community_a2.pk}
    assert _order(html, ids)[0] == getattr(tree, first).pk
    # The sorted column's header links to the other direction and says how it is sorted.
    header = html.split(f'data-key="{sort}"')[0].rsplit("<th", 1)[1]
    assert f'aria-sort="{"ascending" if direction == "asc" else "descending"}"' in header
    link = html.split(f'data-testid="sort-{sort}"')[0].rsplit("href=", 1)[1]
    assert f"dir={'desc' if direction == 'asc' else 'asc'}" in link and f"sort={sort}" in link


def test_an_unknown_column_keeps_the_tree_order(tree, client):
    _build(tree)
    client.force_login(fresh(tree.secretary_a))
    html = _page(client, tree.street_a, sort="password", dir="up").content.decode()
    assert _order(html, {tree.community_a1.pk, tree.community_a2.pk}) == [tree.community_a1.pk, tree.community_a2.pk]


def test_a_bad_quarter_is_explained_and_the_current_one_shown(tree, client):
    client.force_login(fresh(tree.secretary_a))
    response = _page(client, tree.street_a, quarter="2026Q7")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="quarter-error"' in html and "2026Q4" in html
    current = Quarter.containing(timezone.localdate())
    assert f"下级共同体对比 · {current.label}" in html
    future = _page(client, tree.street_a, quarter=f"{timezone.localdate().year + 1}Q1").content.decode()
    assert "尚未开始" in future


def test_a_past_quarter_on_the_page(tree, client):
    _build(tree)
    client.force_login(fresh(tree.secretary_a))
    last = Quarter.containing(timezone.localdate()).previous()
    html = _page(client, tree.street_a, quarter=last.code).content.decode()
    assert f"下级共同体对比 · {last.label}" in html
    assert f'<option value="{last.code}" selected>' in html


def test_a_community_has_no_children_to_compare(tree, client):
    client.force_login(fresh(tree.community_secretary_a1))
    html = _page(client, tree.community_a1).content.decode()
    assert "没有下级共同体。" in html and 'data-testid="children-table"' not in html


# --- in a real browser: the header sorts in place, without a reload ----------------------------

@pytest.mark.e2e
def test_clicking_a_header_sorts_the_table_in_the_browser(live_server, tree, page):  # noqa: F811 - e2e fixture
    from tests.e2e.test_demand_loop import log_in
    from tests.e2e.test_walkthrough import failed_responses

    _build(tree)
    failures = failed_responses(page)
    log_in(page, live_server.url, tree.secretary_a.username)
    page.goto(f"{live_server.url}{reverse('alliance-dashboard', kwargs={'pk': tree.street_a.pk})}")
    first_row = page.locator("table[data-sortable] tbody tr").first
    assert first_row.get_attribute("data-testid") == f"child-{tree.community_a1.pk}"
    url_before = page.url
    page.get_by_test_id("sort-resolved_share").click()  # first click: highest first
    assert first_row.get_attribute("data-testid") == f"child-{tree.community_a1.pk}"
    assert page.locator('th[data-key="resolved_share"]').get_attribute("aria-sort") == "descending"
    page.get_by_test_id("sort-resolved_share").click()  # again: lowest first
    assert first_row.get_attribute("data-testid") == f"child-{tree.community_a2.pk}"
    assert page.locator('th[data-key="resolved_share"]').get_attribute("aria-sort") == "ascending"
    assert "sort=resolved_share" in page.url and "dir=asc" in page.url and url_before.split("?")[0] in page.url
    assert page.get_by_test_id(f"laggard-{tree.community_a2.pk}").inner_text().startswith("落后")
    assert not failures
