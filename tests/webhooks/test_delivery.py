"""Deliveries against a real HTTP receiver on 127.0.0.1: signing, retries, pausing, replay."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from django.core import mail
from django.urls import reverse

from tasks.services import item_create
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from webhooks.services import delivery_replay, subscription_resume
from webhooks.tasks import webhook_deliver_task

TOLERANCE = 300


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver does (as docs/api.md shows): parse, check the age, compare in constant time."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(parts["t"])
    if abs((now or time.time()) - timestamp) > TOLERANCE:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


@pytest.fixture
def hotline(tree, register, subscribe, receiver):
    client, _token = register(tree.street_a, "items:read")
    subscription, secret = subscribe(client, receiver.url, "item.created", "item.escalated")
    return subscription, secret


def _raise(tree, title="楼道堆放杂物"):
    item, _created = item_create(user=tree.community_secretary_a1, alliance=tree.community_a1, title=title,
                                 source="grid", requester_phone="13800000000")
    return item


def test_the_receiver_verifies_the_signature(tree, hotline, receiver, commit):
    subscription, secret = hotline
    with commit():
        item = _raise(tree)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/alliance"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["X-Alliance-Event"] == "item.created"
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert request.headers["X-Alliance-Delivery"] == str(delivery.pk)
    assert verify(secret, request.headers["X-Alliance-Signature"], request.body)
    # Signed with another secret, or the body changed by one byte, or replayed an hour later: refused.
    assert not verify("whsec_other", request.headers["X-Alliance-Signature"], request.body)
    assert not verify(secret, request.headers["X-Alliance-Signature"], request.body.replace(b"}", b" }", 1))
    assert not verify(secret, request.headers["X-Alliance-Signature"], request.body, now=time.time() + 3600)
    event = request.json()
    assert event["id"] == str(delivery.event_id) and event["type"] == "item.created"
    assert event["created"]
    data = event["data"]
    assert data["item"]["id"] == item.pk and data["item"]["title"] == "楼道堆放杂物"
    assert data["item"]["status"] == "new"
    assert data["alliance"] == {"id": tree.community_a1.pk, "name": tree.community_a1.name,
                                "path": tree.community_a1.path}
    assert "13800000000" not in request.body.decode()  # nothing personal
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 1, 200)
    assert delivery.delivered_at is not None


def test_a_receiver_that_fails_twice_gets_it_on_the_third_attempt(tree, hotline, receiver, commit):
    subscription, secret = hotline
    receiver.answer(500, 500)
    with commit():
        _raise(tree)
    assert len(receiver.requests) == 3
    assert len({r.json()["id"] for r in receiver.requests}) == 1  # the same event each time
    assert all(verify(secret, r.headers["X-Alliance-Signature"], r.body) for r in receiver.requests)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.SUCCEEDED, 3, 200)
    assert delivery.last_error == ""
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0 and subscription.paused_at is None


def test_the_back_off_doubles(settings):
    from webhooks.services import retry_countdown

    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [retry_countdown(n) for n in range(4)] == [30, 60, 120, 240]


def test_each_failure_is_recorded(tree, hotline, receiver, settings, commit):
    subscription, _secret = hotline
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.default = 503
    with commit():
        _raise(tree)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert len(receiver.requests) == 3
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 3, 503)
    assert "503" in delivery.last_error and "receiver is down" in delivery.last_error
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 1 and subscription.paused_at is None


def test_an_unreachable_receiver_is_an_error_not_a_crash(tree, register, subscribe, settings, commit):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    client, _token = register(tree.street_a, "items:read")
    subscription, _secret = subscribe(client, "http://127.0.0.1:9/closed", "item.created")
    with commit():
        _raise(tree)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.FAILED, 2, None)
    assert delivery.last_error


def test_repeated_failure_pauses_the_subscription_and_mails_the_admin(tree, hotline, receiver, settings, commit):
    subscription, _secret = hotline
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    receiver.default = 500
    for n in range(3):
        with commit():
            _raise(tree, title=f"事项{n}")
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 3
    assert subscription.paused_at is not None and "3" in subscription.pause_reason
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [tree.district_admin.email]
    assert "12345热线" in message.subject
    assert reverse("webhook-subscription-list", kwargs={"pk": subscription.client_id}) in message.body
    # Paused: the next event makes no delivery and sends nothing.
    sent = len(receiver.requests)
    with commit():
        _raise(tree, title="暂停后的事项")
    assert len(receiver.requests) == sent
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 3
    # Resumed: the count starts over and events flow again.
    receiver.default = 200
    subscription_resume(user=tree.district_admin, subscription=subscription)
    with commit():
        _raise(tree, title="恢复后的事项")
    subscription.refresh_from_db()
    assert subscription.paused_at is None and subscription.consecutive_failures == 0
    assert WebhookDelivery.objects.filter(subscription=subscription, status="succeeded").count() == 1
    assert len(mail.outbox) == 1


def test_a_success_resets_the_failure_count(tree, hotline, receiver, settings, commit):
    subscription, _secret = hotline
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer(500, 500)
    for n in range(3):
        with commit():
            _raise(tree, title=f"事项{n}")
    subscription.refresh_from_db()
    assert subscription.consecutive_failures == 0
    assert list(WebhookDelivery.objects.order_by("pk").values_list("status", flat=True)) == [
        "failed", "failed", "succeeded"]


def test_a_delivered_event_is_not_sent_twice(tree, hotline, receiver, commit):
    subscription, _secret = hotline
    with commit():
        _raise(tree)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    webhook_deliver_task.delay(delivery.pk)  # a duplicate message, or a worker that ran it again
    webhook_deliver_task.delay(delivery.pk)
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_replay_sends_the_same_event_again(tree, hotline, receiver, settings, commit):
    subscription, secret = hotline
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    receiver.answer(500)
    with commit():
        _raise(tree)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.FAILED
    with commit():
        delivery_replay(user=tree.district_admin, delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 2)
    first, second = receiver.requests
    assert first.json() == second.json()  # same id, same body: the receiver can tell a replay
    assert verify(secret, second.headers["X-Alliance-Signature"], second.body)


def test_a_pending_delivery_cannot_be_replayed(tree, hotline):
    from django.core.exceptions import ValidationError

    subscription, _secret = hotline
    delivery = WebhookDelivery.objects.create(
        tenant_id=subscription.tenant_id, alliance_path=subscription.alliance_path, subscription=subscription,
        event_kind="item.created", event_id="00000000-0000-0000-0000-000000000001", payload={})
    with pytest.raises(ValidationError):
        delivery_replay(user=tree.district_admin, delivery=delivery)


def test_a_delivery_of_a_paused_subscription_is_not_sent(tree, hotline, receiver):
    subscription, _secret = hotline
    delivery = WebhookDelivery.objects.create(
        tenant_id=subscription.tenant_id, alliance_path=subscription.alliance_path, subscription=subscription,
        event_kind="item.created", event_id="00000000-0000-0000-0000-000000000002", payload={"x": 1})
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
    webhook_deliver_task.delay(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 0
    assert receiver.requests == []


def test_the_body_is_compact_utf8_json(tree, hotline, receiver, commit):
    with commit():
        _raise(tree, title="加装电梯")
    body = receiver.requests[0].body
    assert "加装电梯".encode() in body
    assert json.loads(body)["data"]["item"]["title"] == "加装电梯"


def test_a_delivery_whose_message_was_lost_is_sent_by_the_beat(tree, hotline, receiver):
    import datetime as dt

    from django.utils import timezone

    from webhooks.tasks import webhook_requeue_stale_task

    subscription, secret = hotline
    lost = WebhookDelivery.objects.create(
        tenant_id=subscription.tenant_id, alliance_path=subscription.alliance_path, subscription=subscription,
        event_kind="item.created", event_id="00000000-0000-0000-0000-000000000004", payload={"lost": True},
        next_attempt_at=timezone.now() - dt.timedelta(hours=1))
    waiting = WebhookDelivery.objects.create(
        tenant_id=subscription.tenant_id, alliance_path=subscription.alliance_path, subscription=subscription,
        event_kind="item.created", event_id="00000000-0000-0000-0000-000000000005", payload={},
        next_attempt_at=timezone.now() + dt.timedelta(minutes=5))  # its retry is still on its way
    assert webhook_requeue_stale_task.delay().get() == 1
    lost.refresh_from_db()
    waiting.refresh_from_db()
    assert lost.status == DeliveryStatus.SUCCEEDED and waiting.status == DeliveryStatus.PENDING
    assert [r.json()["data"] for r in receiver.requests] == [{"lost": True}]
    assert verify(secret, receiver.requests[0].headers["X-Alliance-Signature"], receiver.requests[0].body)
