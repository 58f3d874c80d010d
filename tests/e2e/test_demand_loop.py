"""A resident's demand, end to end in a real browser: raised on the public page, handled by
the community, escalated to the street, resolved there, confirmed and rated by the resident."""

from __future__ import annotations

import re

import pytest

from tasks.models import Item, Status

from .conftest import PHONE
from .test_walkthrough import PASSWORD, assert_fits_width, failed_responses

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev group) is not installed")
expect = sync_api.expect


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(f"{base}/")


@pytest.mark.e2e
def test_a_resident_demand_goes_round_the_loop(live_server, tree, page, browser, screenshot_dir):
    base = live_server.url
    failures = failed_responses(page)

    # The resident, on a phone, with no account.
    resident = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
    resident.goto(f"{base}/public/alliances/{tree.community_a1.pk}/demand/")
    resident.get_by_label("您遇到的问题").fill("小区东门路灯坏了一周")
    resident.get_by_label("类别").select_option("facilities")
    resident.get_by_label("联系电话").fill("13922223333")
    resident.get_by_test_id("demand-submit").click()
    expect(resident).to_have_url(re.compile(r"/public/follow/"))
    reference = resident.get_by_test_id("reference").inner_text()
    follow_url = resident.url
    assert_fits_width(resident)
    resident.screenshot(path=screenshot_dir / "demand-follow-phone.png", full_page=True)

    # The community secretary finds it in the inbox and hands it up.
    log_in(page, base, tree.community_secretary_a1.username)
    page.goto(f"{base}/alliances/{tree.community_a1.pk}/items/?box=new")
    page.get_by_role("link", name=reference).click()
    page.get_by_label(re.compile("说明")).fill("路灯属市政管养,社区无法维修")
    page.get_by_role("button", name="提交上一级").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("逐级上报")

    # The street resolves it.
    page.get_by_test_id("logout").click()
    log_in(page, base, tree.secretary_a.username)
    page.goto(f"{base}/alliances/{tree.street_a.pk}/items/?box=escalated_to_us")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("button", name="开始办理").click()
    page.get_by_label(re.compile("说明")).fill("已协调市政更换灯具")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("item-status")).to_have_text("已办结")
    page.screenshot(path=screenshot_dir / "item-street-desktop.png", full_page=True)

    # The resident confirms it is solved and rates it.
    resident.goto(follow_url)
    expect(resident.locator("body")).to_contain_text("已协调市政更换灯具")
    resident.get_by_label("已解决").check()
    resident.get_by_role("button", name="提交").click()
    resident.get_by_label("★★★★★", exact=True).check()
    resident.get_by_role("button", name="评价").click()
    expect(resident.locator("body")).to_contain_text("已关闭")

    item = Item.objects.get(reference=reference)
    assert item.status == Status.CLOSED and item.rating.score == 5 and item.rating.rated_alliance_id == tree.street_a.pk
    assert failures == []
