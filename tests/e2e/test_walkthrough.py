"""The district admin's first walk through the tree, in a real browser."""

from __future__ import annotations

import re

import pytest

from .conftest import DESKTOP, PHONE

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright (dev group) is not installed"
)
expect = sync_api.expect

PASSWORD = "pw-Test-2026"


def failed_responses(page) -> list[str]:
    """Collect every 4xx/5xx answer the page gets (the browser's own favicon probe aside)."""
    failures: list[str] = []

    def on_response(response):
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            failures.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    return failures


def assert_fits_width(page) -> None:
    """Nothing sticks out sideways: the page scrolls vertically only (tables scroll in their box)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (
        f"page is {overflow}px wider than the {page.viewport_size['width']}px viewport"
    )


@pytest.mark.e2e
def test_district_admin_walks_down_to_a_community(live_server, tree, page, screenshot_dir):
    failures = failed_responses(page)
    base = live_server.url

    # Log in through the form; the browser asks for Chinese, which is also the default.
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_label("用户名").fill(tree.district_admin.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()

    # The home page lists the alliance the role was given on.
    expect(page).to_have_url(f"{base}/")
    page.get_by_role("link", name=tree.district.name, exact=True).click()

    # District -> street -> community, through the children lists.
    expect(page.get_by_test_id("alliance-name")).to_have_text(tree.district.name)
    page.get_by_test_id("children").get_by_role("link", name=tree.street_a.name, exact=True).click()
    expect(page.get_by_test_id("alliance-name")).to_have_text(tree.street_a.name)
    page.get_by_test_id("children").get_by_role(
        "link", name=tree.community_a1.name, exact=True
    ).click()
    expect(page.get_by_test_id("alliance-name")).to_have_text(tree.community_a1.name)
    expect(page).to_have_url(f"{base}/alliances/{tree.community_a1.pk}/")

    breadcrumb = page.locator("nav.breadcrumb")
    expect(breadcrumb.get_by_role("link", name=tree.district.name, exact=True)).to_be_visible()
    expect(breadcrumb.get_by_role("link", name=tree.street_a.name, exact=True)).to_be_visible()
    expect(breadcrumb).to_contain_text(tree.community_a1.name)
    # The neighbouring street is not on the path.
    expect(breadcrumb).not_to_contain_text(tree.street_b.name)

    # The member units table, with the community's own units and nobody else's.
    table = page.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text(tree.unit_a1.name)
    expect(table).to_contain_text(tree.unit_a1_other.name)
    expect(table).not_to_contain_text(tree.unit_a2.name)
    assert_fits_width(page)
    page.screenshot(path=screenshot_dir / "community-zh-desktop.png", full_page=True)

    # The same page on a phone.
    page.set_viewport_size(PHONE)
    expect(page.get_by_test_id("alliance-name")).to_be_visible()
    expect(page.get_by_test_id("lang-en")).to_be_visible()
    assert_fits_width(page)
    table_overflow = page.locator(".table-wrap").evaluate("el => el.scrollWidth - el.clientWidth")
    assert table_overflow <= 0, (
        f"the member table needs {table_overflow}px of sideways scrolling on a phone"
    )
    page.screenshot(path=screenshot_dir / "community-zh-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)

    # Switch to English: the same page comes back, in English, and offers Chinese instead.
    page.get_by_test_id("lang-en").click()
    expect(page).to_have_url(f"{base}/alliances/{tree.community_a1.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-zh-hans")).to_have_text("简体中文")
    expect(page.get_by_test_id("lang-en")).to_have_count(0)
    expect(page.get_by_test_id("alliance-name")).to_have_text(tree.community_a1.name)
    page.screenshot(path=screenshot_dir / "community-en-desktop.png", full_page=True)

    # The choice outlives the session: after logging out, the login form is in English,
    # in strings Django translates itself.
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    page.screenshot(path=screenshot_dir / "login-en-desktop.png", full_page=True)

    assert failures == []
