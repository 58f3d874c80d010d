"""Sessions: at most 8 hours, end with the browser, end after 30 idle minutes (the session is
written at most once a minute for that); "log out everywhere" ends every session and API token."""

import time

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.middleware import LAST_SEEN
from accounts.models import UserSession

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Test-2026"


def set_last_seen(client, seconds_ago):
    session = client.session
    session[LAST_SEEN] = int(time.time()) - seconds_ago
    session.save()


def test_the_session_cookie_lasts_until_the_browser_closes_and_at_most_eight_hours(tree, client, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    response = client.post(reverse("login"), {"username": "csec_a1", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # a browser-session cookie
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert client.session.get_expiry_age() <= 8 * 3600


def test_thirty_idle_minutes_sign_the_user_out(tree, client):
    client.force_login(tree.community_secretary_a1)
    assert client.get(reverse("account")).status_code == 200
    set_last_seen(client, 29 * 60)
    assert client.get(reverse("account")).status_code == 200
    set_last_seen(client, 31 * 60)
    response = client.get(reverse("account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "长时间未操作,已自动退出,请重新登录。" in [str(m) for m in get_messages(response.wsgi_request)]
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("account")).status_code == 302


def test_an_idle_api_session_is_refused(tree, client):
    client.force_login(tree.community_secretary_a1)
    assert client.get(reverse("api:alliance-list")).status_code == 200
    set_last_seen(client, 31 * 60)
    assert client.get(reverse("api:alliance-list")).status_code == 401  # signed out: no credentials


def test_the_session_is_written_at_most_once_a_minute(tree, client):
    client.force_login(tree.community_secretary_a1)
    set_last_seen(client, 30)
    before = client.session[LAST_SEEN]
    client.get(reverse("account"))
    assert client.session[LAST_SEEN] == before
    set_last_seen(client, 61)
    client.get(reverse("account"))
    assert client.session[LAST_SEEN] >= int(time.time()) - 2


def test_logout_everywhere_ends_every_session_and_token_of_the_user_only(tree, client):
    phone, laptop, colleague = Client(), Client(), Client()
    for c in (client, phone, laptop):
        assert c.post(reverse("login"), {"username": "csec_a1", "password": PASSWORD}).status_code == 302
    colleague.force_login(tree.community_secretary_a2)
    Token.objects.create(user=tree.community_secretary_a1)
    other_token = Token.objects.create(user=tree.community_secretary_a2)
    assert UserSession.objects.filter(user=tree.community_secretary_a1).count() == 3

    page = client.get(reverse("account")).content.decode()
    assert "当前有 3 个登录会话" in page and reverse("sessions-end-all") in page
    response = client.post(reverse("sessions-end-all"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    for c in (client, phone, laptop):
        assert c.get(reverse("account")).status_code == 302
    assert not Token.objects.filter(user=tree.community_secretary_a1).exists()
    assert not UserSession.objects.filter(user=tree.community_secretary_a1).exists()
    # The colleague is untouched.
    assert colleague.get(reverse("account")).status_code == 200
    assert Token.objects.filter(pk=other_token.pk).exists()


def test_logout_everywhere_needs_a_post_and_a_login(tree, client):
    assert client.post(reverse("sessions-end-all")).status_code == 302
    client.force_login(tree.community_secretary_a1)
    assert client.get(reverse("sessions-end-all")).status_code == 405


def test_logging_out_forgets_the_session(tree, client):
    client.force_login(tree.community_secretary_a1)
    assert UserSession.objects.filter(user=tree.community_secretary_a1).count() == 1
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=tree.community_secretary_a1).exists()


def test_the_account_page_runs_a_fixed_number_of_queries(tree, django_assert_max_num_queries):
    clients = []
    for _ in range(5):
        c = Client()
        c.force_login(tree.community_secretary_a1)
        clients.append(c)
    with django_assert_max_num_queries(8):
        assert clients[0].get(reverse("account")).status_code == 200
