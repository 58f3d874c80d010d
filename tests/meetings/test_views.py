"""The meeting pages: planning through the form, the agenda with its tallies, voting through the page."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from meetings.models import Invitation, Meeting, Proposal, Vote
from meetings.services import (
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    proposal_submit,
    vote_cast,
)

from .test_services import approved, schedule, sec, sitting


def _local(days):
    return timezone.localtime(timezone.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def test_a_secretary_schedules_a_meeting_through_the_form(m, client):
    client.force_login(m.community_secretary_a1)
    page = client.get(reverse("meeting-create", kwargs={"pk": m.community_a1.pk}))
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.content.decode() and m.unit_c.name in page.content.decode()
    response = client.post(reverse("meeting-create", kwargs={"pk": m.community_a1.pk}), {
        "title": "锦霞社区党建共同体例会", "kind": "regular", "starts_at": _local(1), "ends_at": _local(1.1),
        "place": "社区党群服务中心", "agenda": "一、通报\n二、议题", "units": [m.unit_a1.pk, m.unit_c.pk],
    })
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == reverse("meeting-detail", kwargs={"pk": meeting.pk})
    assert meeting.status == "planned" and meeting.place == "社区党群服务中心"
    assert set(meeting.invitations.values_list("unit_id", flat=True)) == {m.unit_a1.pk, m.unit_c.pk}
    listing = client.get(reverse("meeting-list", kwargs={"pk": m.community_a1.pk})).content.decode()
    assert "锦霞社区党建共同体例会" in listing and "安排会议" in listing
    detail = client.get(response.url).content.decode()
    assert m.unit_c.name in detail and "待召开" in detail


def test_bad_input_shows_the_services_message_and_writes_nothing(m, client):
    client.force_login(m.community_secretary_a1)
    response = client.post(reverse("meeting-create", kwargs={"pk": m.community_a1.pk}), {
        "title": "例会", "kind": "regular", "starts_at": _local(2), "ends_at": _local(1), "units": [m.unit_a1.pk],
    })
    assert response.status_code == 200
    assert "结束时间应晚于开始时间。" in response.content.decode()
    assert not Meeting.objects.exists() and not Invitation.objects.exists()
    # A move the state does not allow: opening a meeting nobody is invited to.
    meeting = schedule(m)
    opened = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "open"}), follow=True)
    assert "还没有邀请任何成员单位,不能开会。" in opened.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).status == "planned"
    # Returning a proposal without a reason.
    proposal = proposal_submit(user=sec(m), alliance=m.community_a1, title="加装电梯")
    returned = client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "review"}),
                           {"approve": "no", "reason": ""}, follow=True)
    assert "请填写退回理由。" in returned.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).status == "submitted"


def test_the_page_shows_the_agenda_and_the_tallies(m, client):
    meeting, (proposal,) = sitting(m, present=m.units[:3])
    for unit, choice in ((m.unit_a1, "for"), (m.unit_a1_other, "against"), (m.unit_c, "abstain")):
        vote_cast(user=sec(m), proposal=proposal, unit=unit, choice=choice)
    client.force_login(m.community_secretary_a1)
    page = client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).content.decode()
    assert proposal.title in page and "进行中" in page
    assert "应到4个单位,实到3个" in page
    row = page.split(f'data-testid="proposal-{proposal.pk}"')[1].split("</tr>")[0]
    assert ('<td class="tally" data-label="赞成">1</td><td class="tally" data-label="反对">1</td>'
            '<td class="tally" data-label="弃权">1</td>') in row
    decided = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "decide"}),
                          {"proposal": proposal.pk, "text": "同意"}, follow=True).content.decode()
    assert "已完成表决。" in decided and "未通过" in decided


def test_a_liaison_votes_through_the_page(m, client):
    meeting, (proposal,) = sitting(m, present=m.units)
    client.force_login(m.liaison_a1)
    page = client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).content.decode()
    assert "赞成" in page and reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "vote"}) in page
    response = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "vote"}),
                           {"proposal": proposal.pk, "choice": "for"}, follow=True)
    assert "已投票。" in response.content.decode()
    assert list(Vote.objects.values_list("unit_id", "choice")) == [(m.unit_a1.pk, "for")]
    # A liaison does not run the meeting: closing it is refused with the service's message.
    closed = client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "close"}), follow=True)
    assert "只有发起党组织的书记或工作人员可以主持会议。" in closed.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).status == "in_session"


def test_a_liaison_raises_a_proposal_and_the_secretary_schedules_it(m, client):
    client.force_login(m.liaison_a1)
    response = client.post(reverse("proposal-create", kwargs={"pk": m.community_a1.pk}),
                           {"title": "老旧小区加装电梯", "unit": m.unit_a1.pk})
    proposal = Proposal.objects.get()
    assert response.status_code == 302 and proposal.raised_by_unit_id == m.unit_a1.pk
    meeting = schedule(m)
    client.force_login(m.community_secretary_a1)
    client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "review"}), {"approve": "yes"})
    page = client.get(reverse("proposal-detail", kwargs={"pk": proposal.pk})).content.decode()
    assert meeting.title in page
    client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "schedule"}), {"meeting": meeting.pk})
    proposal.refresh_from_db()
    assert proposal.status == "scheduled" and proposal.meeting_id == meeting.pk


def test_a_neighbour_gets_404(m, client):
    meeting = schedule(m)
    meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
    meeting_open(user=sec(m), meeting=meeting)
    meeting_record_attendance(user=sec(m), meeting=meeting, unit=m.unit_a1, present=True)
    proposal = approved(m)
    client.force_login(m.community_secretary_a2)
    assert client.get(reverse("meeting-list", kwargs={"pk": m.community_a1.pk})).status_code == 404
    assert client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).status_code == 404
    assert client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "close"})).status_code == 404
    assert client.get(reverse("proposal-detail", kwargs={"pk": proposal.pk})).status_code == 404
    assert client.post(reverse("proposal-action", kwargs={"pk": proposal.pk, "action": "schedule"}),
                       {"meeting": meeting.pk}).status_code == 404
    assert Meeting.objects.get(pk=meeting.pk).status == "in_session"
    assert Proposal.objects.get(pk=proposal.pk).status == "approved"


def test_a_secretary_raises_a_proposal_from_an_item_and_the_chain_shows_both_ways(m, client):
    from tasks.services import item_create

    item, _created = item_create(user=m.community_secretary_a1, alliance=m.community_a1,
                                 title="小区加装电梯意见不一", source="demand", description="三单元住户意见分歧,需共同体议定")
    client.force_login(m.community_secretary_a1)
    item_page = client.get(reverse("item-detail", kwargs={"pk": item.pk})).content.decode()
    create_url = reverse("proposal-create", kwargs={"pk": m.community_a1.pk}) + f"?item={item.pk}"
    assert 'data-testid="propose-from-item"' in item_page and f"?item={item.pk}" in item_page
    form = client.get(create_url).content.decode()
    assert "小区加装电梯意见不一" in form and 'data-testid="proposal-source-item"' in form
    response = client.post(create_url, {"title": "小区加装电梯协调", "body": "请共同体议定"})
    proposal = Proposal.objects.get(title="小区加装电梯协调")
    assert response.status_code == 302 and proposal.source_item_id == item.pk
    assert 'data-testid="source-item"' in client.get(response.url).content.decode()
    assert f'data-testid="chain-proposal-{proposal.pk}"' in client.get(
        reverse("item-detail", kwargs={"pk": item.pk})).content.decode()


def test_a_neighbour_cannot_raise_a_proposal_from_an_item_it_cannot_see(m, client):
    from tasks.services import item_create

    item, _created = item_create(user=m.community_secretary_a1, alliance=m.community_a1,
                                 title="楼道堆物", source="grid")
    client.force_login(m.community_secretary_a2)
    url = reverse("proposal-create", kwargs={"pk": m.community_a2.pk}) + f"?item={item.pk}"
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "楼道堆物治理"}).status_code == 404
    assert not Proposal.objects.filter(source_item=item).exists()


def test_the_meeting_page_refreshes_its_roll_and_tallies_only_while_in_session(m, client):
    meeting, _proposals = sitting(m)
    client.force_login(m.community_secretary_a1)
    page = client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).content.decode()
    assert 'data-live-every="5"' in page and "js/live.js" in page
    assert 'data-live="roll"' in page and 'data-live="quorum"' in page
    client.post(reverse("meeting-action", kwargs={"pk": meeting.pk, "action": "close"}))
    closed = client.get(reverse("meeting-detail", kwargs={"pk": meeting.pk})).content.decode()
    assert "js/live.js" not in closed
