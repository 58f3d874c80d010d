"""The party pages: the member's own, the secretary's, and the neighbours who get 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from party import services
from party.models import (
    Attendance,
    Order,
    PartyMember,
    PointEntry,
    PointRule,
    PostClaim,
    ServicePost,
)
from tasks.services import item_create

NEIGHBOURS = ("secretary_b", "community_secretary_a2", "other_tenant_admin")


def _demand(tree, title="楼道灯不亮"):
    item, _created = item_create(user=None, alliance=tree.community_a1, title=title, source="demand",
                                 requester_phone="13600003333")
    return item


def test_member_pages_show_own_data(tree, client, dangyuan):
    client.force_login(dangyuan.user)
    page = client.get(reverse("party-me")).content.decode()
    assert "13812345678" in page and tree.community_a1.name in page
    post = services.post_create(user=tree.root, community=tree.community_a1, title="3栋楼栋志愿者",
                                kind="building", places=1)
    assert "3栋楼栋志愿者" in client.get(reverse("party-my-posts")).content.decode()
    response = client.post(reverse("party-post-action", kwargs={"pk": post.pk, "action": "claim"}))
    assert response.status_code == 302 and PostClaim.objects.filter(member=dangyuan).exists()
    item = _demand(tree)
    assert "楼道灯不亮" in client.get(reverse("party-my-orders")).content.decode()
    client.post(reverse("party-item-take", kwargs={"pk": item.pk}))
    assert Order.objects.get().member == dangyuan
    points = client.get(reverse("party-my-points")).content.decode()
    assert "向锦霞社区党建共同体报到" in points
    # The hub sends a member without roles to their own pages.
    assert client.get(reverse("party-home")).url == reverse("party-me")


def test_self_service_report_page(tree, client):
    account = __import__("tests.factories", fromlist=["user"]).user("new_member", tenant=tree.district.tenant)
    member = services.party_member_create(user=tree.root, community=tree.community_a1, name="新党员", account=account)
    client.force_login(account)
    assert "party-report-button" in client.get(reverse("party-me")).content.decode()
    client.post(reverse("party-me-report"), {"community": tree.community_a2.pk})
    member.refresh_from_db()
    assert member.community == tree.community_a2 and member.reports.get().self_service
    # Another tenant's community is not found.
    response = client.post(reverse("party-me-report"), {"community": tree.other_tenant.pk})
    assert response.status_code == 404


def test_a_user_who_is_not_a_member_gets_404_on_member_pages(tree, client):
    client.force_login(tree.observer)
    for name in ("party-me", "party-my-posts", "party-my-orders", "party-my-points"):
        assert client.get(reverse(name)).status_code == 404
    assert client.get(reverse("party-home")).status_code == 200


def test_secretary_pages(tree, client, dangyuan, walkin):
    client.force_login(tree.community_secretary_a1)
    page = client.get(reverse("party-members", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert "张党员" in page and "13812345678" in page  # the secretary sees the full number
    created = client.post(reverse("party-members", kwargs={"pk": tree.community_a1.pk}),
                          {"name": "郑党员", "phone": "13512345678", "employer_unit": tree.unit_a1.pk})
    assert created.status_code == 302
    bad = client.post(reverse("party-members", kwargs={"pk": tree.community_a1.pk}), {"name": "钱", "phone": "x"})
    assert bad.status_code == 200 and "请填写有效的手机号" in bad.content.decode()
    assert PartyMember.objects.count() == 3
    # 报到登记: record attendance for this month (members reported by its report day are on it).
    from party.models import Report

    Report.objects.update(reported_at=timezone.now() - dt.timedelta(days=60))
    url = reverse("party-register", kwargs={"pk": tree.community_a1.pk})
    assert "张党员" in client.get(url).content.decode()
    month = timezone.localdate().replace(day=1)
    response = client.post(url, {"month": f"{month:%Y-%m}", "members": [dangyuan.pk]})
    assert response.status_code == 302 and Attendance.objects.filter(member=dangyuan, month=month).exists()
    # 岗位管理
    posts = reverse("party-posts", kwargs={"pk": tree.community_a1.pk})
    client.post(posts, {"title": "政策宣讲员", "kind": "policy", "places": 2})
    post = ServicePost.objects.get()
    claim = services.post_claim(user=tree.root, post=post, member=walkin)
    assert f"claim-{claim.pk}" in client.get(posts).content.decode()
    client.post(reverse("party-claim-action", kwargs={"pk": claim.pk, "action": "confirm"}), {"next": posts})
    client.post(reverse("party-claim-action", kwargs={"pk": claim.pk, "action": "hours"}), {"hours": "2"})
    claim.refresh_from_db()
    assert claim.status == "confirmed" and claim.hours_confirmed == 2
    # 接单办理
    order = services.order_take(user=tree.root, member=walkin, item=_demand(tree))
    orders = reverse("party-orders", kwargs={"pk": tree.community_a1.pk})
    assert f"order-{order.pk}" in client.get(orders).content.decode()
    client.post(reverse("party-order-action", kwargs={"pk": order.pk, "action": "confirm"}))
    client.post(reverse("party-order-action", kwargs={"pk": order.pk, "action": "resolve"}), {"note": "已修复"})
    order.refresh_from_db()
    assert order.status == "resolved"
    # 积分排行 and the member's ledger with a reversal.
    ranking = client.get(reverse("party-ranking", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert "李党员" in ranking and "锦霞物业服务有限公司" in ranking
    entry = PointEntry.objects.filter(member=walkin, kind="item_resolved").get()
    detail = reverse("party-member-detail", kwargs={"pk": walkin.pk})
    assert f"entry-{entry.pk}" in client.get(detail).content.decode()
    client.post(reverse("party-point-reverse", kwargs={"pk": entry.pk}), {"reason": "重复"})
    assert PointEntry.objects.filter(reverses=entry).exists()
    client.post(reverse("party-member-action", kwargs={"pk": walkin.pk, "action": "redeem"}),
                {"hours": "1", "reason": "理发"})
    assert walkin.time_entries.count() == 2


def test_staff_see_masked_numbers(tree, client, dangyuan):
    client.force_login(tree.staff_a)
    page = client.get(reverse("party-members", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert "138****5678" in page and "13812345678" not in page
    detail = client.get(reverse("party-member-detail", kwargs={"pk": dangyuan.pk})).content.decode()
    assert "500104********1234" in detail and "500104199001011234" not in detail


def test_liaison_sees_its_employees_where_they_reported(tree, client, dangyuan, walkin):
    client.force_login(tree.liaison_a1)
    page = client.get(reverse("party-unit-members", kwargs={"pk": tree.unit_a1.pk})).content.decode()
    assert "张党员" in page and tree.community_a1.name in page and "李党员" not in page
    assert "138****5678" in page
    assert client.get(reverse("party-unit-members", kwargs={"pk": tree.unit_a1_other.pk})).status_code == 404


def test_point_rules_page_is_the_districts(tree, client):
    url = reverse("party-rules", kwargs={"pk": tree.district.pk})
    client.force_login(tree.observer)
    assert client.get(url).status_code == 403
    client.force_login(tree.secretary_a)
    assert client.get(url).status_code == 404
    client.force_login(tree.district_admin)
    assert client.get(url).status_code == 200
    client.post(url, {"report": 8, "service_hour": 2, "item_resolved": 10, "item_well_rated": 5})
    assert PointRule.objects.get().points == 8
    assert client.get(reverse("party-rules", kwargs={"pk": tree.street_a.pk})).status_code == 404


@pytest.mark.parametrize("neighbour", NEIGHBOURS)
def test_neighbours_get_404_on_pages(tree, client, dangyuan, neighbour):
    post = services.post_create(user=tree.root, community=tree.community_a1, title="楼栋志愿者", kind="building",
                                places=2)
    claim = services.post_claim(user=tree.root, post=post, member=dangyuan)
    order = services.order_take(user=tree.root, member=dangyuan, item=_demand(tree))
    entry = PointEntry.objects.filter(member=dangyuan).first()
    client.force_login(getattr(tree, neighbour))
    for name in ("party-members", "party-register", "party-posts", "party-orders", "party-ranking"):
        assert client.get(reverse(name, kwargs={"pk": tree.community_a1.pk})).status_code == 404, name
    assert client.get(reverse("party-member-detail", kwargs={"pk": dangyuan.pk})).status_code == 404
    assert client.get(reverse("party-unit-members", kwargs={"pk": tree.unit_a1.pk})).status_code == 404
    posts = [
        reverse("party-post-action", kwargs={"pk": post.pk, "action": "close"}),
        reverse("party-claim-action", kwargs={"pk": claim.pk, "action": "confirm"}),
        reverse("party-order-action", kwargs={"pk": order.pk, "action": "confirm"}),
        reverse("party-point-reverse", kwargs={"pk": entry.pk}),
        reverse("party-member-action", kwargs={"pk": dangyuan.pk, "action": "report"}),
        reverse("party-members", kwargs={"pk": tree.community_a1.pk}),
        reverse("party-register", kwargs={"pk": tree.community_a1.pk}),
    ]
    for url in posts:
        assert client.post(url, {"reason": "越界", "members": [dangyuan.pk], "name": "越界"}).status_code == 404, url
    post.refresh_from_db()
    claim.refresh_from_db()
    order.refresh_from_db()
    assert (post.status, claim.status, order.status) == ("open", "claimed", "taken")
    assert not PointEntry.objects.filter(kind="reversal").exists() and not Attendance.objects.exists()


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_page_query_counts_do_not_grow(tree, client, dangyuan):
    pages = [reverse("party-members", kwargs={"pk": tree.community_a1.pk}),
             reverse("party-register", kwargs={"pk": tree.community_a1.pk}),
             reverse("party-posts", kwargs={"pk": tree.community_a1.pk}),
             reverse("party-orders", kwargs={"pk": tree.community_a1.pk}),
             reverse("party-ranking", kwargs={"pk": tree.community_a1.pk}),
             reverse("party-member-detail", kwargs={"pk": dangyuan.pk}),
             reverse("party-unit-members", kwargs={"pk": tree.unit_a1.pk})]
    me = [reverse(n) for n in ("party-me", "party-my-posts", "party-my-orders", "party-my-points")]

    def counts():
        client.force_login(tree.community_secretary_a1)
        result = {url: _count(client, url) for url in pages}
        client.force_login(dangyuan.user)
        result.update({url: _count(client, url) for url in me})
        return result

    def grow(i):
        member = services.party_member_create(user=tree.root, community=tree.community_a1, name=f"党员{i}",
                                              phone="13800000000", employer_unit=tree.unit_a1)
        services.report_create(user=tree.root, member=member, now=timezone.now() - dt.timedelta(days=100))
        services.attendance_record(user=tree.root, community=tree.community_a1, members=[member],
                                   month=timezone.localdate() - dt.timedelta(days=40))
        post = services.post_create(user=tree.root, community=tree.community_a1, title=f"岗位{i}",
                                    kind="building", places=3)
        for who in (member, dangyuan):
            claim = services.post_claim(user=tree.root, post=post, member=who)
            services.claim_decide(user=tree.root, claim=claim, confirm=True)
            services.claim_confirm_hours(user=tree.root, claim=claim, hours=1)
        services.order_take(user=tree.root, member=member, item=_demand(tree, f"事项{i}"))
        services.order_take(user=tree.root, member=dangyuan, item=_demand(tree, f"我的事项{i}"))
        _demand(tree, f"待接{i}")

    grow(0)
    before = counts()
    for i in range(1, 6):
        grow(i)
    assert counts() == before


def test_the_hub_links_only_pages_the_user_may_open(tree, client, dangyuan):
    client.force_login(tree.liaison_a1)
    page = client.get(reverse("party-home")).content.decode()
    assert reverse("party-unit-members", kwargs={"pk": tree.unit_a1.pk}) in page
    assert reverse("party-members", kwargs={"pk": tree.community_a1.pk}) not in page
    assert client.get(reverse("party-members", kwargs={"pk": tree.community_a1.pk})).status_code == 403
    client.force_login(tree.district_admin)
    page = client.get(reverse("party-home")).content.decode()
    assert reverse("party-rules", kwargs={"pk": tree.district.pk}) in page
    client.force_login(tree.observer)
    assert reverse("party-rules", kwargs={"pk": tree.district.pk}) not in client.get(reverse("party-home")).content.decode()
