"""The pages of the three lists (三张清单), claims and the match view, a unit's obligations and
the points ranking, through the Django test client with real users."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    Agreement,
    Claim,
    ClaimStatus,
    Commitment,
    CommitmentItem,
    Milestone,
    Need,
    NeedStatus,
    PointEntry,
    Project,
    ProjectStatus,
    Resource,
)
from agreements.services import (
    agreement_perform,
    agreement_publish,
    agreement_sign,
    claim_confirm,
    milestone_add,
    need_claim,
    need_create,
    need_publish,
    points_award_fulfilled,
    project_create,
    resource_create,
)
from alliance.roles import Role

from .. import factories
from ..conftest import fresh
from .conftest import sign_all
from .test_services import fulfil

TODAY = timezone.localdate


def sec(tree):
    return fresh(tree.community_secretary_a1)


def page_of(response) -> str:
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def follow(client, url, data=None):
    """POST and read the page the view redirects to, with its messages."""
    response = client.post(url, data or {}, follow=True)
    return page_of(response)


@pytest.fixture
def need(tree):
    need = need_create(user=sec(tree), alliance=tree.community_a1, title="老年食堂缺少助餐志愿者",
                       category="volunteers", priority="high", description="每天中午需要两人帮忙送餐。")
    return need_publish(user=sec(tree), need=need)


@pytest.fixture
def draft_need(tree):
    return need_create(user=sec(tree), alliance=tree.community_a1, title="楼道照明需要维修", category="other")


@pytest.fixture
def street_unit(tree):
    """A member unit of street A (registered there), whose resources the street's communities may use."""
    return factories.unit(tree.street_a, by=tree.root, name="春晖路街道社区卫生服务中心")


@pytest.fixture
def resources(tree, street_unit):
    """Volunteers from unit A1 (community A1) and from the street's unit; a venue; an expired offer;
    and volunteers of street B that must never match."""
    root = tree.root
    return {
        "a1": resource_create(user=root, alliance=tree.community_a1, unit=tree.unit_a1, title="物业员工志愿服务队",
                              category="volunteers", quantity="每周两次"),
        "street": resource_create(user=root, alliance=tree.street_a, unit=street_unit, title="街道医护志愿者",
                                  category="volunteers", quantity="每月一次"),
        "venue": resource_create(user=root, alliance=tree.community_a1, unit=tree.unit_a1_other, title="学校礼堂",
                                 category="venue", quantity="200座"),
        "expired": resource_create(user=root, alliance=tree.community_a1, unit=tree.unit_a1_other,
                                   title="暑期学生志愿者", category="volunteers",
                                   available_until=TODAY() - dt.timedelta(days=1)),
        "b1": resource_create(user=root, alliance=tree.community_b1, unit=tree.unit_b1, title="新山村志愿者",
                              category="volunteers"),
    }


# --- resources (资源清单) --------------------------------------------------------------------

def test_the_resource_list_shows_the_alliances_resources_and_filters_them(tree, client, resources):
    client.force_login(tree.community_secretary_a1)
    url = reverse("resource-list", kwargs={"pk": tree.community_a1.pk})
    page = page_of(client.get(url))
    for key in ("a1", "venue", "expired"):
        assert resources[key].title in page
    assert resources["b1"].title not in page and resources["street"].title not in page
    assert "三张清单" in page and "登记资源" in page
    venues = page_of(client.get(url, {"category": "venue"}))
    assert "学校礼堂" in venues and "物业员工志愿服务队" not in venues
    available = page_of(client.get(url, {"available": "yes"}))
    assert "物业员工志愿服务队" in available and "暑期学生志愿者" not in available
    unavailable = page_of(client.get(url, {"available": "no"}))
    assert "暑期学生志愿者" in unavailable and "物业员工志愿服务队" not in unavailable
    of_unit = page_of(client.get(url, {"unit": tree.unit_a1.pk}))
    assert "物业员工志愿服务队" in of_unit and "学校礼堂" not in of_unit
    # The street's page shows its communities' resources too; the district sees street B's as well.
    client.force_login(tree.secretary_a)
    street = page_of(client.get(reverse("resource-list", kwargs={"pk": tree.street_a.pk})))
    assert "街道医护志愿者" in street and "物业员工志愿服务队" in street and "新山村志愿者" not in street


