"""A real headless Chromium for the browser tests, driven by Playwright's sync API.

Playwright's own browser download is not used: the tests drive the system Chromium
(Debian's `chromium` package, or whatever CHROMIUM_PATH names) and are skipped when
there is none, so a machine with only Python still runs the suite green.

Test data: the `tree` fixture from tests/conftest.py is used as it is. It asks for
`db`, but pytest-django makes `db` transactional in any test that also asks for
`live_server`, so the rows are committed and the server thread sees them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator:
    path = chromium_path()
    if not os.access(path, os.X_OK):
        pytest.skip(f"no Chromium at {path}: install Debian's `chromium` or set CHROMIUM_PATH")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright (dev group) is not installed"
    )

    # The sync API keeps an asyncio loop running in this thread while Playwright is
    # started, and Django refuses ORM calls from a thread with a running loop. Allow
    # them only for as long as Playwright runs, so the tests after these keep the check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


CSP_MARKERS = ("Content Security Policy", "Refused to")


@pytest.fixture
def page(browser):
    """A fresh browser profile that asks for Chinese, as the platform's users do.

    Every page must work under the Content-Security-Policy: a violation Chromium reports on the
    console (an inline script or style, a foreign origin) fails the test."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if any(marker in message.text for marker in CSP_MARKERS) else None)
    page.csp_violations = violations
    yield page
    context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
