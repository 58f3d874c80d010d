"""/api/v1/webhook-subscriptions/ and /webhook-deliveries/: a client's own, an admin's clients', nobody else's."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from webhooks.models import WebhookDelivery, WebhookSubscription

LIST = "api:webhook-subscription-list"


@pytest.fixture
def bearer(db):
    def _bearer(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client
    return _bearer


def _errors(response) -> dict:
    """Field errors, in the API's error shape ({"code", "message", "errors"})."""
    body = response.json()
    return body.get("errors", body)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def test_a_client_subscribes_itself_with_its_token_and_sees_its_own_only(tree, register, bearer, receiver):
    client, token = register(tree.street_a, "items:read")
    other, other_token = register(tree.street_a, "items:read", name="另一个系统")
    api = bearer(token)
    created = api.post(reverse(LIST), {"url": receiver.url, "events": ["item.created"]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["client"] == client.pk
    detail = api.get(reverse("api:webhook-subscription-detail", kwargs={"pk": body["id"]}))
    assert detail.status_code == 200 and "secret" not in detail.json()  # shown once
    assert _ids(api.get(reverse(LIST))) == [body["id"]]
    # Another client neither lists nor opens nor changes it.
    neighbour = bearer(other_token)
    assert _ids(neighbour.get(reverse(LIST))) == []
    url = reverse("api:webhook-subscription-detail", kwargs={"pk": body["id"]})
    assert neighbour.get(url).status_code == 404
    assert neighbour.patch(url, {"url": receiver.url + "/x"}, format="json").status_code == 404
    assert neighbour.delete(url).status_code == 404
    # A client cannot subscribe for another one.
    refused = neighbour.post(reverse(LIST), {"client": client.pk, "url": receiver.url, "events": ["item.created"]},
                             format="json")
    assert refused.status_code == 400
    assert WebhookSubscription.objects.filter(client=other).count() == 0


def test_a_client_without_scopes_for_the_event_gets_a_clear_400(tree, register, bearer, receiver):
    _client, token = register(tree.street_a, "stats:read")
    refused = bearer(token).post(reverse(LIST), {"url": receiver.url, "events": ["item.created"]}, format="json")
    assert refused.status_code == 400
    assert "读取事项" in _errors(refused)["events"][0]
    assert not WebhookSubscription.objects.exists()


def test_the_district_admin_manages_its_clients_subscriptions(tree, register, api, receiver):
    client, _t = register(tree.community_a1, "items:read")
    admin = api(tree.district_admin)
    missing = admin.post(reverse(LIST), {"url": receiver.url, "events": ["item.created"]}, format="json")
    assert missing.status_code == 400 and "client" in _errors(missing)
    created = admin.post(reverse(LIST), {"client": client.pk, "url": receiver.url, "events": ["item.created"]},
                         format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    paused = admin.post(reverse("api:webhook-subscription-pause", kwargs={"pk": pk}))
    assert paused.status_code == 200 and paused.json()["is_active"] is False
    resumed = admin.post(reverse("api:webhook-subscription-resume", kwargs={"pk": pk}))
    assert resumed.json()["is_active"] is True
    changed = admin.patch(reverse("api:webhook-subscription-detail", kwargs={"pk": pk}),
                          {"events": ["item.created", "item.rated"]}, format="json")
    assert changed.json()["events"] == ["item.created", "item.rated"]
    bad = admin.patch(reverse("api:webhook-subscription-detail", kwargs={"pk": pk}), {"url": "ftp://x"},
                      format="json")
    assert bad.status_code == 400 and _errors(bad)["url"]
    assert admin.delete(reverse("api:webhook-subscription-detail", kwargs={"pk": pk})).status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("who", ["secretary_b", "community_secretary_a2", "other_tenant_admin", "secretary_a"])
def test_neighbours_get_404(tree, register, subscribe, api, receiver, who):
    client, _t = register(tree.community_a1, "items:read")
    sub, _s = subscribe(client, receiver.url, "item.created")
    delivery = WebhookDelivery.objects.create(
        tenant_id=sub.tenant_id, alliance_path=sub.alliance_path, subscription=sub, event_kind="item.created",
        event_id="00000000-0000-0000-0000-000000000003", payload={}, status="failed")
    neighbour = api(getattr(tree, who))
    assert _ids(neighbour.get(reverse(LIST))) == []
    assert _ids(neighbour.get(reverse("api:webhook-delivery-list"))) == []
    for name, method in (("api:webhook-subscription-detail", "get"), ("api:webhook-subscription-detail", "delete"),
                         ("api:webhook-subscription-pause", "post"), ("api:webhook-delivery-detail", "get"),
                         ("api:webhook-delivery-replay", "post")):
        pk = delivery.pk if "delivery" in name else sub.pk
        assert getattr(neighbour, method)(reverse(name, kwargs={"pk": pk})).status_code == 404, name
    created = neighbour.post(reverse(LIST), {"client": client.pk, "url": receiver.url, "events": ["item.created"]},
                             format="json")
    assert created.status_code == 404
    sub.refresh_from_db()
    assert sub.is_active and WebhookSubscription.objects.count() == 1
    assert WebhookDelivery.objects.get().attempts == 0


def test_deliveries_are_listed_filtered_and_replayed(tree, register, subscribe, api, bearer, receiver, settings,
                                                    commit):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    client, token = register(tree.street_a, "items:read")
    sub, _s = subscribe(client, receiver.url, "item.created")
    receiver.answer(500)
    admin = api(tree.district_admin)
    with commit():
        created = admin.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "路灯不亮",
                                                        "source": "grid"}, format="json")
    assert created.status_code == 201
    failed = _ids(admin.get(reverse("api:webhook-delivery-list") + "?status=failed"))
    assert len(failed) == 1
    assert _ids(admin.get(reverse("api:webhook-delivery-list") + "?status=succeeded")) == []
    # The client reads its own deliveries with its token and may replay them.
    assert _ids(bearer(token).get(reverse("api:webhook-delivery-list"))) == failed
    with commit():
        replayed = bearer(token).post(reverse("api:webhook-delivery-replay", kwargs={"pk": failed[0]}))
    assert replayed.status_code == 202
    delivery = WebhookDelivery.objects.get(pk=failed[0])
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert len(receiver.requests) == 2


def test_the_delivery_list_runs_a_fixed_number_of_queries(tree, register, subscribe, api, receiver):
    client, _t = register(tree.street_a, "items:read")
    sub, _s = subscribe(client, receiver.url, "item.created")
    admin = api(tree.district_admin)

    def count(n) -> int:
        WebhookDelivery.objects.bulk_create([
            WebhookDelivery(tenant_id=sub.tenant_id, alliance_path=sub.alliance_path, subscription=sub,
                            event_kind="item.created", event_id=uuid.uuid4(), payload={"n": i}) for i in range(n)])
        with CaptureQueriesContext(connection) as ctx:
            assert admin.get(reverse("api:webhook-delivery-list")).status_code == 200
            assert admin.get(reverse(LIST)).status_code == 200
        return len(ctx.captured_queries)

    count(0)  # the first request also resolves the admin's scope (cached on the user afterwards)
    assert count(1) == count(40)
