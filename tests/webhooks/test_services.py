"""Who may subscribe what, and the addresses the platform refuses to send to (SSRF)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from integrations.services import api_client_revoke
from webhooks.models import WebhookSubscription
from webhooks.services import (
    subscription_create,
    subscription_delete,
    subscription_pause,
    subscription_resume,
    subscription_update,
)


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False


@pytest.mark.parametrize("url, message", [
    ("http://hooks.example.cn/alliance", "https"),
    ("https://127.0.0.1/hooks", "内网"),
    ("https://localhost:8443/hooks", "内网"),
    ("https://10.0.0.8/hooks", "内网"),
    ("https://192.168.1.1/hooks", "内网"),
    ("https://169.254.169.254/latest/meta-data/", "内网"),
    ("https://[::1]/hooks", "内网"),
    ("https://user:pw@hooks.example.cn/", "用户名"),
    ("ftp://hooks.example.cn/", "有效的网址"),
    ("not a url", "有效的网址"),
    ("", "请填写"),
])
def test_production_refuses_unsafe_addresses(tree, register, production, url, message):
    client, _t = register(tree.street_a, "items:read")
    with pytest.raises(ValidationError) as refused:
        subscription_create(user=tree.district_admin, client=client, url=url, events=["item.created"])
    assert message in " ".join(refused.value.message_dict["url"])
    assert not WebhookSubscription.objects.exists()


def test_the_secret_is_shown_once_and_differs_per_subscription(tree, register, receiver):
    client, _t = register(tree.street_a, "items:read")
    first, secret = subscription_create(user=tree.district_admin, client=client, url=receiver.url,
                                        events=["item.created", "item.created"])
    second, other = subscription_create(user=tree.district_admin, client=client, url=receiver.url,
                                        events=["item.resolved"])
    assert secret.startswith("whsec_") and len(secret) > 30 and secret != other
    assert first.events == ["item.created"]
    assert first.tenant_id == tree.district.tenant_id and first.alliance_path == tree.street_a.path


@pytest.mark.parametrize("events, message", [
    ([], "至少"),
    (["item.deleted"], "未知的事件"),
    (["agreement.signed"], "读取共建协议"),
    ("item.created", "请选择"),
])
def test_events_must_be_known_and_readable_by_the_client(tree, register, receiver, events, message):
    client, _t = register(tree.street_a, "items:read")
    with pytest.raises(ValidationError) as refused:
        subscription_create(user=tree.district_admin, client=client, url=receiver.url, events=events)
    assert message in " ".join(refused.value.message_dict["events"])


def test_the_client_itself_may_subscribe_and_another_client_may_not(tree, register, receiver):
    client, _t = register(tree.street_a, "items:read")
    other, _t = register(tree.street_a, "items:read", name="另一个系统")
    own, _secret = subscription_create(user=client.user, client=client, url=receiver.url, events=["item.created"])
    assert own.client == client
    with pytest.raises(Http404):
        subscription_create(user=other.user, client=client, url=receiver.url, events=["item.created"])
    with pytest.raises(Http404):
        subscription_delete(user=other.user, subscription=own)


@pytest.mark.parametrize("who", ["secretary_a", "secretary_b", "community_secretary_a1", "other_tenant_admin"])
def test_only_a_district_admin_over_the_client_manages_it(tree, register, receiver, who):
    client, _t = register(tree.street_a, "items:read")
    with pytest.raises(Http404):
        subscription_create(user=getattr(tree, who), client=client, url=receiver.url, events=["item.created"])
    sub, _s = subscription_create(user=tree.district_admin, client=client, url=receiver.url, events=["item.created"])
    for change in (subscription_pause, subscription_resume, subscription_delete):
        with pytest.raises(Http404):
            change(user=getattr(tree, who), subscription=sub)
    assert WebhookSubscription.objects.filter(pk=sub.pk, is_active=True).exists()


def test_update_pause_resume_delete(tree, register, receiver):
    client, _t = register(tree.street_a, "items:read", "meetings:read")
    sub, secret = subscription_create(user=tree.district_admin, client=client, url=receiver.url,
                                      events=["item.created"])
    sub = subscription_update(user=tree.district_admin, subscription=sub, url=receiver.url + "/v2",
                              events=["resolution.published", "item.rated"])
    assert sub.url.endswith("/v2") and sub.events == ["item.rated", "resolution.published"]
    assert sub.secret == secret
    assert not subscription_pause(user=tree.district_admin, subscription=sub).is_active
    WebhookSubscription.objects.filter(pk=sub.pk).update(consecutive_failures=4)
    resumed = subscription_resume(user=tree.district_admin, subscription=sub)
    assert resumed.is_active and resumed.consecutive_failures == 0
    subscription_delete(user=tree.district_admin, subscription=sub)
    assert not WebhookSubscription.objects.exists()


def test_a_revoked_client_cannot_subscribe(tree, register, receiver):
    client, _t = register(tree.street_a, "items:read")
    api_client_revoke(user=tree.district_admin, client=client)
    client.refresh_from_db()
    with pytest.raises(ValidationError):
        subscription_create(user=tree.district_admin, client=client, url=receiver.url, events=["item.created"])


def test_the_deploy_check_warns_about_open_targets(settings):
    from webhooks.checks import webhook_targets_check

    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert webhook_targets_check(None) == []
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    assert [w.id for w in webhook_targets_check(None)] == ["webhooks.W002"]
