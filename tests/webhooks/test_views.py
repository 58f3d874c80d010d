"""The district admin's pages: subscriptions of a client, the secret shown once, deliveries, replay."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from webhooks.models import WebhookDelivery, WebhookSubscription


@pytest.fixture
def client_a1(tree, register):
    client, _token = register(tree.community_a1, "items:read", "meetings:read")
    return client


def _delivery(sub, status="failed", **fields):
    return WebhookDelivery.objects.create(
        tenant_id=sub.tenant_id, alliance_path=sub.alliance_path, subscription=sub, event_kind="item.created",
        event_id=uuid.uuid4(), payload={"item": {"id": 1}}, status=status, **fields)


def test_the_admin_creates_a_subscription_and_sees_the_secret_once(tree, client_a1, login, receiver):
    page = login(tree.district_admin)
    form = page.get(reverse("webhook-subscription-create", kwargs={"pk": client_a1.pk}))
    assert form.status_code == 200 and "item.created" in form.content.decode()
    created = page.post(reverse("webhook-subscription-create", kwargs={"pk": client_a1.pk}),
                        {"url": receiver.url, "events": ["item.created", "resolution.published"]})
    assert created.status_code == 200
    sub = WebhookSubscription.objects.get()
    assert sub.secret in created.content.decode()
    assert "no-store" in created.get("Cache-Control", "") or "max-age=0" in created.get("Cache-Control", "")
    listing = page.get(reverse("webhook-subscription-list", kwargs={"pk": client_a1.pk}))
    assert listing.status_code == 200
    assert receiver.url in listing.content.decode() and sub.secret not in listing.content.decode()


def test_bad_input_is_shown_on_the_form_and_nothing_is_saved(tree, client_a1, login, receiver):
    page = login(tree.district_admin)
    refused = page.post(reverse("webhook-subscription-create", kwargs={"pk": client_a1.pk}),
                        {"url": receiver.url, "events": ["agreement.signed"]})
    assert refused.status_code == 200
    assert "读取共建协议" in refused.content.decode()
    empty = page.post(reverse("webhook-subscription-create", kwargs={"pk": client_a1.pk}), {"url": ""})
    assert empty.status_code == 200
    assert not WebhookSubscription.objects.exists()


def test_pause_resume_and_the_paused_state_on_the_page(tree, client_a1, login, subscribe, receiver):
    from django.utils import timezone

    sub, _s = subscribe(client_a1, receiver.url, "item.created")
    page = login(tree.district_admin)
    page.post(reverse("webhook-subscription-action", kwargs={"pk": sub.pk, "action": "pause"}))
    sub.refresh_from_db()
    assert not sub.is_active
    WebhookSubscription.objects.filter(pk=sub.pk).update(is_active=True, paused_at=timezone.now(),
                                                         pause_reason="连续5次推送失败,已自动暂停。",
                                                         consecutive_failures=5)
    listing = page.get(reverse("webhook-subscription-list", kwargs={"pk": client_a1.pk})).content.decode()
    assert 'data-testid="webhook-paused"' in listing and "连续5次推送失败" in listing
    page.post(reverse("webhook-subscription-action", kwargs={"pk": sub.pk, "action": "resume"}))
    sub.refresh_from_db()
    assert sub.is_delivering and sub.consecutive_failures == 0
    assert page.post(reverse("webhook-subscription-action", kwargs={"pk": sub.pk, "action": "explode"})
                     ).status_code == 404


def test_the_deliveries_page_filters_and_replays(tree, client_a1, login, subscribe, receiver, commit):
    sub, _s = subscribe(client_a1, receiver.url, "item.created")
    failed = _delivery(sub, "failed", attempts=8, last_status_code=500, last_error="HTTP 500 服务暂不可用")
    done = _delivery(sub, "succeeded", attempts=1, last_status_code=200)
    page = login(tree.district_admin)
    url = reverse("webhook-delivery-list", kwargs={"pk": sub.pk})
    listing = page.get(url).content.decode()
    assert f"webhook-delivery-{failed.pk}" in listing and f"webhook-delivery-{done.pk}" in listing
    assert "HTTP 500 服务暂不可用" in listing and "重新发送" in listing
    only_failed = page.get(url + "?status=failed").content.decode()
    assert f"webhook-delivery-{failed.pk}" in only_failed and f"webhook-delivery-{done.pk}" not in only_failed
    assert page.get(url + "?status=nonsense").status_code == 200
    with commit():
        replayed = page.post(reverse("webhook-delivery-replay", kwargs={"pk": failed.pk}))
    assert replayed.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "succeeded" and failed.attempts == 9
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("who", ["secretary_b", "community_secretary_a1", "community_secretary_a2",
                                 "other_tenant_admin"])
def test_everyone_but_the_district_admin_gets_404(tree, client_a1, login, subscribe, receiver, who):
    sub, _s = subscribe(client_a1, receiver.url, "item.created")
    delivery = _delivery(sub)
    page = login(getattr(tree, who))
    for url in (reverse("webhook-subscription-list", kwargs={"pk": client_a1.pk}),
                reverse("webhook-subscription-create", kwargs={"pk": client_a1.pk}),
                reverse("webhook-delivery-list", kwargs={"pk": sub.pk})):
        assert page.get(url).status_code == 404, url
    assert page.post(reverse("webhook-subscription-create", kwargs={"pk": client_a1.pk}),
                     {"url": receiver.url, "events": ["item.created"]}).status_code == 404
    assert page.post(reverse("webhook-subscription-action", kwargs={"pk": sub.pk, "action": "delete"})
                     ).status_code == 404
    assert page.post(reverse("webhook-delivery-replay", kwargs={"pk": delivery.pk})).status_code == 404
    assert WebhookSubscription.objects.count() == 1
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_the_pages_run_a_fixed_number_of_queries(tree, client_a1, login, subscribe, receiver):
    page = login(tree.district_admin)
    first, _s = subscribe(client_a1, receiver.url, "item.created")

    def count(n) -> int:
        for i in range(n):
            subscribe(client_a1, receiver.url + f"/{i}", "item.created")
            _delivery(first)
        with CaptureQueriesContext(connection) as ctx:
            assert page.get(reverse("webhook-subscription-list", kwargs={"pk": client_a1.pk})).status_code == 200
            assert page.get(reverse("webhook-delivery-list", kwargs={"pk": first.pk})).status_code == 200
        return len(ctx.captured_queries)

    count(0)
    assert count(1) == count(10)