def test_a_handler_lists_a_resource_and_sees_the_services_message(tree, client):
    client.force_login(tree.community_secretary_a1)
    url = reverse("resource-create", kwargs={"pk": tree.community_a1.pk})
    form = page_of(client.get(url))
    assert tree.unit_a1.name in form and tree.unit_a1_other.name in form
    bad = page_of(client.post(url, {"unit": tree.unit_a1_other.pk, "title": " ", "category": "venue",
                                    "available": "on"}))
    assert "请填写资源名称。" in bad and not Resource.objects.exists()
    bad_date = page_of(client.post(url, {"unit": tree.unit_a1_other.pk, "title": "操场", "category": "venue",
                                         "available_until": "明年"}))
    assert "请填写有效的日期" in bad_date and not Resource.objects.exists()
    response = client.post(url, {"unit": tree.unit_a1_other.pk, "title": "学校操场", "category": "venue",
                                 "quantity": "节假日开放", "available": "on", "available_until": "2099-12-31"})
    assert response.status_code == 302
    resource = Resource.objects.get()
    assert (resource.unit, resource.title, resource.available, resource.available_until) == (
        tree.unit_a1_other, "学校操场", True, dt.date(2099, 12, 31))
    edit = reverse("resource-edit", kwargs={"pk": resource.pk})
    assert "学校操场" in page_of(client.get(edit))
    assert client.post(edit, {"title": "学校操场和礼堂", "category": "venue", "quantity": "节假日开放",
                              "available_until": "2099-12-31"}).status_code == 302
    resource.refresh_from_db()
    assert resource.title == "学校操场和礼堂" and resource.available is False  # the box was left unticked


def test_a_liaison_lists_and_edits_only_its_own_units_resources(tree, client, resources):
    client.force_login(tree.liaison_a1)
    listing = page_of(client.get(reverse("resource-list", kwargs={"pk": tree.community_a1.pk})))
    assert "物业员工志愿服务队" in listing and "学校礼堂" not in listing
    url = reverse("resource-create", kwargs={"pk": tree.community_a1.pk})
    form = page_of(client.get(url))
    assert tree.unit_a1.name in form and tree.unit_a1_other.name not in form
    # Naming another unit is refused by the form (the unit is not among its choices).
    page_of(client.post(url, {"unit": tree.unit_a1_other.pk, "title": "冒名资源", "category": "funds"}))
    assert not Resource.objects.filter(title="冒名资源").exists()
    assert client.post(url, {"unit": tree.unit_a1.pk, "title": "物业活动室", "category": "venue",
                             "available": "on"}).status_code == 302
    assert Resource.objects.get(title="物业活动室").unit == tree.unit_a1
    own = reverse("resource-edit", kwargs={"pk": resources["a1"].pk})
    assert client.get(own).status_code == 200
    assert client.get(reverse("resource-edit", kwargs={"pk": resources["venue"].pk})).status_code == 404


def test_an_observer_reads_the_lists_but_may_not_write(tree, client, resources, need):
    client.force_login(tree.observer)
    assert "物业员工志愿服务队" in page_of(client.get(reverse("resource-list", kwargs={"pk": tree.community_a1.pk})))
    assert need.title in page_of(client.get(reverse("need-list", kwargs={"pk": tree.community_a1.pk})))
    assert client.get(reverse("resource-create", kwargs={"pk": tree.community_a1.pk})).status_code == 403
    assert client.get(reverse("need-create", kwargs={"pk": tree.community_a1.pk})).status_code == 403
    assert client.get(reverse("resource-edit", kwargs={"pk": resources["a1"].pk})).status_code == 403


# --- needs (需求清单), claims and the match view ------------------------------------------------

