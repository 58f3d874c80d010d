"""/api/v1/items/ as the 12345 hotline would use it."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from tasks.models import Item
from tasks.services import escalate_overdue_batch


def push(client, tree, **extra):
    body = {"alliance": tree.community_a1.pk, "title": "小区路灯不亮", "category": "facilities", **extra}
    return client.post(reverse("api:item-list"), body, format="json")


def test_a_pushed_demand_with_a_key_is_created_once(tree, api):
    client = api(tree.secretary_a)
    first = client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "小区路灯不亮"},
                        format="json", HTTP_IDEMPOTENCY_KEY="12345-20261122-0001")
    again = client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "小区路灯不亮"},
                        format="json", HTTP_IDEMPOTENCY_KEY="12345-20261122-0001")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"] and first.json()["source"] == "api"
    assert Item.objects.count() == 1


def test_bad_input_gets_messages_and_creates_nothing(tree, api):
    client = api(tree.secretary_a)
    response = client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": " ",
                                                      "category": "weather"}, format="json")
    assert response.status_code == 400 and "category" in response.json()["errors"]
    response = client.post(reverse("api:item-list"), {"alliance": tree.community_b1.pk, "title": "越界"},
                           format="json")
    assert response.status_code == 404
    assert not Item.objects.exists()


def test_transitions_and_events_through_the_api(tree, api):
    client = api(tree.community_secretary_a1)
    item = client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "井盖松动"},
                       format="json").json()
    url = lambda name: reverse(f"api:item-{name}", kwargs={"pk": item["id"]})  # noqa: E731
    assert client.post(url("resolve"), {"note": "x"}, format="json").status_code == 400
    assert client.post(url("start"), {}, format="json").json()["status"] == "in_progress"
    assert client.post(url("escalate"), {"note": "需要市政维修"}, format="json").json()["alliance"] == \
        tree.street_a.pk
    street = api(tree.secretary_a)
    assert street.post(url("resolve"), {"note": "市政已更换井盖"}, format="json").json()["status"] == "resolved"
    assert client.post(url("confirm"), {"solved": True}, format="json").status_code == 200
    assert client.post(url("rate"), {"score": 6}, format="json").status_code == 400
    assert client.post(url("rate"), {"score": 4}, format="json").json()["status"] == "closed"
    events = [e["kind"] for e in client.get(url("events")).json()]
    assert events == ["created", "started", "escalated", "resolved", "confirmed", "rated", "closed"]


def test_filters_by_status_level_and_overdue(tree, api):
    client = api(tree.district_admin)
    for title in ("甲", "乙"):
        push(client, tree, title=title)
    escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10))
    rows = client.get(reverse("api:item-list"), {"level": "street"}).json()["results"]
    assert len(rows) == 2 and all(r["escalations"] == 1 for r in rows)
    assert client.get(reverse("api:item-list"), {"level": "community"}).json()["results"] == []
    assert client.get(reverse("api:item-list"), {"status": "closed"}).json()["results"] == []
    assert client.get(reverse("api:item-list"), {"overdue": "true"}).json()["results"] == []


def test_the_community_follows_what_it_handed_up_but_the_neighbour_does_not(tree, api):
    item = push(api(tree.community_secretary_a1), tree).json()
    escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10))
    mine = api(tree.community_secretary_a1).get(reverse("api:item-detail", kwargs={"pk": item["id"]}))
    assert mine.status_code == 200 and mine.json()["alliance"] == tree.street_a.pk
    assert api(tree.community_secretary_a2).get(
        reverse("api:item-detail", kwargs={"pk": item["id"]})).status_code == 404


def test_observers_and_liaisons_cannot_raise_items(tree, api):
    for user in (tree.observer, tree.liaison_a1):
        response = api(user).post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "越权"},
                                  format="json")
        assert response.status_code == 403
    assert not Item.objects.exists()


def test_an_idempotency_key_is_the_callers_own(tree, api):
    a = api(tree.secretary_a).post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "甲"},
                                   format="json", HTTP_IDEMPOTENCY_KEY="12345-0001")
    b = api(tree.secretary_b).post(reverse("api:item-list"), {"alliance": tree.community_b1.pk, "title": "乙"},
                                   format="json", HTTP_IDEMPOTENCY_KEY="12345-0001")
    assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]


def test_an_overlong_idempotency_header_is_a_400(tree, api):
    response = api(tree.secretary_a).post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "甲"},
                                          format="json", HTTP_IDEMPOTENCY_KEY="k" * 200)
    assert response.status_code == 400 and "idempotency_key" in response.json()["errors"]
    assert not Item.objects.exists()


def test_the_list_fast_path_returns_what_the_detail_serializer_returns(tree, api):
    """The list builds items as plain dicts (ItemListSerializer); each must equal ItemSerializer's
    answer on the detail endpoint, field by field, masked and unmasked alike."""
    secretary = api(tree.community_secretary_a1)
    first = push(secretary, tree, title="路灯", requester_name="王小明", requester_phone="13812345678").json()
    push(secretary, tree, title="井盖", requester_name="李", requester_phone="")
    third = push(secretary, tree, title="漏水", requester_name="", requester_phone="02787654321").json()
    escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10))  # all three go up to the street
    fourth = push(secretary, tree, title="噪音", requester_name="张三丰", requester_phone="13900001111").json()
    secretary.post(reverse("api:item-start", kwargs={"pk": fourth["id"]}), {}, format="json")
    api(tree.secretary_a).post(reverse("api:item-resolve", kwargs={"pk": first["id"]}), {"note": "已修复"},
                               format="json")
    assert third["requester_phone"] == "02787654321"

    seen = {"masked": 0, "full": 0}
    for user in (tree.community_secretary_a1, tree.secretary_a, tree.district_admin, tree.observer):
        client = api(user)
        for query in ({}, {"status": ["new", "in_progress", "resolved"]}, {"page_size": 2}):
            listed = client.get(reverse("api:item-list"), query)
            assert listed.status_code == 200
            body = listed.json()
            assert set(body) == {"next", "previous", "results"}
            for row in body["results"]:
                detail = client.get(reverse("api:item-detail", kwargs={"pk": row["id"]})).json()
                assert list(row) == list(detail)  # same fields, in the same order
                for name, value in detail.items():
                    assert row[name] == value, (user.username, row["id"], name)
                if row["requester_name"] or row["requester_phone"]:
                    masked = "*" in row["requester_name"] + row["requester_phone"]
                    seen["masked" if masked else "full"] += 1
    assert seen["masked"] and seen["full"]
