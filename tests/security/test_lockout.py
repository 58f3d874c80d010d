"""Lock-out (django-axes): a username is locked from one address after AXES_FAILURE_LIMIT failed
logins, on the login page and the admin's; a correct password is refused while locked; the lock
ends after the cool-off."""

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Test-2026"  # tests/factories.py


def attempt(client, username, password, *, url=None, ip="192.0.2.10"):
    return client.post(url or reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times, **kwargs):
    for _ in range(times):
        response = attempt(client, username, "wrong-password", **kwargs)
        assert response.status_code == 200, response.status_code
        assert not signed_in(client)


def test_five_failures_lock_the_username_from_that_address(tree, client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail(client, "csec_a1", 4)
    # The fifth failure locks: the answer is the lock-out page, in Chinese, saying when to retry.
    locked = attempt(client, "csec_a1", "wrong-password")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "账号已暂时锁定" in page and "请在 30 分钟后" in page
    # Now even the right password is refused, and nobody is signed in.
    refused = attempt(client, "csec_a1", PASSWORD)
    assert refused.status_code == 429 and not signed_in(client)
    # The same user from another address, and another user from this one, are not locked.
    assert attempt(client, "csec_a1", PASSWORD, ip="198.51.100.7").status_code == 302
    client.logout()
    assert attempt(client, "csec_a2", PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(tree, client):
    fail(client, "csec_a1", 4)
    assert attempt(client, "csec_a1", "wrong-password").status_code == 429
    assert attempt(client, "csec_a1", PASSWORD).status_code == 429
    # 29 minutes later: still locked (a failure while locked counts from then).
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=29))
    assert attempt(client, "csec_a1", PASSWORD).status_code == 429
    # 31 minutes after the last failure the right password lets the user in.
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31))
    response = attempt(client, "csec_a1", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_a_success_resets_the_count(tree, client):
    fail(client, "csec_a1", 4)
    assert attempt(client, "csec_a1", PASSWORD).status_code == 302
    client.logout()
    fail(client, "csec_a1", 4)
    assert attempt(client, "csec_a1", PASSWORD).status_code == 302


def test_the_limit_is_a_setting(tree, client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    fail(client, "csec_a1", 1)
    assert attempt(client, "csec_a1", "wrong-password").status_code == 429


def test_the_admin_login_is_locked_too(tree, client):
    url = reverse("admin:login")
    fail(client, "root", 4, url=url)
    assert attempt(client, "root", "wrong-password", url=url).status_code == 429
    assert attempt(client, "root", PASSWORD, url=url).status_code == 429
    assert not signed_in(client)
    # The lock holds on the ordinary login page as well.
    assert attempt(client, "root", PASSWORD).status_code == 429


def test_behind_a_proxy_the_client_address_counts(tree, client, settings):
    """With TRUSTED_PROXY_COUNT proxies, X-Forwarded-For names the client: one client's failures do
    not lock everyone who comes through the same proxy."""
    settings.TRUSTED_PROXY_COUNT = 1

    def via_proxy(password, client_ip):
        return client.post(reverse("login"), {"username": "csec_a1", "password": password},
                           REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client_ip)

    for _ in range(4):
        assert via_proxy("wrong-password", "203.0.113.5").status_code == 200
    assert via_proxy("wrong-password", "203.0.113.5").status_code == 429
    # A client cannot escape by prepending its own entry: the proxy's appended one counts.
    assert via_proxy(PASSWORD, "1.2.3.4, 203.0.113.5").status_code == 429
    assert via_proxy(PASSWORD, "203.0.113.6").status_code == 302