def test_a_handler_records_and_publishes_a_need(tree, client):
    client.force_login(tree.community_secretary_a1)
    url = reverse("need-create", kwargs={"pk": tree.community_a1.pk})
    assert "保存并发布" in page_of(client.get(url))
    assert "请填写需求。" in page_of(client.post(url, {"title": "", "category": "medical", "source": "grid",
                                                     "priority": "high"}))
    response = client.post(url, {"title": "独居老人需要上门体检", "category": "medical", "source": "grid",
                                 "priority": "high"})
    need = Need.objects.get()
    assert response.url == reverse("need-detail", kwargs={"pk": need.pk}) and need.status == NeedStatus.DRAFT
    detail = page_of(client.get(response.url))
    assert "待发布" in detail and "发布,供成员单位认领" in detail
    page = follow(client, reverse("need-action", kwargs={"pk": need.pk, "action": "publish"}))
    assert "已发布需求,成员单位可以认领。" in page
    assert Need.objects.get().status == NeedStatus.PUBLISHED
    edit = reverse("need-edit", kwargs={"pk": need.pk})
    assert client.post(edit, {"title": "独居老人需要上门体检和送药", "category": "medical", "source": "grid",
                              "priority": "normal"}).status_code == 302
    assert Need.objects.get().priority == "normal"
    # Published straight away from the form.
    client.post(url, {"title": "小区需要法律咨询", "category": "legal", "source": "residents",
                      "priority": "low", "publish": "1"})
    assert Need.objects.get(title="小区需要法律咨询").status == NeedStatus.PUBLISHED
    closed = follow(client, reverse("need-action", kwargs={"pk": need.pk, "action": "close"}),
                    {"reason": "已由卫生服务中心解决。"})
    assert "已关闭需求。" in closed and Need.objects.get(pk=need.pk).status == NeedStatus.CLOSED
    # A closed need cannot be edited: the service's message on the form.
    refused = page_of(client.post(edit, {"title": "再改", "category": "medical", "source": "grid",
                                         "priority": "normal"}))
    assert "需求当前状态为“已关闭”,不能修改。" in refused


def test_the_need_list_filters_by_status_category_and_priority(tree, client, need, draft_need):
    client.force_login(tree.community_secretary_a1)
    url = reverse("need-list", kwargs={"pk": tree.community_a1.pk})
    page = page_of(client.get(url))
    assert need.title in page and draft_need.title in page
    assert draft_need.title not in page_of(client.get(url, {"status": "published"}))
    assert need.title not in page_of(client.get(url, {"category": "other"}))
    high = page_of(client.get(url, {"priority": "high"}))
    assert need.title in high and draft_need.title not in high
    # A liaison of a member unit sees the published need, not the draft.
    client.force_login(tree.liaison_a1)
    liaison = page_of(client.get(url))
    assert need.title in liaison and draft_need.title not in liaison
    assert client.get(reverse("need-detail", kwargs={"pk": draft_need.pk})).status_code == 404


def test_the_match_view_shows_fitting_resources_of_the_alliance_and_its_parent(tree, client, need, resources):
    client.force_login(tree.community_secretary_a1)
    page = page_of(client.get(reverse("need-detail", kwargs={"pk": need.pk})))
    matches = page.split('data-testid="matches"')[1]
    assert "物业员工志愿服务队" in matches and "街道医护志愿者" in matches
    assert matches.index("物业员工志愿服务队") < matches.index("街道医护志愿者")  # its own alliance first
    for absent in ("学校礼堂", "暑期学生志愿者", "新山村志愿者"):
        assert absent not in matches, absent
    assert "春晖路街道社区卫生服务中心" in matches and "上级" in matches
    # The unit of the community is linked; the street's resource list is not the community secretary's to open.
    assert reverse("unit-detail", kwargs={"pk": tree.unit_a1.pk}) in matches
    assert reverse("resource-list", kwargs={"pk": tree.street_a.pk}) not in matches
    client.force_login(tree.secretary_a)
    street = page_of(client.get(reverse("need-detail", kwargs={"pk": need.pk}))).split('data-testid="matches"')[1]
    assert reverse("resource-list", kwargs={"pk": tree.street_a.pk}) + f"?unit={resources['street'].unit_id}" in street


