"""Headers and policy: a Content-Security-Policy without inline script or style on every page,
the pages working under it in a real browser, and CSRF checked on every form that changes state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.e2e.conftest import browser, page  # noqa: F401  (the browser fixtures)

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PASSWORD = "pw-Test-2026"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def test_every_page_sends_the_policy(tree, client):
    for response in (client.get(reverse("login")), client.get(reverse("public-demand",
                                                                       args=[tree.community_a1.pk]))):
        csp = policy(response)
        assert csp["default-src"] == ["'self'"] and csp["script-src"] == ["'self'"]
        assert csp["style-src"] == ["'self'"] and csp["object-src"] == ["'none'"]
        assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
        assert csp["base-uri"] == ["'self'"] and csp["img-src"] == ["'self'", "data:"]
    client.force_login(tree.community_secretary_a1)
    response = client.get(reverse("home"))
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin" and response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_api_docs_relax_styles_only(tree, client):
    client.force_login(tree.community_secretary_a1)
    for name in ("swagger-ui", "redoc"):
        csp = policy(client.get(reverse(name)))
        assert csp["script-src"] == ["'self'"]
        assert "'unsafe-inline'" in csp["style-src"]
    # Swagger UI's start-up script is a file of its own, not an inline script.
    html = client.get(reverse("swagger-ui")).content.decode()
    assert re.search(r'<script src="[^"]*\?[^"]*script=', html) and "<script>" not in html


@pytest.mark.parametrize("path", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")
                                        if p.relative_to(TEMPLATES).parts[0] != "pdf"))
def test_no_template_has_inline_script_or_style(path):
    """pdf/ is exempt: WeasyPrint renders those, no browser does."""
    text = (TEMPLATES / path).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"<style\b", text), "<style> block"
    assert not re.search(r"\sstyle\s*=", text), "style attribute"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert "javascript:" not in text


@pytest.mark.parametrize("path", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_every_post_form_has_a_csrf_token(path):
    text = (TEMPLATES / path).read_text()
    for form in re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", text, flags=re.S | re.I):
        assert "{% csrf_token %}" in form, form[:120]


def test_state_changing_pages_refuse_a_post_without_the_csrf_token(tree):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("login"), {"username": "csec_a1", "password": PASSWORD}).status_code == 403
    client.force_login(tree.community_secretary_a1)
    for url, data in (
        (reverse("sessions-end-all"), {}),
        (reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Jinxia-2026!",
                                      "new_password2": "Jinxia-2026!"}),
        (reverse("otp-setup"), {"token": "123456"}),
        (reverse("logout"), {}),
        (reverse("alliance-edit", args=[tree.community_a1.pk]), {"name": "改名"}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("account")).status_code == 200  # still signed in: nothing happened


def test_the_pages_work_under_the_policy_in_a_browser(live_server, tree, page):  # noqa: F811
    """The platform's pages, the admin and the API docs, in Chromium: the e2e `page` fixture fails
    the test on any violation the browser reports."""
    from playwright.sync_api import expect

    base = live_server.url
    # The listener works: an inline script injected into a page is refused and reported.
    page.goto(f"{base}{reverse('login')}")
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.injected = true;"; document.body.append(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.injected === undefined")
    assert any("Content Security Policy" in v for v in page.csp_violations)
    page.csp_violations.clear()

    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()
    for path in (reverse("account"), reverse("otp-setup"), reverse("password_change"),
                 reverse("alliance-detail", args=[tree.community_a1.pk]),
                 reverse("admin:index"), reverse("admin:members_user_changelist"),
                 reverse("admin:members_user_change", args=[tree.root.pk])):
        response = page.goto(f"{base}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("otp-qr")).to_have_count(0)  # (on the user change page now)
    page.goto(f"{base}{reverse('otp-setup')}")
    assert page.evaluate("document.querySelector('[data-testid=otp-qr]').naturalWidth") > 0
    page.goto(f"{base}{reverse('swagger-ui')}")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible(timeout=60_000)
    # Redoc takes long to lay out the whole schema on a busy machine: its script runs and fetches
    # the schema under the policy, which is what this test is about.
    with page.expect_response(lambda r: r.url.endswith(reverse("schema")), timeout=60_000) as schema:
        page.goto(f"{base}{reverse('redoc')}")
    assert schema.value.status == 200
    page.wait_for_timeout(2_000)
