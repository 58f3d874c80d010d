"""Item pages: the inbox, the item page with its actions, and the residents' public pages."""

import datetime as dt

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tasks.models import Item, Notification, Status
from tasks.services import escalate_overdue_batch, item_create, item_resolve, item_start


def test_a_resident_raises_a_demand_follows_it_confirms_and_rates(tree, client):
    cache.clear()
    url = reverse("public-demand", kwargs={"pk": tree.community_a1.pk})
    assert "锦霞社区" in client.get(url).content.decode()
    response = client.post(url, {"title": "楼下烧烤油烟扰民", "category": "environment",
                                 "requester_name": "王阿姨", "requester_phone": "13900000000"})
    item = Item.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "public-follow", kwargs={"token": item.follow_token})
    page = client.get(response["Location"]).content.decode()
    assert item.reference in page and "待接单" in page
    item_start(user=tree.community_secretary_a1, item=item)
    item_resolve(user=tree.community_secretary_a1, item=item, note="已联系城管劝导,油烟净化器已安装")
    follow = reverse("public-follow", kwargs={"token": item.follow_token})
    assert "油烟净化器" in client.get(follow).content.decode()
    client.post(follow, {"action": "confirm", "solved": "yes"})
    client.post(follow, {"action": "rate", "score": "5", "comment": "很满意"})
    item.refresh_from_db()
    assert item.status == Status.CLOSED and item.rating.by_resident and item.rating.score == 5


def test_the_follow_page_needs_the_token(tree, client):
    assert client.get(reverse("public-follow", kwargs={"token": "guess"})).status_code == 404