def test_claim_then_confirm_becomes_a_commitment_visible_on_the_agreement(tree, client, need):
    client.force_login(tree.liaison_a1)
    url = reverse("need-detail", kwargs={"pk": need.pk})
    page = page_of(client.get(url))
    assert 'data-testid="claim-button"' in page and tree.unit_a1.name in page
    claimed = follow(client, reverse("need-action", kwargs={"pk": need.pk, "action": "claim"}),
                     {"unit": tree.unit_a1.pk, "note": "每天派两名员工送餐。"})
    assert "已认领,等待发起党组织确认。" in claimed and "待确认" in claimed and "每天派两名员工送餐。" in claimed
    claim = Claim.objects.get()
    assert (claim.unit, claim.status, claim.claimed_by_id) == (tree.unit_a1, ClaimStatus.PENDING, tree.liaison_a1.pk)
    assert 'data-testid="claim-button"' not in claimed and "撤回认领" in claimed

    client.force_login(tree.community_secretary_a1)
    handler_page = page_of(client.get(url))
    assert "确认认领,写入协议" in handler_page and "新建一份共建协议(谈约)" in handler_page
    confirm = reverse("claim-action", kwargs={"pk": claim.pk, "action": "confirm"})
    refused = follow(client, confirm, {"agreement": "", "due_on": (TODAY() - dt.timedelta(days=1)).isoformat()})
    assert "承诺完成日期不能早于今天。" in refused and not Commitment.objects.exists()
    due = TODAY() + dt.timedelta(days=20)
    confirmed = follow(client, confirm, {"agreement": "", "due_on": due.isoformat()})
    commitment = Commitment.objects.get()
    agreement = commitment.agreement
    assert f"已确认认领,承诺事项已写入协议“{agreement.title}”。" in confirmed
    assert reverse("agreement-detail", kwargs={"pk": agreement.pk}) in confirmed
    assert (commitment.title, commitment.due_on, commitment.party.unit) == (need.title, due, tree.unit_a1)
    assert Claim.objects.get().status == ClaimStatus.CONFIRMED
    on_agreement = page_of(client.get(reverse("agreement-detail", kwargs={"pk": agreement.pk})))
    assert need.title in on_agreement and tree.unit_a1.name in on_agreement
    # The liaison follows the same link to the agreement its unit is now party to.
    client.force_login(tree.liaison_a1)
    assert need.title in page_of(client.get(reverse("agreement-detail", kwargs={"pk": agreement.pk})))
    # The claim earns its points once the agreement is signed by every party, not before.
    assert not PointEntry.objects.exists()
    sign_all(tree, agreement)
    assert list(PointEntry.objects.values_list("unit_id", "points")) == [(tree.unit_a1.pk, 5)]


def test_a_claim_can_go_into_an_existing_draft_of_the_alliance(tree, client, need, agreement_draft, unit_a1b,
                                                              liaison_a1b):
    other_alliance_draft = factories.agreement(tree.community_a2, by=fresh(tree.community_secretary_a2),
                                               units=[tree.unit_a2], title="翠园社区共建协议")
    claim = need_claim(user=fresh(liaison_a1b), need=need, unit=unit_a1b, note="学生志愿者周末送餐。")
    client.force_login(tree.community_secretary_a1)
    page = page_of(client.get(reverse("need-detail", kwargs={"pk": need.pk})))
    assert agreement_draft.title in page and "翠园社区共建协议" not in page
    confirm = reverse("claim-action", kwargs={"pk": claim.pk, "action": "confirm"})
    due = (TODAY() + dt.timedelta(days=10)).isoformat()
    # An agreement of another alliance is not among the choices.
    follow(client, confirm, {"agreement": other_alliance_draft.pk, "due_on": due})
    assert not Commitment.objects.filter(title=need.title).exists()
    follow(client, confirm, {"agreement": agreement_draft.pk, "due_on": due})
    commitment = Commitment.objects.get(title=need.title)
    assert commitment.agreement_id == agreement_draft.pk and commitment.party.unit_id == unit_a1b.pk
    assert Agreement.objects.count() == 2  # no new draft was made


def test_the_second_claimant_is_told_who_won(tree, client, need, unit_a1b, liaison_a1b):
    """Both liaisons opened the page while the need was open; the second click loses."""
    client.force_login(liaison_a1b)
    assert 'data-testid="claim-button"' in page_of(client.get(reverse("need-detail", kwargs={"pk": need.pk})))
    need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    page = follow(client, reverse("need-action", kwargs={"pk": need.pk, "action": "claim"}),
                  {"unit": unit_a1b.pk, "note": "我们也可以。"})
    assert "该需求已被“锦霞物业服务有限公司”认领。" in page
    assert list(Claim.objects.values_list("unit_id", flat=True)) == [tree.unit_a1.pk]
    # The winner's claim is not the loser's to read; the page says the need is taken.
    assert "这项需求已被其他成员单位认领。" in page and 'data-testid="claim-button"' not in page


