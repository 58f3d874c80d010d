"""Which subscriptions an event reaches, from which services, and at what cost in queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from integrations.services import api_client_revoke
from tasks.models import Item
from tasks.services import escalate_overdue_batch, item_create, item_escalate
from webhooks import services
from webhooks.models import WebhookDelivery
from webhooks.services import Event, event_emit, events_emit, subscription_pause

from .. import factories


def _raise(tree, alliance, title="楼道堆放杂物"):
    item, _created = item_create(user=tree.root, alliance=alliance, title=title, source="grid")
    return item


def _kinds(subscription) -> list[str]:
    return list(WebhookDelivery.objects.filter(subscription=subscription).order_by("pk")
                .values_list("event_kind", flat=True))


def test_a_client_gets_the_events_of_its_own_subtree_only(tree, register, subscribe, receiver, commit):
    street_a, _t = register(tree.street_a, "items:read", name="春晖路网格系统")
    street_b, _t = register(tree.street_b, "items:read", name="新山村网格系统")
    district, _t = register(tree.district, "items:read", name="区数据平台")
    community, _t = register(tree.community_a2, "items:read", name="翠园社区系统")
    subs = {c.name: subscribe(c, receiver.url, "item.created")[0] for c in (street_a, street_b, district, community)}
    with commit():
        _raise(tree, tree.community_a1)
    assert _kinds(subs["春晖路网格系统"]) == ["item.created"]
    assert _kinds(subs["区数据平台"]) == ["item.created"]
    assert _kinds(subs["新山村网格系统"]) == []  # street B's client: not its subtree
    assert _kinds(subs["翠园社区系统"]) == []  # the neighbouring community's client
    assert len(receiver.requests) == 2


def test_another_tenant_gets_nothing(tree, register, subscribe, receiver, commit):
    other, _t = register(tree.district, "items:read")
    sub, _s = subscribe(other, receiver.url, "item.created")
    with commit():
        item_create(user=tree.root, alliance=tree.other_tenant, title="另一区的事项", source="grid")
    assert _kinds(sub) == []


def test_a_client_without_the_read_scope_gets_nothing(tree, register, subscribe, receiver, commit):
    client, _t = register(tree.street_a, "items:read", "agreements:read")
    sub, _s = subscribe(client, receiver.url, "item.created")
    client.scopes = ["agreements:read"]  # the admin narrowed the scopes after the subscription
    client.save(update_fields=["scopes"])
    with commit():
        _raise(tree, tree.community_a1)
    assert _kinds(sub) == []
    assert receiver.requests == []


def test_only_the_subscribed_kinds_are_sent(tree, register, subscribe, receiver, commit):
    client, _t = register(tree.street_a, "items:read")
    sub, _s = subscribe(client, receiver.url, "item.resolved")
    with commit():
        _raise(tree, tree.community_a1)
    assert _kinds(sub) == []


def test_paused_subscriptions_and_revoked_clients_get_nothing(tree, register, subscribe, receiver, commit):
    paused_client, _t = register(tree.street_a, "items:read", name="暂停")
    revoked_client, _t = register(tree.street_a, "items:read", name="吊销")
    paused, _s = subscribe(paused_client, receiver.url, "item.created")
    revoked, _s = subscribe(revoked_client, receiver.url, "item.created")
    subscription_pause(user=tree.district_admin, subscription=paused)
    api_client_revoke(user=tree.district_admin, client=revoked_client)
    with commit():
        _raise(tree, tree.community_a1)
    assert _kinds(paused) == [] and _kinds(revoked) == []


def test_nothing_is_sent_when_the_work_rolls_back(tree, register, subscribe, receiver, commit):
    from django.db import transaction

    client, _t = register(tree.street_a, "items:read")
    sub, _s = subscribe(client, receiver.url, "item.created")
    with commit(), pytest.raises(RuntimeError), transaction.atomic():
        _raise(tree, tree.community_a1)
        raise RuntimeError("rolled back")
    assert _kinds(sub) == [] and receiver.requests == []


def test_item_events_follow_the_item(tree, register, subscribe, receiver, commit):
    from tasks.services import item_claim, item_confirm, item_rate, item_resolve, item_start

    client, _t = register(tree.community_a1, "items:read")
    sub, _s = subscribe(client, receiver.url, "item.created", "item.escalated", "item.resolved", "item.rated")
    with commit():
        item = _raise(tree, tree.community_a1)
    with commit():
        item_escalate(user=tree.community_secretary_a1, item=item, reason="社区无法解决")
    # Handled by the street now: the community's client still hears of it (its origin).
    with commit():
        item = Item.objects.get(pk=item.pk)
        item_claim(user=tree.secretary_a, item=item)
        item_start(user=tree.secretary_a, item=item)
        item_resolve(user=tree.secretary_a, item=item, note="已清理")
    with commit():
        item_confirm(user=tree.community_secretary_a1, item=item, solved=True)
        item_rate(user=tree.community_secretary_a1, item=item, score=5, comment="很好")
    assert _kinds(sub) == ["item.created", "item.escalated", "item.resolved", "item.rated"]
    escalated, rated = receiver.requests[1].json()["data"], receiver.requests[3].json()["data"]
    assert escalated["alliance"]["id"] == tree.street_a.pk and escalated["origin"]["id"] == tree.community_a1.pk
    assert rated["rating"] == {"score": 5, "by_resident": False} and rated["item"]["status"] == "closed"
    assert "很好" not in receiver.requests[3].body.decode()


def test_the_sweep_emits_one_event_per_escalated_item_with_bounded_queries(tree, register, subscribe, receiver,
                                                                         commit, monkeypatch):
    client, _t = register(tree.street_a, "items:read")
    sub, _s = subscribe(client, receiver.url, "item.escalated")
    enqueued: list[int] = []
    monkeypatch.setattr(services, "_enqueue", enqueued.extend)

    def sweep(n):
        pks = [_raise(tree, tree.community_a1, title=f"超期事项{i}").pk for i in range(n)]
        Item.objects.exclude(pk__in=pks).update(due_at=timezone.now() + dt.timedelta(days=30))
        Item.objects.filter(pk__in=pks).update(due_at=timezone.now() - dt.timedelta(days=1))
        with commit(), CaptureQueriesContext(connection) as ctx:
            escalate_overdue_batch(batch_size=500)
        return len(ctx.captured_queries)

    few = sweep(2)
    assert len(enqueued) == 2
    many = sweep(20)
    assert len(enqueued) == 2 + 20
    assert many == few
    payloads = WebhookDelivery.objects.filter(subscription=sub).values_list("payload", flat=True)
    assert {p["alliance"]["id"] for p in payloads} == {tree.street_a.pk}


def test_emit_runs_a_fixed_number_of_queries(tree, register, subscribe, receiver, monkeypatch, commit):
    enqueued: list[int] = []
    monkeypatch.setattr(services, "_enqueue", enqueued.extend)

    def emit_count(n_events):
        events = [Event(kind="item.created", tenant_id=tree.district.tenant_id, alliance_path=tree.community_a1.path,
                        payload={"n": i}) for i in range(n_events)]
        with CaptureQueriesContext(connection) as ctx, commit():
            events_emit(events=events)
        return len(ctx.captured_queries)

    assert emit_count(1) == 1  # no subscription: one query, nothing inserted
    for i in range(2):
        client, _t = register(tree.street_a, "items:read", name=f"系统{i}")
        subscribe(client, receiver.url, "item.created")
    two = emit_count(1)
    for i in range(2, 8):
        client, _t = register(tree.district, "items:read", name=f"系统{i}")
        subscribe(client, receiver.url, "item.created")
    assert emit_count(1) == two == 2  # one select, one insert
    # 240 deliveries: one INSERT on PostgreSQL; SQLite's bound-parameter limit splits it in a few.
    assert emit_count(30) == 2 if connection.vendor == "postgresql" else emit_count(30) <= 8
    assert len(enqueued) == 2 + 8 + 8 * 30


def test_event_emit_is_one_event(tree, register, subscribe, receiver, commit):
    client, _t = register(tree.street_a, "meetings:read")
    sub, _s = subscribe(client, receiver.url, "resolution.published")
    with commit():
        event_emit(kind="resolution.published", tenant_id=tree.district.tenant_id,
                   alliance_path=tree.community_a2.path, payload={"resolution": {"id": 1}})
    assert _kinds(sub) == ["resolution.published"]
    assert receiver.requests[0].json()["data"] == {"resolution": {"id": 1}}


def test_agreement_signed_and_published(tree, register, subscribe, receiver, commit):
    from agreements.services import agreement_publish, agreement_sign

    client, _t = register(tree.community_a1, "agreements:read")
    sub, _s = subscribe(client, receiver.url, "agreement.signed", "agreement.published")
    draft = factories.agreement(tree.community_a1, by=tree.community_secretary_a1, units=[tree.unit_a1],
                                commitments=[{"unit": tree.unit_a1, "title": "公共收益公示", "recurrence": "monthly",
                                              "day_of_month": 15}])
    with commit():
        agreement_sign(user=tree.liaison_a1, agreement=draft, party=draft.parties.get(unit=tree.unit_a1))
    assert _kinds(sub) == []  # one party of two: not signed yet
    with commit():
        agreement_sign(user=tree.community_secretary_a1, agreement=draft,
                       party=draft.parties.get(unit__isnull=True))
    with commit():
        agreement_publish(user=tree.community_secretary_a1, agreement=draft)
    assert _kinds(sub) == ["agreement.signed", "agreement.published"]
    data = receiver.requests[1].json()["data"]
    assert data["agreement"]["id"] == draft.pk and data["agreement"]["stage"] == "published"
    assert data["alliance"]["id"] == tree.community_a1.pk


def test_resolution_published(tree, register, subscribe, receiver, commit):
    from meetings.services import resolution_publish
    from tests.test_permission_matrix import _resolution_a1

    client, _t = register(tree.street_a, "meetings:read")
    sub, _s = subscribe(client, receiver.url, "resolution.published")
    resolution = _resolution_a1(tree)
    with commit():
        resolution_publish(user=tree.community_secretary_a1, resolution=resolution)
    assert _kinds(sub) == ["resolution.published"]
    data = receiver.requests[0].json()["data"]
    assert data["resolution"]["id"] == resolution.pk and data["resolution"]["adopted"] is True
    assert data["meeting"]["id"] == resolution.meeting_id
