"""A co-construction agreement (共建协议) through its first four stages in a real browser:
drafted and signed by the community secretary, signed by the unit's liaison on a phone,
published (亮约) for residents, then performed (履约) until the liaison sees what its unit owes."""

from __future__ import annotations

import re

import pytest

from agreements.models import Agreement, Party, Stage

from .conftest import PHONE
from .test_demand_loop import log_in
from .test_walkthrough import assert_fits_width, failed_responses

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev group) is not installed")
expect = sync_api.expect

TITLE = "锦霞社区物业服务共建协议"
CLAUSE = "双方共同维护小区公共环境,每月开展一次联合志愿服务。"
UNIT_PROMISE = "每月组织物业志愿者清理楼道杂物"
OWN_PROMISE = "每月召开一次物业服务协调会"


def phone_page(browser):
    """A separate user on a phone: its own cookies, its own failures."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    return page, failed_responses(page)


def current_stage(page):
    return page.get_by_test_id("stage-bar").locator("[aria-current=step]")


def add_commitment(page, *, party: str, title: str, category: str, day: int) -> None:
    """Fill the 添加承诺事项 form of a draft: a monthly promise of `party` on `day`."""
    box = page.get_by_test_id("commitment-add")
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    box.get_by_label("承诺方").select_option(label=party)
    box.get_by_label("承诺事项").fill(title)
    box.get_by_label("类别").select_option(label=category)
    box.get_by_label("周期").select_option(label="每月")
    box.get_by_label("每期日期").fill(str(day))
    box.get_by_role("button", name="添加").click()
    expect(page.locator(".messages")).to_contain_text("已添加承诺事项")
    expect(page.locator("#commitments")).to_contain_text(title)


@pytest.mark.e2e
def test_an_agreement_is_drafted_signed_published_and_performed(live_server, tree, page, browser, screenshot_dir):
    base = live_server.url
    failures = failed_responses(page)
    unit = tree.unit_a1

    # The community secretary opens the alliance page and follows 共建协议 to a new draft with unit_a1.
    log_in(page, base, tree.community_secretary_a1.username)
    page.goto(f"{base}/alliances/{tree.community_a1.pk}/")
    page.get_by_test_id("agreements-link").click()
    expect(page).to_have_url(f"{base}/alliances/{tree.community_a1.pk}/agreements/")
    page.get_by_test_id("agreement-create-link").click()
    form = page.get_by_test_id("agreement-form")
    form.get_by_label("协议名称").fill(TITLE)
    form.get_by_label("协议说明").fill("为共同建设美丽锦霞,经协商一致,订立本协议。")
    form.get_by_label(unit.name).check()
    form.get_by_role("button", name="起草协议").click()
    expect(page).to_have_url(re.compile(r"/agreements/\d+/$"))
    agreement_pk = int(re.search(r"/agreements/(\d+)/$", page.url).group(1))
    detail_url = page.url
    expect(page.get_by_test_id("agreement-title")).to_have_text(TITLE)
    expect(current_stage(page)).to_have_text("谈约")

    # A clause, then one monthly promise of the unit and one of the initiating organisation.
    clause_box = page.get_by_test_id("clause-add")
    if clause_box.get_attribute("open") is None:
        clause_box.locator("summary").click()
    clause_box.get_by_label("条款内容").fill(CLAUSE)
    clause_box.get_by_role("button", name="添加").click()
    expect(page.get_by_test_id("clauses")).to_contain_text(CLAUSE)

    initiator = Party.objects.get(agreement_id=agreement_pk, unit__isnull=True).name
    add_commitment(page, party=unit.name, title=UNIT_PROMISE, category="志愿服务", day=15)
    add_commitment(page, party=initiator, title=OWN_PROMISE, category="其他", day=20)
    assert_fits_width(page)
    page.screenshot(path=screenshot_dir / "agreement-draft-desktop.png", full_page=True)

    # The secretary signs for the initiating organisation: the content is locked.
    parties = page.get_by_test_id("parties")
    parties.locator("tr", has_text="发起党组织").get_by_role("button", name="签署").click()
    expect(page.locator(".messages")).to_contain_text("已签署")
    expect(page.get_by_test_id("locked-note")).to_be_visible()
    expect(parties.locator("tr", has_text="发起党组织")).to_contain_text("已签署")
    expect(page.get_by_test_id("commitment-add")).to_have_count(0)
    expect(current_stage(page)).to_have_text("谈约")

    # The liaison, on a phone, finds the agreement from the home page and signs for its unit.
    liaison, liaison_failures = phone_page(browser)
    log_in(liaison, base, tree.liaison_a1.username)
    liaison.get_by_role("link", name=tree.community_a1.name, exact=True).click()
    liaison.get_by_test_id("agreements-link").click()
    liaison.get_by_test_id("agreements").get_by_role("link", name=TITLE).click()
    expect(liaison).to_have_url(detail_url)
    unit_row = liaison.get_by_test_id("parties").locator("tr", has_text=unit.name)
    expect(liaison.get_by_test_id("parties").locator("tr", has_text="发起党组织").get_by_role("button", name="签署")) \
        .to_have_count(0)
    assert_fits_width(liaison)
    liaison.screenshot(path=screenshot_dir / "agreement-liaison-sign-phone.png", full_page=True)
    unit_row.get_by_role("button", name="签署").click()
    expect(liaison.locator(".messages")).to_contain_text("已签署")
    expect(current_stage(liaison)).to_have_text("签约")
    expect(liaison.get_by_test_id("content-hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    # A liaison does not publish.
    expect(liaison.get_by_test_id("move-publish")).to_have_count(0)

    # The secretary publishes (亮约): the stage bar moves on, the public link and its QR appear.
    page.reload()
    expect(current_stage(page)).to_have_text("签约")
    page.get_by_test_id("move-publish").click()
    expect(page.locator(".messages")).to_contain_text("已亮约")
    expect(current_stage(page)).to_have_text("亮约")
    expect(page.get_by_test_id("stage-bar").locator(".stage-step.done")).to_have_count(2)
    expect(page.get_by_test_id("public-qr").locator("svg")).to_have_count(1)
    public_url = page.get_by_test_id("public-link").get_attribute("href")
    assert public_url and "/p/agreements/" in public_url
    page.screenshot(path=screenshot_dir / "agreement-published-desktop.png", full_page=True)

    # The PDF of the agreement, through the link on its page.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="协议文本(PDF)").click()
    download = download_info.value
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert download.suggested_filename.endswith(".pdf")

    # A resident without an account opens the public page on a phone: the parties and the QR.
    resident, resident_failures = phone_page(browser)
    resident.goto(public_url if public_url.startswith("http") else base + public_url)
    expect(resident.get_by_test_id("agreement-title")).to_have_text(TITLE)
    resident_parties = resident.get_by_test_id("parties")
    expect(resident_parties).to_contain_text(unit.name)
    expect(resident_parties).to_contain_text(initiator)
    expect(resident.get_by_test_id("public-qr").locator("svg")).to_have_count(1)
    expect(resident.get_by_test_id("clauses")).to_contain_text(CLAUSE)
    expect(resident.get_by_test_id("commitments")).to_contain_text(UNIT_PROMISE)
    expect(resident.get_by_test_id("logout")).to_have_count(0)
    assert_fits_width(resident)
    resident.screenshot(path=screenshot_dir / "agreement-public-phone.png", full_page=True)

    # The secretary starts performing (履约): every promise gets its items.
    page.get_by_test_id("move-perform").click()
    expect(page.locator(".messages")).to_contain_text("已开始履约")
    expect(current_stage(page)).to_have_text("履约")
    expect(page.get_by_test_id("progress")).to_be_visible()

    # The liaison sees its unit's promise, with its dated items, on 我们的承诺.
    liaison.goto(f"{base}/alliances/{tree.community_a1.pk}/")
    liaison.get_by_role("link", name=unit.name, exact=True).click()
    liaison.get_by_test_id("obligations-link").click()
    expect(liaison).to_have_url(f"{base}/units/{unit.pk}/obligations/")
    obligations = liaison.get_by_test_id("obligations")
    row = obligations.locator("li", has_text=UNIT_PROMISE)
    expect(row).to_have_count(1)
    expect(row.locator("a.occurrence").first).to_be_visible()
    expect(row.get_by_test_id("next-due")).to_have_text(re.compile(r"^\d{4}-\d{2}-15$"))
    # The initiating organisation's own promise is not the unit's to keep.
    expect(obligations).not_to_contain_text(OWN_PROMISE)
    assert_fits_width(liaison)
    liaison.screenshot(path=screenshot_dir / "agreement-obligations-phone.png", full_page=True)

    agreement = Agreement.objects.get(pk=agreement_pk)
    assert agreement.stage == Stage.PERFORMING and len(agreement.content_hash) == 64
    assert failures == [] and liaison_failures == [] and resident_failures == []
    liaison.context.close()
    resident.context.close()