def test_withdraw_and_decline(tree, client, need, unit_a1b, liaison_a1b):
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    # Another unit's liaison may not withdraw it (it cannot even see the claim).
    client.force_login(liaison_a1b)
    assert client.post(reverse("claim-action", kwargs={"pk": claim.pk, "action": "withdraw"})).status_code == 404
    client.force_login(tree.liaison_a1)
    # Nor decide on it: that is the secretary's.
    page = follow(client, reverse("claim-action", kwargs={"pk": claim.pk, "action": "confirm"}),
                  {"due_on": (TODAY() + dt.timedelta(days=5)).isoformat()})
    assert "只有发起党组织的书记或工作人员可以确认认领。" in page
    page = follow(client, reverse("claim-action", kwargs={"pk": claim.pk, "action": "withdraw"}))
    assert "已撤回认领。" in page and "已撤回" in page
    assert Need.objects.get(pk=need.pk).status == NeedStatus.PUBLISHED
    second = need_claim(user=fresh(liaison_a1b), need=need, unit=unit_a1b)
    client.force_login(tree.community_secretary_a1)
    decline = reverse("claim-action", kwargs={"pk": second.pk, "action": "decline"})
    assert "请填写不予采纳的理由。" in follow(client, decline, {"reason": ""})
    page = follow(client, decline, {"reason": "学校假期无法保障。"})
    assert "已不予采纳,需求重新开放认领。" in page and "学校假期无法保障。" in page
    assert Claim.objects.get(pk=second.pk).status == ClaimStatus.DECLINED
    assert Need.objects.get(pk=need.pk).status == NeedStatus.PUBLISHED


def test_liaison_restrictions_on_needs(tree, client, need, draft_need):
    client.force_login(tree.liaison_a1)
    assert client.get(reverse("need-create", kwargs={"pk": tree.community_a1.pk})).status_code == 403
    assert client.get(reverse("need-edit", kwargs={"pk": need.pk})).status_code == 403
    page = follow(client, reverse("need-action", kwargs={"pk": need.pk, "action": "close"}), {"reason": "x"})
    assert "只有发起党组织的书记或工作人员可以管理需求清单。" in page
    assert Need.objects.get(pk=need.pk).status == NeedStatus.PUBLISHED
    # Its own unit only: naming another unit of the community is refused (404: not a unit it sees).
    assert client.post(reverse("need-action", kwargs={"pk": need.pk, "action": "claim"}),
                       {"unit": tree.unit_a1_other.pk}).status_code == 404
    assert not Claim.objects.exists()
    # A liaison of a unit in another street does not see the need at all.
    liaison_b1 = factories.user_with_role(tree.community_b1, Role.LIAISON, unit=tree.unit_b1, username="liaison_b1")
    client.force_login(liaison_b1)
    assert client.get(reverse("need-detail", kwargs={"pk": need.pk})).status_code == 404
    assert client.post(reverse("need-action", kwargs={"pk": need.pk, "action": "claim"}),
                       {"unit": tree.unit_b1.pk}).status_code == 404
    assert need.title not in page_of(client.get(reverse("need-list", kwargs={"pk": tree.community_b1.pk})))


# --- projects (项目清单) ----------------------------------------------------------------------

