"""An alliance meeting run in a real browser: the secretary schedules it, a liaison's proposal is
reviewed (审定) and put on the agenda, the meeting opens with a quorum, the liaison votes on a
phone, the secretary records the other vote and closes the vote, publishes the resolution, and a
resident reads it on the public page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from meetings.models import Proposal, ProposalStatus, Resolution

from .. import factories
from .conftest import PHONE
from .test_demand_loop import log_in
from .test_walkthrough import assert_fits_width, failed_responses

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev group) is not installed")
expect = sync_api.expect

MEETING = "锦霞社区党建共同体第三季度例会"
PROPOSAL = "在小区东门增设电动自行车充电棚"
RESOLUTION = "同意增设充电棚,由物业公司牵头,年底前建成。"


def phone_page(browser):
    """A separate user on a phone: its own cookies, its own failures."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    return page, failed_responses(page)


def assert_no_sideways_scroll(page, testid):
    """The table of `testid` (or the one in that section) fits its box: nothing to scroll to."""
    overflow = page.get_by_test_id(testid).evaluate(
        "el => { const box = el.matches('table') ? el.closest('.table-wrap') : el.querySelector('.table-wrap');"
        " return box.scrollWidth - box.clientWidth; }")
    assert overflow <= 0, f"{testid} scrolls {overflow}px sideways"


def flash(page):
    return page.locator(".messages")


