"""The party API: each endpoint, its masking, and the neighbour who gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from party import services
from party.models import Order, PartyMember, PointEntry, PostClaim, TimeBankEntry
from tasks.services import item_create

NEIGHBOURS = ("secretary_b", "community_secretary_a2", "other_tenant_admin")


def _post(tree, places=2):
    return services.post_create(user=tree.root, community=tree.community_a1, title="楼栋志愿者", kind="building",
                                places=places)


def _demand(tree):
    item, _created = item_create(user=None, alliance=tree.community_a1, title="楼道灯不亮", source="demand",
                                 requester_phone="13600003333")
    return item


def test_members_list_is_masked_except_for_secretaries(tree, api, dangyuan, walkin):
    rows = api(tree.staff_a).get(reverse("api:party-member-list")).json()["results"]
    assert {r["name"]: r["phone"] for r in rows} == {"张党员": "138****5678", "李党员": "139****1111"}
    assert all(r["is_reported"] for r in rows)
    rows = api(tree.community_secretary_a1).get(reverse("api:party-member-list")).json()["results"]
    assert {r["name"]: r["id_number"] for r in rows}["张党员"] == "500104199001011234"
    own = api(dangyuan.user).get(reverse("api:party-member-detail", kwargs={"pk": dangyuan.pk})).json()
    assert own["phone"] == "13812345678"
    # The liaison of the employer sees its employee, masked, and where they reported.
    rows = api(tree.liaison_a1).get(reverse("api:party-member-list")).json()["results"]
    assert [(r["name"], r["phone"], r["community"]) for r in rows] == [
        ("张党员", "138****5678", tree.community_a1.pk)]


@pytest.mark.parametrize("neighbour", NEIGHBOURS)
def test_neighbours_get_404_on_every_object(tree, api, dangyuan, neighbour):
    post = _post(tree)
    claim = services.post_claim(user=tree.root, post=post, member=dangyuan)
    order = services.order_take(user=tree.root, member=dangyuan, item=_demand(tree))
    entry = PointEntry.objects.filter(member=dangyuan).first()
    client = api(getattr(tree, neighbour))
    for name, pk in (("party-member-detail", dangyuan.pk), ("party-post-detail", post.pk),
                     ("party-order-detail", order.pk), ("party-point-entry-detail", entry.pk),
                     ("party-report-detail", dangyuan.reports.first().pk)):
        assert client.get(reverse(f"api:{name}", kwargs={"pk": pk})).status_code == 404, name
    for name, pk, body in (
            ("party-member-report", dangyuan.pk, {}),
            ("party-post-claim", post.pk, {}),
            ("party-post-confirm", post.pk, {"claim": claim.pk}),
            ("party-post-hours", post.pk, {"claim": claim.pk, "hours": "2"}),
            ("party-post-close", post.pk, {}),
            ("party-order-confirm", order.pk, {}),
            ("party-order-resolve", order.pk, {"note": "越界"}),
            ("party-order-cancel", order.pk, {}),
            ("party-point-entry-reverse", entry.pk, {"reason": "越界"})):
        response = client.post(reverse(f"api:{name}", kwargs={"pk": pk}), body, format="json")
        assert response.status_code == 404, (name, response.status_code)
    for name in ("party-member-list", "party-post-list", "party-order-list", "party-point-entry-list",
                 "party-time-bank-list", "party-report-list"):
        assert client.get(reverse(f"api:{name}")).json()["results"] == [], name
    assert client.post(reverse("api:party-time-bank-list"), {"member": dangyuan.pk, "hours": "1", "reason": "x"},
                       format="json").status_code == 404
    assert client.post(reverse("api:party-order-list"), {"member": dangyuan.pk, "item": order.item_id},
                       format="json").status_code == 404
    claim.refresh_from_db()
    order.refresh_from_db()
    assert claim.status == "claimed" and order.status == "taken"
    assert not PointEntry.objects.filter(kind="reversal").exists()


def test_the_whole_cycle_through_the_api(tree, api, dangyuan):
    secretary = api(tree.community_secretary_a1)
    me = api(dangyuan.user)
    made = secretary.post(reverse("api:party-post-list"), {"community": tree.community_a1.pk, "title": "政策宣讲员",
                                                           "kind": "policy", "places": 1}, format="json")
    assert made.status_code == 201, made.json()
    post_pk = made.json()["id"]
    claimed = me.post(reverse("api:party-post-claim", kwargs={"pk": post_pk}), {}, format="json")
    assert claimed.status_code == 201, claimed.json()
    claim_pk = claimed.json()["id"]
    # The place is taken: a second member is refused with the reason.
    other = services.party_member_create(user=tree.root, community=tree.community_a1, name="吴党员")
    services.report_create(user=tree.root, member=other)
    refused = secretary.post(reverse("api:party-post-claim", kwargs={"pk": post_pk}), {"member": other.pk},
                             format="json")
    assert refused.status_code == 400 and "名额已满" in refused.json()["message"]
    assert secretary.post(reverse("api:party-post-confirm", kwargs={"pk": post_pk}), {"claim": claim_pk},
                          format="json").status_code == 200
    hours = secretary.post(reverse("api:party-post-hours", kwargs={"pk": post_pk}),
                           {"claim": claim_pk, "hours": "3"}, format="json")
    assert hours.status_code == 200 and hours.json()["hours_confirmed"] == "3.0"
    bad = secretary.post(reverse("api:party-post-hours", kwargs={"pk": post_pk}),
                         {"claim": claim_pk, "hours": "lots"}, format="json")
    assert bad.status_code == 400 and "hours" in bad.json()["errors"]
    # Orders
    item = _demand(tree)
    taken = me.post(reverse("api:party-order-list"), {"item": item.pk}, format="json")
    assert taken.status_code == 201, taken.json()
    order_pk = taken.json()["id"]
    assert me.post(reverse("api:party-order-confirm", kwargs={"pk": order_pk}), {}).status_code == 403
    assert secretary.post(reverse("api:party-order-confirm", kwargs={"pk": order_pk}), {}).status_code == 200
    assert me.post(reverse("api:party-order-report", kwargs={"pk": order_pk}), {"note": "已修好"}).status_code == 200
    resolved = secretary.post(reverse("api:party-order-resolve", kwargs={"pk": order_pk}), {})
    assert resolved.status_code == 200 and resolved.json()["item_status"] == "resolved"
    # Points: 5 reporting + 6 for three hours + 10 resolved; my ledger, newest first.
    ledger = me.get(reverse("api:party-point-entry-list")).json()["results"]
    assert sum(r["points"] for r in ledger) == 21
    entry_pk = next(r["id"] for r in ledger if r["kind"] == "item_resolved")
    assert me.post(reverse("api:party-point-entry-reverse", kwargs={"pk": entry_pk}),
                   {"reason": "自己冲正"}).status_code == 403
    reversed_ = secretary.post(reverse("api:party-point-entry-reverse", kwargs={"pk": entry_pk}),
                               {"reason": "重复登记"})
    assert reversed_.status_code == 201 and reversed_.json()["points"] == -10
    again = secretary.post(reverse("api:party-point-entry-reverse", kwargs={"pk": entry_pk}), {"reason": "再来"})
    assert again.status_code == 400
    # Time bank: 3 hours banked, 4 cannot be redeemed, 2 can.
    staff = api(tree.staff_a)
    over = staff.post(reverse("api:party-time-bank-list"), {"member": dangyuan.pk, "hours": "4", "reason": "理发"},
                      format="json")
    assert over.status_code == 400 and "余额不足" in over.json()["errors"]["hours"][0]
    assert staff.post(reverse("api:party-time-bank-list"), {"member": dangyuan.pk, "hours": "2", "reason": "理发"},
                      format="json").status_code == 201
    assert sum(float(r["hours"]) for r in me.get(reverse("api:party-time-bank-list")).json()["results"]) == 1.0
    assert Order.objects.get().status == "resolved" and PostClaim.objects.get().hours_confirmed == 3
    assert TimeBankEntry.objects.count() == 2


def test_staff_register_a_member_and_report_for_them(tree, api):
    staff = api(tree.staff_a)
    made = staff.post(reverse("api:party-member-list"), {
        "community": tree.community_a1.pk, "name": "郑党员", "phone": "13512345678",
        "employer_unit": tree.unit_a1.pk}, format="json")
    assert made.status_code == 201, made.json()
    pk = made.json()["id"]
    assert made.json()["phone"] == "135****5678"  # staff see it masked, even what they typed
    assert staff.post(reverse("api:party-member-report", kwargs={"pk": pk}), {}).status_code == 201
    bad = staff.post(reverse("api:party-member-list"), {"community": tree.community_a1.pk, "name": "",
                                                        "phone": "x"}, format="json")
    assert bad.status_code == 400
    assert PartyMember.objects.count() == 1
    # Naming a unit or community outside the scope is 404.
    outside = api(tree.secretary_b).post(reverse("api:party-member-list"), {
        "community": tree.community_b1.pk, "name": "越界", "employer_unit": tree.unit_a1.pk}, format="json")
    assert outside.status_code == 404


def test_api_clients_are_denied():
    from party.api import views

    for viewset in (views.PartyMemberViewSet, views.PostViewSet, views.OrderViewSet, views.PointEntryViewSet,
                    views.TimeBankViewSet, views.ReportViewSet):
        assert viewset.client_scopes == {}


def test_list_query_counts_do_not_grow(tree, api, dangyuan, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(tree.community_secretary_a1)

    def count(name):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(f"api:{name}")).status_code == 200
        return len(ctx.captured_queries)

    names = ("party-member-list", "party-point-entry-list", "party-post-list", "party-order-list",
             "party-time-bank-list", "party-report-list")
    before = {n: count(n) for n in names}
    for i in range(8):
        member = services.party_member_create(user=tree.root, community=tree.community_a1, name=f"党员{i}",
                                              phone="13800000000", employer_unit=tree.unit_a1)
        services.report_create(user=tree.root, member=member)
        post = _post(tree)
        claim = services.post_claim(user=tree.root, post=post, member=member)
        services.claim_decide(user=tree.root, claim=claim, confirm=True)
        services.claim_confirm_hours(user=tree.root, claim=claim, hours=1)
        services.order_take(user=tree.root, member=member, item=_demand(tree))
    client = api(tree.community_secretary_a1)
    after = {n: count(n) for n in names}
    assert after == before


def test_filters_do_not_tell_another_tenant_which_member_ids_exist(tree):
    """A foreign-key filter over all rows would answer 200 for a real id elsewhere, 400 for a missing one."""
    from rest_framework.test import APIClient

    member = PartyMember.objects.create(tenant_id=tree.community_b1.tenant_id, alliance_path=tree.community_b1.path,
                                        community=tree.community_b1, name="外区党员")
    api = APIClient()
    api.force_authenticate(tree.other_tenant_admin)
    for route in ("party-reports", "party-orders", "party-point-entries", "party-time-bank"):
        real = api.get(f"/api/v1/{route}/?member={member.pk}")
        missing = api.get(f"/api/v1/{route}/?member=999999999")
        assert real.status_code == missing.status_code == 200, route
        assert real.json()["results"] == missing.json()["results"] == []


def test_odd_digits_in_the_register_change_nothing_and_do_not_fail(tree, client):
    client.force_login(tree.community_secretary_a1)
    answer = client.post(reverse("party-register", kwargs={"pk": tree.community_a1.pk}),
                         {"members": ["²"], "month": "2026-01"})
    assert answer.status_code in (200, 302)