def test_a_project_with_needs_resources_and_milestones(tree, client, need, resources):
    # The street's secretary may tie the street's resources to a community's project.
    client.force_login(tree.secretary_a)
    url = reverse("project-create", kwargs={"pk": tree.community_a1.pk})
    form = page_of(client.get(url))
    assert need.title in form and "物业员工志愿服务队" in form and "街道医护志愿者" in form
    assert "新山村志愿者" not in form and "学校礼堂" in form
    bad = page_of(client.post(url, {"title": "助餐项目", "lead_unit": tree.unit_a1.pk, "budget": "-5"}))
    assert "预算金额应在0到9999999999.99元之间。" in bad and not Project.objects.exists()
    response = client.post(url, {
        "title": "老年助餐共建项目", "lead_unit": tree.unit_a1.pk, "budget": "20000", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "description": "每天中午为独居老人送餐。", "needs": [need.pk],
        "resources": [resources["a1"].pk, resources["street"].pk],
    })
    project = Project.objects.get()
    assert response.url == reverse("project-detail", kwargs={"pk": project.pk})
    page = page_of(client.get(response.url))
    for expected in ("老年助餐共建项目", tree.unit_a1.name, "20000", need.title, "物业员工志愿服务队", "街道医护志愿者",
                     "筹备中"):
        assert expected in page, expected
    milestone_url = reverse("milestone-add", kwargs={"pk": project.pk})
    assert "请填写计划完成日期。" in follow(client, milestone_url, {"title": "招募志愿者", "due_on": ""})
    follow(client, milestone_url, {"title": "招募志愿者", "due_on": (TODAY() - dt.timedelta(days=3)).isoformat()})
    follow(client, milestone_url, {"title": "首次送餐", "due_on": (TODAY() + dt.timedelta(days=30)).isoformat()})
    first, second = Milestone.objects.order_by("due_on")
    page = page_of(client.get(response.url))
    assert "已逾期" in page and "已完成 0 / 2" in page
    # The lead unit's liaison marks a milestone done.
    client.force_login(tree.liaison_a1)
    assert "老年助餐共建项目" in page_of(client.get(reverse("project-list", kwargs={"pk": tree.community_a1.pk})))
    page = follow(client, reverse("milestone-done", kwargs={"pk": project.pk, "milestone_pk": first.pk}))
    assert "已登记节点“招募志愿者”完成。" in page and "已完成 1 / 2" in page
    assert Milestone.objects.get(pk=first.pk).done_on == TODAY()
    assert client.get(reverse("project-edit", kwargs={"pk": project.pk})).status_code == 403
    # The community's secretary moves it on; an illegal move gets the service's message.
    client.force_login(tree.community_secretary_a1)
    edit = reverse("project-edit", kwargs={"pk": project.pk})
    # The street's resource is not the community secretary's to list, but what the project names stays
    # on offer, so saving the form does not drop it unseen.
    assert "街道医护志愿者" in page_of(client.get(edit))
    data = {"title": "老年助餐共建项目", "lead_unit": tree.unit_a1.pk, "budget": "20000", "starts_on": "2026-01-01",
            "ends_on": "2026-12-31", "description": "每天中午为独居老人送餐。", "needs": [need.pk],
            "resources": [resources["a1"].pk]}
    refused = page_of(client.post(edit, {**data, "status": "done"}))
    assert "项目当前状态为“筹备中”,不能改为“已完成”。" in refused
    assert client.post(edit, {**data, "status": "ongoing"}).status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.ONGOING and list(project.resources.all()) == [resources["a1"]]
    listing = page_of(client.get(reverse("project-list", kwargs={"pk": tree.community_a1.pk}), {"status": "ongoing"}))
    assert "老年助餐共建项目" in listing
    assert "老年助餐共建项目" not in page_of(client.get(reverse("project-list", kwargs={"pk": tree.community_a1.pk}),
                                                     {"status": "done"}))


def test_a_milestone_of_another_project_is_404(tree, client):
    one = project_create(user=sec(tree), alliance=tree.community_a1, title="项目一", lead_unit=tree.unit_a1)
    two = project_create(user=sec(tree), alliance=tree.community_a1, title="项目二", lead_unit=tree.unit_a1)
    milestone = milestone_add(user=sec(tree), project=two, title="节点", due_on=TODAY())
    client.force_login(tree.community_secretary_a1)
    url = reverse("milestone-done", kwargs={"pk": one.pk, "milestone_pk": milestone.pk})
    assert client.post(url).status_code == 404
    assert Milestone.objects.get(pk=milestone.pk).done_on is None


# --- a unit's obligations ("what we owe, and when") ---------------------------------------------

@pytest.fixture
def overdue_agreement(tree):
    """Performing since 40 days ago: unit A1 owes a monthly report on the 1st, of which the last one
    (or two) are open and past their date, and a one-off in 100 days."""
    start = TODAY() - dt.timedelta(days=40)
    draft = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1], title="逾期测试协议",
                                term_start=start, term_end=start + dt.timedelta(days=364), commitments=[
                                    {"unit": tree.unit_a1, "title": "每月报送公共收益", "recurrence": "monthly",
                                     "day_of_month": 1, "category": "other"},
                                    {"unit": tree.unit_a1, "title": "年底前更换门禁", "recurrence": "once",
                                     "due_on": TODAY() + dt.timedelta(days=100)},
                                ])
    signed = sign_all(tree, draft)
    agreement_publish(user=sec(tree), agreement=signed)
    return agreement_perform(user=sec(tree), agreement=signed, today=start)