def test_the_public_form_hides_its_honeypot_from_residents(tree, client):
    page = client.get(reverse("public-demand", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert '<div class="field hp" aria-hidden="true">' in page and 'name="website"' in page


def test_the_public_form_is_rate_limited_and_refuses_bots(tree, client):
    cache.clear()
    url = reverse("public-demand", kwargs={"pk": tree.community_a1.pk})
    body = {"title": "噪音", "category": "other", "requester_phone": "13900000000"}
    assert client.post(url, {**body, "website": "http://spam"}).status_code == 404
    for _ in range(9):  # the bot's attempt counted too: ten posts an hour from one address
        client.post(url, body)
    limited = client.post(url, body)
    assert limited.status_code == 429 and "太频繁" in limited.content.decode()
    assert Item.objects.count() == 9
    cache.clear()


def test_the_public_form_only_exists_for_communities(tree, client):
    assert client.get(reverse("public-demand", kwargs={"pk": tree.street_a.pk})).status_code == 404


def test_the_inbox_boxes(tree, client):
    item, _ = item_create(user=tree.root, alliance=tree.community_a1, title="共享单车乱停", source="grid")
    client.force_login(tree.community_secretary_a1)
    inbox = reverse("item-inbox", kwargs={"pk": tree.community_a1.pk})
    assert "共享单车乱停" in client.get(inbox + "?box=new").content.decode()
    escalate_overdue_batch(now=timezone.now() + dt.timedelta(days=10))
    assert "共享单车乱停" in client.get(inbox + "?box=escalated_by_us").content.decode()
    assert "共享单车乱停" not in client.get(inbox + "?box=new").content.decode()
    client.force_login(tree.secretary_a)
    street_inbox = reverse("item-inbox", kwargs={"pk": tree.street_a.pk})
    assert "共享单车乱停" in client.get(street_inbox + "?box=escalated_to_us").content.decode()
    notices = client.get(reverse("notification-list")).content.decode()
    assert "收到1项下级上报的事项" in notices
    client.post(reverse("notification-list"))
    assert not Notification.objects.filter(user=tree.secretary_a, read_at__isnull=True).exists()


def test_the_item_page_acts_through_the_services(tree, client):
    item, _ = item_create(user=tree.root, alliance=tree.community_a1, title="垃圾未清运", source="grid")
    client.force_login(tree.community_secretary_a1)
    page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    assert "开始办理" in page and "提交上一级" in page
    client.post(reverse("item-action", kwargs={"pk": item.pk, "action": "start"}))
    response = client.post(reverse("item-action", kwargs={"pk": item.pk, "action": "resolve"}), {"note": ""},
                           follow=True)
    assert "请填写办理结果" in response.content.decode()
    assert Item.objects.get(pk=item.pk).status == Status.IN_PROGRESS
    client.post(reverse("item-action", kwargs={"pk": item.pk, "action": "resolve"}), {"note": "已清运"})
    assert Item.objects.get(pk=item.pk).status == Status.RESOLVED
    timeline = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    assert "已清运" in timeline and "办结" in timeline


def test_an_observer_reads_but_gets_no_actions(tree, client):
    item, _ = item_create(user=tree.root, alliance=tree.community_a1, title="垃圾未清运", source="grid")
    client.force_login(tree.observer)
    page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    assert "垃圾未清运" in page and 'data-testid="actions"' not in page
    assert client.post(reverse("item-action", kwargs={"pk": item.pk, "action": "start"})).status_code == 302
    assert Item.objects.get(pk=item.pk).status == Status.NEW


def test_an_unfair_rating_is_appealed_and_decided_on_the_item_page(tree, client):
    from tasks.models import RatingStatus
    from tasks.services import item_confirm, item_escalate, item_rate

    item, _ = item_create(user=tree.root, alliance=tree.community_a1, title="小区停车难", source="grid")
    item = item_escalate(user=tree.community_secretary_a1, item=item, reason="需要街道协调")
    item = item_start(user=tree.secretary_a, item=item)
    item = item_resolve(user=tree.secretary_a, item=item, note="已协调临时停车位")
    item = item_confirm(user=tree.community_secretary_a1, item=item, solved=True)
    item_rate(user=tree.community_secretary_a1, item=item, score=1, comment="太慢")
    client.force_login(tree.secretary_a)
    assert "对评价提出申诉" in client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    client.post(reverse("item-action", kwargs={"pk": item.pk, "action": "appeal"}), {"note": "超期系物业原因"})
    client.force_login(tree.district_admin)
    page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    assert "超期系物业原因" in page and "撤销原评价" in page
    client.post(reverse("item-action", kwargs={"pk": item.pk, "action": "decide"}),
                {"note": "经核实属实", "uphold": "no"})
    item.refresh_from_db()
    assert item.rating.status == RatingStatus.VOIDED and item.rating.decision_reason == "经核实属实"


def test_a_liaison_takes_a_new_demand_for_its_unit(tree, client):
    item, _ = item_create(user=None, alliance=tree.community_a1, title="楼道灯坏了", source="demand",
                          requester_name="李阿姨", requester_phone="13911112222")
    client.force_login(tree.liaison_a1)
    inbox = client.get(reverse("item-inbox", kwargs={"pk": tree.community_a1.pk}) + "?box=new").content.decode()
    assert "楼道灯坏了" in inbox
    page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    assert "接单" in page and "13911112222" not in page  # the resident's phone is for the handlers
    client.post(reverse("item-action", kwargs={"pk": item.pk, "action": "claim"}))
    item.refresh_from_db()
    assert item.status == Status.ACCEPTED and item.assignee_unit_id == tree.unit_a1.pk
    client.force_login(tree.community_secretary_a1)
    assert "13911112222" in client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()


def test_the_public_form_checks_the_phone_and_the_length(tree, client):
    cache.clear()
    url = reverse("public-demand", kwargs={"pk": tree.community_a1.pk})
    response = client.post(url, {"title": "噪音", "category": "other", "requester_phone": "abc",
                                 "description": "很" * 3000})
    page = response.content.decode()
    assert response.status_code == 200 and "正确的手机号" in page
    assert not Item.objects.exists()
    cache.clear()


def test_the_timeline_does_not_name_the_resident(tree, client):
    item, _ = item_create(user=None, alliance=tree.community_a1, title="噪音", source="demand",
                          requester_name="王阿姨", requester_phone="13900000000")
    client.force_login(tree.observer)
    page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    assert "王阿姨" not in page and "13900000000" not in page
