"""Production settings pass Django's deployment checks; our own checks catch a broken host."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from alliance import checks as alliance_checks

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "-production-secret-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "dangjian.example.gov.cn",
    "DATABASE_URL": "sqlite:///:memory:",
}


def _manage(*args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_check_deploy_prints_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    output = result.stdout + result.stderr
    host_missing = {"alliance.W001": not alliance_checks.cjk_font_available(),
                    "alliance.W002": not alliance_checks.harfbuzz_subset_available()}
    if any(host_missing.values()):
        # This machine lacks the PDF packages (CI and the image install them): only those may warn.
        expected = {code for code, missing in host_missing.items() if missing}
        assert result.returncode != 0 and expected <= set(_codes(output)), output
        assert set(_codes(output)) <= expected, output
    else:
        assert result.returncode == 0, output
        assert "no issues" in output


def _codes(output: str) -> list[str]:
    return re.findall(r"\((\w+\.[EW]\d{3})\)", output)


def test_production_refuses_a_missing_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_missing_font_and_harfbuzz_subset_are_reported(monkeypatch):
    monkeypatch.setattr(alliance_checks, "cjk_font_available", lambda: False)
    monkeypatch.setattr(alliance_checks, "harfbuzz_subset_available", lambda: False)
    ids = {m.id for m in alliance_checks.pdf_dependencies_check(None)}
    assert ids == {"alliance.W001", "alliance.W002"}


@pytest.mark.skipif(not alliance_checks.cjk_font_available(), reason="no CJK font on this machine")
def test_the_installed_host_passes_the_pdf_check():
    assert alliance_checks.pdf_dependencies_check(None) == []


def test_guardian_backend_is_required(settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert [m.id for m in alliance_checks.guardian_backend_check(None)] == ["alliance.E001"]
    assert "alliance.E001" in {m.id for m in checks.run_checks()}


def test_a_visibility_timeout_shorter_than_the_longest_task_is_an_error(settings):
    settings.CELERY_TASK_TIME_LIMIT = 1800
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 600}
    assert [m.id for m in alliance_checks.celery_visibility_timeout_check(None)] == ["alliance.E002"]
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert alliance_checks.celery_visibility_timeout_check(None) == []


def test_production_sends_the_security_headers_and_safe_cookies():
    """Issue #9: HSTS, secure and same-site cookies, referrer and opener policies, a CSP without
    inline script, and the lock-out backend ahead of the others."""
    import json

    names = ["SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
             "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SECURE_REFERRER_POLICY",
             "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SESSION_EXPIRE_AT_BROWSER_CLOSE", "SESSION_COOKIE_AGE",
             "SESSION_IDLE_TIMEOUT", "AUTHENTICATION_BACKENDS", "CONTENT_SECURITY_POLICY", "MIDDLEWARE"]
    code = f"import json; from django.conf import settings as s; print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    result = _manage("shell", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_SAMESITE"] == values["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] and values["SESSION_COOKIE_AGE"] <= 8 * 3600
    assert 0 < values["SESSION_IDLE_TIMEOUT"] <= 30 * 60
    assert values["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    directives = values["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"] and directives["object-src"] == ["'none'"]
    assert "csp.middleware.CSPMiddleware" in values["MIDDLEWARE"]
    assert values["MIDDLEWARE"][-1] == "axes.middleware.AxesMiddleware"