def test_the_obligations_page_puts_the_overdue_first(tree, client, overdue_agreement, agreement_performing):
    client.force_login(tree.liaison_a1)
    page = page_of(client.get(reverse("unit-obligations", kwargs={"pk": tree.unit_a1.pk})))
    rows = re.findall(r'data-testid="obligation-(\d+)"( class="obligation-overdue")?', page)
    titles = dict(Commitment.objects.values_list("pk", "title"))
    order = [titles[int(pk)] for pk, _overdue in rows]
    assert order[0] == "每月报送公共收益" and rows[0][1]  # overdue, first, highlighted
    assert not any(flag for _pk, flag in rows[1:])
    assert set(order) == {"每月报送公共收益", "年底前更换门禁", "每月清理楼道和公共区域", "为老旧小区更换单元门禁"}
    # The initiating organisation's promise is not the unit's.
    assert "提供党群服务中心活动场地" not in page
    assert "已逾期" in page and reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a1.pk}) in page
    occurrence = CommitmentItem.objects.filter(commitment__title="每月报送公共收益").order_by("due_on").first()
    assert reverse("item-detail", kwargs={"pk": occurrence.item_id}) in page
    assert reverse("agreement-detail", kwargs={"pk": overdue_agreement.pk}) in page
    # The soonest first among the rest: "next due" dates ascend.
    days = re.findall(r'data-testid="next-due">(\d{4}-\d{2}-\d{2})<', page)
    assert len(days) == 4 and days == sorted(days)


def test_obligations_are_the_liaisons_own_and_the_handlers(tree, client, agreement_performing):
    url = reverse("unit-obligations", kwargs={"pk": tree.unit_a1.pk})
    client.force_login(tree.liaison_a1)
    assert client.get(reverse("unit-obligations", kwargs={"pk": tree.unit_a1_other.pk})).status_code == 404
    for user in (tree.community_secretary_a1, tree.secretary_a, tree.staff_a, tree.district_admin):
        client.force_login(user)
        assert "每月清理楼道和公共区域" in page_of(client.get(url)), user
    # The unit page links to it.
    assert url in page_of(client.get(reverse("unit-detail", kwargs={"pk": tree.unit_a1.pk})))
    # A draft is not yet owed.
    draft = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1], title="草案",
                                commitments=[{"unit": tree.unit_a1, "title": "草案中的承诺", "recurrence": "once",
                                              "due_on": TODAY() + dt.timedelta(days=3)}])
    assert draft.stage == "draft" and "草案中的承诺" not in page_of(client.get(url))


# --- the points ranking (积分排行) -------------------------------------------------------------

def test_the_ranking_orders_units_with_their_breakdown_and_bars(tree, client, agreement_performing, unit_a1b,
                                                               liaison_a1b):
    # unit A1: a commitment fulfilled on time (10) and a confirmed claim (5); unit A1b: a confirmed claim (5).
    occurrence = CommitmentItem.objects.filter(commitment__agreement=agreement_performing).order_by("due_on").first()
    fulfil(tree, occurrence)
    points_award_fulfilled()
    for title, liaison, unit in (("需求一", tree.liaison_a1, tree.unit_a1), ("需求二", liaison_a1b, unit_a1b)):
        need = need_publish(user=sec(tree), need=need_create(user=sec(tree), alliance=tree.community_a1,
                                                            title=title, category="other"))
        claim = need_claim(user=fresh(liaison), need=need, unit=unit)
        draft = claim_confirm(user=sec(tree), claim=claim, due_on=TODAY() + dt.timedelta(days=9)).agreement
        for party in draft.parties.order_by("pk"):  # signed: the claim's points are earned
            agreement_sign(user=fresh(liaison if party.unit_id else tree.community_secretary_a1), agreement=draft,
                           party=party)
    assert PointEntry.objects.count() == 3
    client.force_login(tree.secretary_a)
    page = page_of(client.get(reverse("points-ranking", kwargs={"pk": tree.street_a.pk})))
    first, second = (page.index(f'data-testid="rank-{unit.pk}"') for unit in (tree.unit_a1, unit_a1b))
    assert first < second
    row_a1 = page[first:second]
    assert "15 分" in row_a1 and "rank-fill pct-100" in row_a1
    assert re.search(r"按期履约 <b>10</b>.*逾期履约 <b>0</b>.*评约得分 <b>0</b>.*认领需求 <b>5</b>", row_a1)
    row_a1b = page[second:]
    assert "5 分" in row_a1b and "rank-fill pct-33" in row_a1b
    # The alliance page links to the ranking and to the three lists.
    detail = page_of(client.get(reverse("alliance-detail", kwargs={"pk": tree.street_a.pk})))
    assert reverse("points-ranking", kwargs={"pk": tree.street_a.pk}) in detail
    assert reverse("resource-list", kwargs={"pk": tree.street_a.pk}) in detail
    # Street B has nothing of street A's.
    client.force_login(tree.district_admin)
    assert "还没有单位获得积分。" in page_of(client.get(reverse("points-ranking", kwargs={"pk": tree.street_b.pk})))


# --- neighbours: 404 on every page and every POST, and nothing changes --------------------------

