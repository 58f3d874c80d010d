"""Idempotency-Key on every POST under /api/v1/: a retry replays, another body is a 422, two at once
make one row."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.idempotency import idempotency_records_expire
from integrations.models import IdempotencyRecord
from meetings.models import Meeting
from tasks.models import Item, ItemEvent
from tasks.services import item_create


def _push(client, tree, key, title="小区路灯不亮"):
    return client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": title},
                       format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_retry_replays_the_first_answer_and_creates_nothing(tree, register, bearer):
    _client, token = register(tree.street_a, "items:read", "items:write")
    api = bearer(token)
    first, again = _push(api, tree, "k-1"), _push(api, tree, "k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Item.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422(tree, api):
    client = api(tree.secretary_a)
    assert _push(client, tree, "k-2").status_code == 201
    other = _push(client, tree, "k-2", title="另一件事")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert other.json()["message"]
    assert Item.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_on_another_path_is_a_422(tree, api):
    client = api(tree.secretary_a)
    item = _push(client, tree, "k-3").json()
    moved = client.post(reverse("api:item-start", kwargs={"pk": item["id"]}), {}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-3")
    assert moved.status_code == 422
    assert Item.objects.get().status == "new"


@pytest.mark.django_db
def test_a_workflow_move_is_idempotent_too(tree, api):
    client = api(tree.community_secretary_a1)
    item = _push(client, tree, "k-4").json()
    url = reverse("api:item-start", kwargs={"pk": item["id"]})
    first = client.post(url, {"note": "马上处理"}, format="json", HTTP_IDEMPOTENCY_KEY="start-1")
    again = client.post(url, {"note": "马上处理"}, format="json", HTTP_IDEMPOTENCY_KEY="start-1")
    assert (first.status_code, again.status_code) == (200, 200) and again["Idempotent-Replayed"] == "true"
    assert ItemEvent.objects.filter(item_id=item["id"], kind="started").count() == 1


@pytest.mark.django_db
def test_an_error_answer_is_not_kept_so_a_corrected_retry_may_reuse_the_key(tree, api):
    client = api(tree.secretary_a)
    bad = client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": " "}, format="json",
                      HTTP_IDEMPOTENCY_KEY="k-5")
    assert bad.status_code == 400 and not IdempotencyRecord.objects.exists()
    good = _push(client, tree, "k-5")
    assert good.status_code == 201 and Item.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_caller(tree, api):
    a = _push(api(tree.secretary_a), tree, "shared")
    b = _push(api(tree.community_secretary_a1), tree, "shared")
    assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]


@pytest.mark.django_db
def test_posts_without_a_key_are_not_recorded(tree, api):
    client = api(tree.secretary_a)
    client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "甲"}, format="json")
    client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "甲"}, format="json")
    assert Item.objects.count() == 2 and not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_an_overlong_key_is_a_400(tree, api):
    response = _push(api(tree.secretary_a), tree, "k" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]
    assert not Item.objects.exists()


@pytest.mark.django_db
def test_other_viewsets_are_covered_meeting_create(tree, api):
    client = api(tree.community_secretary_a1)
    body = {"alliance": tree.community_a1.pk, "title": "三季度共同体会议",
            "starts_at": (timezone.now() + dt.timedelta(days=7)).isoformat(), "place": "社区会议室"}
    first = client.post(reverse("api:meeting-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    again = client.post(reverse("api:meeting-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="m-1")
    assert first.status_code == 201, first.json()
    assert again.status_code == 201 and again.json() == first.json()
    assert Meeting.objects.count() == 1


def test_every_api_viewset_is_idempotent():
    from config.api_urls import router
    from integrations.idempotency import IdempotencyMixin

    assert all(issubclass(viewset, IdempotencyMixin) for _prefix, viewset, _name in router.registry)


@pytest.mark.django_db
def test_keys_expire_after_a_day(tree, api):
    client = api(tree.secretary_a)
    _push(client, tree, "old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    # An expired key is a new request (the item service still knows its own key: the first item).
    again = _push(client, tree, "old", title="另一件事")
    assert again.status_code in (200, 201) and again.get("Idempotent-Replayed") is None
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert idempotency_records_expire() == 1 and not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_the_same_key_at_the_same_moment_make_one_item(tree, register, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs a database with row locks")
    _client, token = register(tree.street_a, "items:read", "items:write")
    barrier = threading.Barrier(2)
    answers = []

    def call():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        barrier.wait()
        try:
            answers.append(_push(api, tree, "same-moment"))
        finally:
            connection.close()

    # Hold each request inside its transaction a moment, so the two surely overlap.
    import time

    from tasks import services

    def slow_create(**kwargs):
        time.sleep(0.3)
        return item_create(**kwargs)

    monkeypatch.setattr(services, "item_create", slow_create)
    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert Item.objects.count() == 1 and IdempotencyRecord.objects.count() == 1