@pytest.mark.e2e
def test_a_meeting_decides_a_liaisons_proposal_and_publishes_it(live_server, tree, page, browser, screenshot_dir):
    base = live_server.url
    failures = failed_responses(page)
    # A third member unit, which stays away: two of three present is still a quorum, whether the
    # base is the invited units or all active member units of the alliance.
    clinic = factories.unit(tree.community_a1, by=tree.root, name="锦霞社区卫生服务站")
    present_units = [tree.unit_a1, tree.unit_a1_other]

    # The secretary schedules a meeting of community_a1 and invites its member units.
    log_in(page, base, tree.community_secretary_a1.username)
    page.goto(f"{base}/alliances/{tree.community_a1.pk}/")
    page.get_by_test_id("meetings-link").click()
    page.get_by_test_id("meeting-create-link").click()
    starts = timezone.localtime() + dt.timedelta(days=1)
    page.get_by_label("会议名称").fill(MEETING)
    page.get_by_label("开始时间").fill(starts.strftime("%Y-%m-%dT14:30"))
    page.get_by_label("地点").fill("锦霞社区党群服务中心二楼会议室")
    for unit in [*present_units, clinic]:
        page.get_by_label(unit.name).check()
    page.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/meetings/\d+/$"))
    meeting_url = page.url
    meeting_pk = int(re.search(r"/meetings/(\d+)/$", meeting_url).group(1))
    expect(page.get_by_test_id("meeting-title")).to_have_text(MEETING)
    expect(page.get_by_test_id("meeting-status")).to_have_text("待召开")
    expect(page.get_by_test_id("invitations").locator("tbody tr")).to_have_count(3)

    # The liaison, on a phone, raises a proposal in the name of its unit.
    liaison, liaison_failures = phone_page(browser)
    log_in(liaison, base, tree.liaison_a1.username)
    liaison.get_by_role("link", name=tree.community_a1.name, exact=True).click()
    liaison.get_by_test_id("meetings-link").click()
    liaison.get_by_role("link", name="提出议题").click()
    liaison.get_by_label("议题").fill(PROPOSAL)
    liaison.get_by_label("内容").fill("东门一带电动自行车停放杂乱,居民反映飞线充电有安全隐患。")
    expect(liaison.get_by_label("提出单位")).to_have_value(str(tree.unit_a1.pk))
    liaison.get_by_role("button", name="提交").click()
    expect(liaison).to_have_url(re.compile(r"/proposals/\d+/$"))
    proposal_url = liaison.url
    expect(liaison.get_by_test_id("proposal-status")).to_have_text("待审定")
    expect(liaison.get_by_test_id("review")).to_have_count(0)

    # The secretary finds it under 待审定议题 on the meeting list, reviews it (审定) and puts it on
    # the meeting's agenda.
    page.goto(f"{base}/alliances/{tree.community_a1.pk}/meetings/")
    awaiting = page.get_by_test_id("awaiting-proposals")
    expect(awaiting).to_contain_text("待审定")
    awaiting.get_by_role("link", name=PROPOSAL).click()
    expect(page).to_have_url(proposal_url)
    page.get_by_test_id("review").get_by_role("button", name="审定通过").click()
    expect(flash(page)).to_contain_text("已审定通过")
    expect(page.get_by_test_id("proposal-status")).to_have_text("已审定")
    schedule = page.get_by_test_id("schedule")
    schedule.locator("select[name=meeting]").select_option(value=str(meeting_pk))
    schedule.get_by_role("button", name="列入议程").click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("已列入议程")

    # The meeting opens; attendance is recorded until the quorum is reached.
    page.goto(meeting_url)
    page.get_by_test_id("meeting-actions").get_by_role("button", name="开会").click()
    expect(page.get_by_test_id("meeting-status")).to_have_text("进行中")
    quorum = page.get_by_test_id("quorum")
    expect(quorum).to_contain_text("未达到法定人数")
    for unit in present_units:
        page.get_by_test_id(f"invitation-{unit.pk}").get_by_role("button", name="出席", exact=True).click()
        expect(flash(page)).to_contain_text("已登记出席情况")
    page.get_by_test_id(f"invitation-{clinic.pk}").get_by_role("button", name="缺席", exact=True).click()
    expect(page.get_by_test_id(f"invitation-{clinic.pk}")).to_contain_text("缺席")
    expect(quorum).to_contain_text("实到2个")
    expect(quorum).to_contain_text("已达到法定人数")
    proposal_pk = int(re.search(r"/proposals/(\d+)/$", proposal_url).group(1))
    row = page.get_by_test_id(f"proposal-{proposal_pk}")
    expect(row).to_contain_text(PROPOSAL)
    page.screenshot(path=screenshot_dir / "meeting-in-session-desktop.png", full_page=True)

    # The liaison finds the vote to cast on 我的会议 and votes for its unit, on the phone.
    liaison.get_by_test_id("nav-my-meetings").click()
    to_vote = liaison.get_by_test_id("votes-to-cast")
    expect(to_vote).to_contain_text(PROPOSAL)
    expect(to_vote).to_contain_text(tree.unit_a1.name)
    assert_fits_width(liaison)
    assert_no_sideways_scroll(liaison, "votes-to-cast")
    assert_no_sideways_scroll(liaison, "invitations")
    assert_no_sideways_scroll(liaison, "own-proposals")
    liaison.screenshot(path=screenshot_dir / "meeting-my-meetings-phone.png", full_page=True)
    to_vote.get_by_role("link", name="去表决").click()
    expect(liaison).to_have_url(f"{meeting_url}#proposal-{proposal_pk}")
    liaison_row = liaison.get_by_test_id(f"proposal-{proposal_pk}")
    # On the phone the agenda is a list of cards: the vote buttons are on screen, no sideways scroll.
    expect(liaison_row.get_by_role("button", name="赞成")).to_be_in_viewport()
    assert_fits_width(liaison)
    assert_no_sideways_scroll(liaison, "agenda")
    liaison.screenshot(path=screenshot_dir / "meeting-liaison-agenda-phone.png", full_page=True)
    # The liaison neither records attendance nor closes the vote.
    expect(liaison_row.get_by_role("button", name="结束表决")).to_have_count(0)
    expect(liaison.get_by_test_id("invitations").get_by_role("button")).to_have_count(0)
    liaison_row.get_by_role("button", name="赞成").click()
    expect(flash(liaison)).to_contain_text("已投票")
    assert_fits_width(liaison)
    liaison.screenshot(path=screenshot_dir / "meeting-liaison-voted-phone.png", full_page=True)
    liaison.get_by_test_id("nav-my-meetings").click()
    expect(liaison.get_by_test_id("votes-to-cast")).not_to_contain_text(PROPOSAL)

    # The secretary's page stayed open: the tally shows the liaison's vote without a reload (live.js).
    row = page.get_by_test_id(f"proposal-{proposal_pk}")
    expect(row.locator("td").nth(3)).to_have_text("1", timeout=15_000)
    # The secretary records the other present unit's vote, then closes the vote with the resolution.
    page.reload()
    row = page.get_by_test_id(f"proposal-{proposal_pk}")
    row.get_by_label("投票单位").select_option(label=tree.unit_a1_other.name)
    row.get_by_role("button", name="赞成").click()
    expect(flash(page)).to_contain_text("已投票")
    row = page.get_by_test_id(f"proposal-{proposal_pk}")
    row.get_by_placeholder("决议内容").fill(RESOLUTION)
    row.get_by_role("button", name="结束表决").click()
    expect(flash(page)).to_contain_text("已完成表决")
    row = page.get_by_test_id(f"proposal-{proposal_pk}")
    expect(row).to_contain_text("通过")
    expect(row.locator("td").nth(3)).to_have_text("2")  # 赞成
    expect(row.locator("td").nth(4)).to_have_text("0")  # 反对
    expect(row.locator("td").nth(5)).to_have_text("0")  # 弃权

    # The proposal page shows the tally, each unit's vote and the resolution; the secretary publishes it.
    row.get_by_role("link", name=PROPOSAL).click()
    expect(page.get_by_test_id("proposal-status")).to_have_text("已表决")
    resolution = page.get_by_test_id("resolution")
    expect(resolution).to_contain_text(RESOLUTION)
    expect(resolution).to_contain_text("通过")
    votes = page.get_by_test_id("votes")
    for unit in present_units:
        expect(votes.locator("tr", has_text=unit.name)).to_contain_text("赞成")
    expect(votes).not_to_contain_text(clinic.name)
    publication = page.get_by_test_id("publication")
    publication.get_by_label("公开范围").select_option(label="全体居民")
    publication.get_by_role("button", name="公开决议").click()
    expect(flash(page)).to_contain_text("决议已公开")
    expect(page.get_by_test_id("publication")).to_contain_text("全体居民")
    page.screenshot(path=screenshot_dir / "meeting-resolution-desktop.png", full_page=True)

    # The minutes, through the link on the meeting page (served inline, so read through the session).
    page.goto(meeting_url)
    minutes_href = page.get_by_role("link", name="会议纪要(PDF)").get_attribute("href")
    minutes = page.context.request.get(base + minutes_href)
    assert minutes.status == 200 and minutes.headers["content-type"] == "application/pdf"
    assert minutes.body()[:5] == b"%PDF-"

    # A resident, without an account, reads the resolution on the alliance's public page.
    page.goto(f"{base}/alliances/{tree.community_a1.pk}/meetings/")
    public_href = page.get_by_test_id("public-resolutions-link").get_attribute("href")
    resident, resident_failures = phone_page(browser)
    resident.goto(base + public_href)
    resolution_row = Resolution.objects.get(proposal_id=proposal_pk)
    card = resident.get_by_test_id(f"public-resolution-{resolution_row.pk}")
    expect(card).to_contain_text(PROPOSAL)
    expect(card).to_contain_text(RESOLUTION)
    expect(card).to_contain_text("赞成2")
    expect(resident.get_by_test_id("logout")).to_have_count(0)
    assert_fits_width(resident)
    resident.screenshot(path=screenshot_dir / "meeting-public-resolutions-phone.png", full_page=True)
    card.get_by_role("link", name=PROPOSAL).click()
    expect(resident.locator("main")).to_contain_text(RESOLUTION)

    assert Proposal.objects.get(pk=proposal_pk).status == ProposalStatus.DECIDED
    assert resolution_row.adopted and resolution_row.published and resolution_row.votes_for == 2
    assert failures == [] and liaison_failures == [] and resident_failures == []
    liaison.context.close()
    resident.context.close()