@pytest.fixture
def world(tree, need, resources, agreement_draft):
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    project = project_create(user=sec(tree), alliance=tree.community_a1, title="助餐项目", lead_unit=tree.unit_a1,
                             needs=[need], resources=[resources["a1"]])
    milestone = milestone_add(user=sec(tree), project=project, title="启动", due_on=TODAY())
    return {"need": need, "claim": claim, "resource": resources["a1"], "project": project, "milestone": milestone,
            "agreement": agreement_draft}


def _urls(tree, w) -> list[tuple[str, str, dict]]:
    due = (TODAY() + dt.timedelta(days=5)).isoformat()
    a1 = {"pk": tree.community_a1.pk}
    need, claim, project = {"pk": w["need"].pk}, {"pk": w["claim"].pk}, {"pk": w["project"].pk}
    return [
        ("get", reverse("resource-list", kwargs=a1), {}),
        ("get", reverse("resource-create", kwargs=a1), {}),
        ("post", reverse("resource-create", kwargs=a1), {"unit": tree.unit_a1.pk, "title": "越界", "category": "funds"}),
        ("get", reverse("resource-edit", kwargs={"pk": w["resource"].pk}), {}),
        ("post", reverse("resource-edit", kwargs={"pk": w["resource"].pk}), {"title": "越界", "category": "funds"}),
        ("get", reverse("need-list", kwargs=a1), {}),
        ("get", reverse("need-create", kwargs=a1), {}),
        ("post", reverse("need-create", kwargs=a1), {"title": "越界", "category": "other", "source": "grid",
                                                     "priority": "high"}),
        ("get", reverse("need-detail", kwargs=need), {}),
        ("get", reverse("need-edit", kwargs=need), {}),
        ("post", reverse("need-edit", kwargs=need), {"title": "越界", "category": "other", "source": "grid",
                                                     "priority": "high"}),
        *[("post", reverse("need-action", kwargs={**need, "action": action}), {"reason": "越界", "note": "越界"})
          for action in ("publish", "close", "claim")],
        ("post", reverse("claim-action", kwargs={**claim, "action": "confirm"}),
         {"agreement": w["agreement"].pk, "due_on": due}),
        ("post", reverse("claim-action", kwargs={**claim, "action": "decline"}), {"reason": "越界"}),
        ("post", reverse("claim-action", kwargs={**claim, "action": "withdraw"}), {}),
        ("get", reverse("project-list", kwargs=a1), {}),
        ("get", reverse("project-create", kwargs=a1), {}),
        ("post", reverse("project-create", kwargs=a1), {"title": "越界", "lead_unit": tree.unit_a1.pk}),
        ("get", reverse("project-detail", kwargs=project), {}),
        ("get", reverse("project-edit", kwargs=project), {}),
        ("post", reverse("project-edit", kwargs=project), {"title": "越界", "status": "cancelled"}),
        ("post", reverse("milestone-add", kwargs=project), {"title": "越界", "due_on": due}),
        ("post", reverse("milestone-done", kwargs={**project, "milestone_pk": w["milestone"].pk}), {}),
        ("get", reverse("unit-obligations", kwargs={"pk": tree.unit_a1.pk}), {}),
        ("get", reverse("points-ranking", kwargs=a1), {}),
    ]


def _state():
    return (
        list(Resource.objects.order_by("pk").values_list("pk", "title", "available")),
        list(Need.objects.order_by("pk").values_list("pk", "title", "status")),
        list(Claim.objects.order_by("pk").values_list("pk", "status")),
        list(Project.objects.order_by("pk").values_list("pk", "title", "status")),
        list(Milestone.objects.order_by("pk").values_list("pk", "done_on")),
        Commitment.objects.count(), Agreement.objects.count(), PointEntry.objects.count(),
    )


@pytest.mark.parametrize("neighbour", ["community_secretary_a2", "secretary_b", "other_tenant_admin"])
def test_neighbours_get_404_on_every_page_and_post(tree, client, world, neighbour):
    before = _state()
    client.force_login(getattr(tree, neighbour))
    for method, url, data in _urls(tree, world):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (neighbour, method, url, response.status_code)
    assert _state() == before


def test_the_owner_reaches_every_page(tree, client, world):
    """The neighbour test can fail: the same pages open for the community's secretary."""
    client.force_login(tree.community_secretary_a1)
    for method, url, _data in _urls(tree, world):
        if method == "get":
            assert client.get(url).status_code == 200, url
