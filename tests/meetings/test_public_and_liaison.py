"""Publication (公开) and its public pages, the liaison's page, the meeting calendar, and the chain
item → proposal → resolution → action items → result seen from each of its pages."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from meetings.models import PublishScope, Resolution
from meetings.services import (
    Action,
    meeting_close,
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    proposal_decide,
    proposal_review,
    proposal_schedule,
    proposal_submit,
    proxy_grant,
    resolution_assign_actions,
    resolution_publish,
)
from tasks.services import item_create, item_resolve

from ..conftest import fresh
from .test_services import DUE, approved, schedule, sec, sitting, vote

TEXTS = ("在3号楼试点加装电梯", "背街小巷环境整治", "共建单位场地错时开放", "取消社区停车收费")


def decided(m):
    """One meeting, four decisions: published to everyone (two action items, one done), published
    to party members only, adopted but unpublished, and voted down."""
    meeting, proposals = sitting(m, proposals=4)
    resolutions = []
    for proposal, text in zip(proposals, TEXTS, strict=True):
        for unit in m.units:
            vote(m, proposal, unit, "against" if text == TEXTS[3] else "for")
        resolutions.append(proposal_decide(user=sec(m), proposal=proposal, text=text))
    everyone, party, unpublished, rejected = resolutions
    actions = resolution_assign_actions(user=sec(m), resolution=everyone, actions=[
        Action(due=DUE, unit=m.unit_a1, title="制定加装方案"), Action(due=DUE, unit=m.unit_c, title="征求住户意见")])
    item_resolve(user=fresh(m.liaison_a1), item=actions[0].item, note="方案已报街道住建办")
    resolution_publish(user=sec(m), resolution=everyone)
    resolution_publish(user=sec(m), resolution=party, scope=PublishScope.PARTY_MEMBERS)
    return meeting, everyone, party, unpublished, rejected


def page(client, name, **kwargs):
    return client.get(reverse(name, kwargs=kwargs))


# --- publication ---------------------------------------------------------------------------

def test_the_secretary_chooses_the_scope_and_a_bad_scope_changes_nothing(m):
    _meeting, everyone, party, unpublished, _rejected = decided(m)
    assert Resolution.objects.get(pk=everyone.pk).publish_scope == PublishScope.EVERYONE  # the default
    assert Resolution.objects.get(pk=party.pk).publish_scope == PublishScope.PARTY_MEMBERS
    with pytest.raises(ValidationError) as exc:
        resolution_publish(user=sec(m), resolution=unpublished, scope="residents_only")
    assert "公开范围" in exc.value.messages[0]
    assert not Resolution.objects.get(pk=unpublished.pk).published
    # A liaison sees the resolution of its meeting but may not publish it.
    with pytest.raises(PermissionDenied):
        resolution_publish(user=fresh(m.liaison_a1), resolution=unpublished)
    assert not Resolution.objects.get(pk=unpublished.pk).published


def test_the_page_form_publishes_to_party_members_and_shows_the_services_message(m, client):
    _meeting, _everyone, _party, unpublished, _rejected = decided(m)
    client.force_login(m.community_secretary_a1)
    detail = page(client, "proposal-detail", pk=unpublished.proposal_id).content.decode()
    assert 'name="scope"' in detail and "仅党员" in detail and "全体居民" in detail
    bad = client.post(reverse("resolution-publish", kwargs={"pk": unpublished.pk}), {"scope": "x"}, follow=True)
    assert "公开范围只能是“仅党员”或“全体居民”。" in bad.content.decode()
    response = client.post(reverse("resolution-publish", kwargs={"pk": unpublished.pk}), {"scope": "party_members"})
    assert response.status_code == 302
    assert response.url == reverse("proposal-detail", kwargs={"pk": unpublished.proposal_id})
    resolution = Resolution.objects.get(pk=unpublished.pk)
    assert resolution.published and resolution.publish_scope == PublishScope.PARTY_MEMBERS
    shown = page(client, "proposal-detail", pk=unpublished.proposal_id).content.decode()
    assert "公开范围:仅党员" in shown and reverse("public-resolution", kwargs={"pk": resolution.pk}) in shown
    again = client.post(reverse("resolution-publish", kwargs={"pk": unpublished.pk}), follow=True)
    assert "该决议已经公开。" in again.content.decode()


def test_the_neighbours_cannot_publish_through_the_page(m, client):
    _meeting, _everyone, _party, unpublished, _rejected = decided(m)
    for neighbour in (m.community_secretary_a2, m.secretary_b, m.other_tenant_admin):
        client.force_login(neighbour)
        response = client.post(reverse("resolution-publish", kwargs={"pk": unpublished.pk}), {"scope": "everyone"})
        assert response.status_code == 404
    assert not Resolution.objects.get(pk=unpublished.pk).published


def test_the_api_publishes_with_a_scope(m, api):
    _meeting, _everyone, _party, unpublished, _rejected = decided(m)
    url = reverse("api:resolution-publish", kwargs={"pk": unpublished.pk})
    assert api(m.community_secretary_a2).post(url, {"scope": "party_members"}, format="json").status_code == 404
    assert api(m.community_secretary_a1).post(url, {"scope": "x"}, format="json").status_code == 400
    assert not Resolution.objects.get(pk=unpublished.pk).published
    published = api(m.community_secretary_a1).post(url, {"scope": "party_members"}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["published"] is True and published.json()["publish_scope"] == "party_members"


# --- the public pages ----------------------------------------------------------------------

def test_anyone_reads_what_is_published_to_everyone_and_nothing_else(m, client):
    _meeting, everyone, party, unpublished, rejected = decided(m)
    listing = page(client, "public-resolutions", pk=m.community_a1.pk)
    assert listing.status_code == 200
    body = listing.content.decode()
    assert TEXTS[0] in body and "已办结 1/2" in body and "赞成4" in body
    assert all(text not in body for text in TEXTS[1:])
    detail = page(client, "public-resolution", pk=everyone.pk).content.decode()
    assert TEXTS[0] in detail and "制定加装方案" in detail and "方案已报街道住建办" in detail
    assert "征求住户意见" in detail and m.unit_c.name in detail
    for hidden in (party, unpublished, rejected):
        assert page(client, "public-resolution", pk=hidden.pk).status_code == 404
    assert client.get("/public/resolutions/999999/").status_code == 404


def test_party_members_only_is_for_signed_in_users_of_the_same_tenant(m, client):
    _meeting, everyone, party, unpublished, _rejected = decided(m)
    for reader in (m.liaison_a1, m.community_secretary_a2, m.observer):
        client.force_login(reader)
        body = page(client, "public-resolutions", pk=m.community_a1.pk).content.decode()
        assert TEXTS[0] in body and TEXTS[1] in body and TEXTS[2] not in body
        assert page(client, "public-resolution", pk=party.pk).status_code == 200
        assert page(client, "public-resolution", pk=unpublished.pk).status_code == 404
    # A user of another tenant reads like an anonymous visitor.
    client.force_login(m.other_tenant_admin)
    body = page(client, "public-resolutions", pk=m.community_a1.pk).content.decode()
    assert TEXTS[0] in body and TEXTS[1] not in body
    assert page(client, "public-resolution", pk=party.pk).status_code == 404
    assert page(client, "public-resolution", pk=everyone.pk).status_code == 200


def test_another_alliance_or_tenant_lists_none_of_these_resolutions(m, client):
    decided(m)
    client.force_login(m.community_secretary_a1)
    for other in (m.community_a2, m.other_tenant):
        body = page(client, "public-resolutions", pk=other.pk).content.decode()
        assert all(text not in body for text in TEXTS) and "还没有公开的决议。" in body
    assert client.get("/public/alliances/999999/resolutions/").status_code == 404


def test_the_public_list_is_newest_first_and_paginated(m, client):
    meeting, proposals = sitting(m, proposals=31)
    for proposal in proposals:
        for unit in m.units:
            vote(m, proposal, unit, "for")
        resolution_publish(user=sec(m), resolution=proposal_decide(user=sec(m), proposal=proposal,
                                                                    text=f"决议{proposal.pk}"))
    first = page(client, "public-resolutions", pk=m.community_a1.pk).content.decode()
    assert f"决议{proposals[-1].pk}" in first and f"决议{proposals[0].pk}" not in first
    assert first.index(f"决议{proposals[-1].pk}") < first.index(f"决议{proposals[-2].pk}")
    second = client.get(reverse("public-resolutions", kwargs={"pk": m.community_a1.pk}) + "?page=2")
    assert f"决议{proposals[0].pk}" in second.content.decode()


def test_the_meeting_list_shows_the_secretary_a_qr_code_of_the_public_page(m, client):
    client.force_login(m.community_secretary_a1)
    body = page(client, "meeting-list", pk=m.community_a1.pk).content.decode()
    public = reverse("public-resolutions", kwargs={"pk": m.community_a1.pk})
    assert 'data-testid="public-qr"' in body and "<svg" in body and f"http://testserver{public}" in body
    client.force_login(m.observer)
    body = page(client, "meeting-list", pk=m.community_a1.pk).content.decode()
    assert 'data-testid="public-qr"' not in body and public in body  # the link, not the poster


# --- the liaison's page --------------------------------------------------------------------

def test_the_liaison_sees_invitations_votes_to_cast_past_votes_and_its_proposals(m, client):
    # A past meeting: unit A1 voted for the first, against the second.
    past, (first, second) = sitting(m, proposals=2)
    for unit in m.units:
        vote(m, first, unit, "for")
        vote(m, second, unit, "against" if unit in (m.unit_a1, m.unit_c, m.unit_d) else "for")
    proposal_decide(user=sec(m), proposal=first, text="同意背街小巷环境整治")
    proposal_decide(user=sec(m), proposal=second, text="取消社区停车收费")
    meeting_close(user=sec(m), meeting=past)
    # A meeting in session with a proposal waiting for the unit's vote, and one it already voted on.
    sitting_now, (waiting, done) = sitting(m, proposals=2)
    vote(m, done, m.unit_a1, "for")
    # An upcoming meeting the unit is invited to, one it is not.
    upcoming = schedule(m, days=5, title="锦霞社区六月例会")
    meeting_invite_units(user=sec(m), meeting=upcoming, units=[m.unit_a1])
    other = schedule(m, days=6, title="不相干的会议")
    meeting_invite_units(user=sec(m), meeting=other, units=[m.unit_a1_other])
    # The unit's own proposals: one returned with a reason, one waiting; another unit's proposal.
    returned = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1,
                               title="增设快递柜")
    proposal_review(user=sec(m), proposal=returned, approve=False, reason="属物业自主事项,请与业委会协商")
    waiting_review = proposal_submit(user=fresh(m.liaison_a1), alliance=m.community_a1, unit=m.unit_a1,
                                     title="老旧小区加装电梯协调")
    foreign = proposal_submit(user=fresh(m.liaison_a1_other), alliance=m.community_a1, unit=m.unit_a1_other,
                              title="别的单位的议题")

    client.force_login(m.liaison_a1)
    body = page(client, "my-meetings").content.decode()
    votes = body[body.index('data-testid="votes-to-cast"'):body.index('data-testid="invitations"')]
    assert waiting.title in votes and done.title not in votes
    assert reverse("meeting-detail", kwargs={"pk": sitting_now.pk}) in votes
    invitations = body[body.index('data-testid="invitations"'):body.index('data-testid="past-meetings"')]
    assert "锦霞社区六月例会" in invitations and "不相干的会议" not in invitations
    assert reverse("meeting-ics", kwargs={"pk": upcoming.pk}) in invitations
    history = body[body.index('data-testid="past-meetings"'):body.index('data-testid="own-proposals"')]
    assert f"{first.title}:\n        <b>赞成</b>" in history and f"{second.title}:\n        <b>反对</b>" in history
    assert "出席" in history
    own = body[body.index('data-testid="own-proposals"'):]
    assert "增设快递柜" in own and "属物业自主事项,请与业委会协商" in own and "已退回" in own
    assert waiting_review.title in own and "待审定" in own and foreign.title not in own
    assert 'data-testid="nav-my-meetings"' in body

    # Once the unit has voted, the proposal leaves the list.
    vote(m, waiting, m.unit_a1, "abstain")
    body = page(client, "my-meetings").content.decode()
    votes = body[body.index('data-testid="votes-to-cast"'):body.index('data-testid="invitations"')]
    assert waiting.title not in votes and "没有待表决的议题" in votes


def test_the_liaison_also_votes_for_the_unit_whose_proxy_it_holds(m, client):
    meeting = schedule(m, title="委托表决的例会")
    meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
    proposal = proposal_schedule(user=sec(m), proposal=approved(m, title="共建单位场地开放"), meeting=meeting)
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_d, to_unit=m.unit_a1)
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_a1_other, to_unit=m.unit_c)
    meeting_open(user=sec(m), meeting=meeting)
    for unit in (m.unit_a1, m.unit_c, m.unit_a1_other):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    client.force_login(m.liaison_a1)
    votes = page(client, "my-meetings").content.decode()
    votes = votes[votes.index('data-testid="votes-to-cast"'):votes.index('data-testid="invitations"')]
    assert votes.count(proposal.title) == 2 and m.unit_d.name in votes
    assert f"由{m.unit_a1.name}受托表决" in votes
    # The unit that handed its vote to another has nothing left to cast itself.
    client.force_login(m.liaison_a1_other)
    votes = page(client, "my-meetings").content.decode()
    votes = votes[votes.index('data-testid="votes-to-cast"'):votes.index('data-testid="invitations"')]
    assert proposal.title not in votes


def test_the_page_shows_nothing_of_other_units_and_no_link_for_non_liaisons(m, client):
    meeting, (proposal,) = sitting(m, proposals=1)
    client.force_login(m.liaison_a1_other)
    body = page(client, "my-meetings").content.decode()
    assert proposal.title in body  # its own unit is present and has not voted
    client.force_login(m.community_secretary_a1)
    body = page(client, "my-meetings").content.decode()
    assert 'data-testid="not-liaison"' in body and proposal.title not in body
    assert 'data-testid="nav-my-meetings"' not in body
    home = page(client, "meeting-list", pk=m.community_a1.pk).content.decode()
    assert 'data-testid="nav-my-meetings"' not in home
    client.logout()
    assert page(client, "my-meetings").status_code == 302


# --- the calendar --------------------------------------------------------------------------

def test_the_calendar_shows_the_months_meetings_in_their_day_cells(m, client):
    today = timezone.localdate()
    soon = schedule(m, days=0.01, title="本月例会")
    later = schedule(m, days=70, title="两个多月后的专题会议", kind="special")
    client.force_login(m.community_secretary_a1)
    body = page(client, "meeting-list", pk=m.community_a1.pk).content.decode()
    calendar = body[body.index('data-testid="meeting-calendar"'):]
    assert f"{today.year}年{today.month}月" in calendar
    assert 'data-testid="calendar-today"' in calendar
    cell = calendar[calendar.index('data-testid="calendar-today"'):]
    cell = cell[:cell.index("</div>")]
    if timezone.localtime(soon.starts_at).date() == today:
        assert "本月例会" in cell and "例会" in cell
    assert f'calendar-meeting-{later.pk}"' not in calendar
    month = timezone.localtime(later.starts_at).strftime("%Y-%m")
    response = client.get(reverse("meeting-list", kwargs={"pk": m.community_a1.pk}), {"month": month})
    calendar = response.content.decode()
    calendar = calendar[calendar.index('data-testid="meeting-calendar"'):]
    assert f'calendar-meeting-{later.pk}"' in calendar and "专题会议" in calendar
    assert 'data-testid="calendar-today"' not in calendar and "本月" in calendar
    first = dt.date.fromisoformat(f"{month}-01")
    previous = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    assert f"?month={previous}" in calendar
    # A malformed month shows this month rather than an error.
    response = client.get(reverse("meeting-list", kwargs={"pk": m.community_a1.pk}), {"month": "2026-13"})
    assert response.status_code == 200 and f"{today.year}年{today.month}月" in response.content.decode()


# --- the chain, from each of its pages -----------------------------------------------------

def test_the_chain_is_visible_from_the_item_the_proposal_and_the_action_item(m, client):
    source, _created = item_create(user=sec(m), alliance=m.community_a1, title="3号楼住户反映上下楼困难",
                                   source="grid")
    proposal = approved(m, title="老旧小区加装电梯协调", source_item=source)
    meeting = schedule(m, days=2, title="加装电梯专题会议")
    meeting_invite_units(user=sec(m), meeting=meeting, units=m.units)
    proposal_schedule(user=sec(m), proposal=proposal, meeting=meeting)
    meeting_open(user=sec(m), meeting=meeting)
    for unit in m.units:
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    for unit in m.units:
        vote(m, proposal, unit, "for")
    resolution = proposal_decide(user=sec(m), proposal=proposal, text="同意在3号楼试点加装电梯")
    actions = resolution_assign_actions(user=sec(m), resolution=resolution, actions=[
        Action(due=DUE, unit=m.unit_a1, title="制定加装方案"), Action(due=DUE, unit=m.unit_c, title="征求住户意见")])
    item_resolve(user=fresh(m.liaison_a1), item=actions[0].item, note="方案已报街道住建办")

    client.force_login(m.community_secretary_a1)
    item_page = page(client, "item-detail", pk=source.pk).content.decode()
    assert f'data-testid="chain-proposal-{proposal.pk}"' in item_page
    assert reverse("proposal-detail", kwargs={"pk": proposal.pk}) in item_page

    proposal_page = page(client, "proposal-detail", pk=proposal.pk).content.decode()
    assert reverse("item-detail", kwargs={"pk": source.pk}) in proposal_page and source.reference in proposal_page
    table = proposal_page[proposal_page.index('data-testid="resolution-actions"'):]
    assert "制定加装方案" in table and "已办结" in table and "方案已报街道住建办" in table
    assert "征求住户意见" in table and "办理中" in table
    assert reverse("item-detail", kwargs={"pk": actions[1].item_id}) in table

    action_page = page(client, "item-detail", pk=actions[0].item_id).content.decode()
    chain = action_page[action_page.index('data-testid="meeting-chain"'):]
    assert "同意在3号楼试点加装电梯" in chain
    assert reverse("proposal-detail", kwargs={"pk": proposal.pk}) in chain
    assert reverse("meeting-detail", kwargs={"pk": meeting.pk}) in chain
    # The assigned unit's liaison follows its action item back to the meeting.
    client.force_login(m.liaison_a1)
    assert "同意在3号楼试点加装电梯" in page(client, "item-detail", pk=actions[0].item_id).content.decode()
    # An item with no meeting behind it shows no chain.
    client.force_login(m.community_secretary_a1)
    plain, _created = item_create(user=sec(m), alliance=m.community_a1, title="路灯不亮", source="grid")
    assert 'data-testid="meeting-chain"' not in page(client, "item-detail", pk=plain.pk).content.decode()


# --- the demo ------------------------------------------------------------------------------

def test_the_demo_has_past_and_upcoming_meetings_built_through_the_services(db, client):
    from io import StringIO

    from django.core.management import call_command

    from alliance.models import Alliance
    from meetings.models import ActionItem, Meeting, Proposal
    from tasks.models import OPEN_STATUSES

    out = StringIO()
    call_command("seed_demo", items=50, stdout=out)
    assert "9 次会议" in out.getvalue()
    now = timezone.now()
    closed = Meeting.objects.filter(status="closed")
    assert closed.values("alliance").distinct().count() == 3
    assert not closed.filter(starts_at__gte=now).exists() and not closed.filter(closed_at__gte=now).exists()
    for meeting in closed:
        assert meeting.attendances.filter(present=True).count() * 2 > meeting.invitations.count()
        assert meeting.attendances.filter(present=False).exists()
    resolutions = Resolution.objects.all()
    assert resolutions.filter(adopted=True).exists() and resolutions.filter(adopted=False).exists()
    assert not resolutions.filter(decided_at__gte=now).exists()
    assert set(resolutions.filter(published=True).values_list("publish_scope", flat=True)) == {
        "everyone", "party_members"}
    items = ActionItem.objects.values_list("item__status", "item__due_at")
    assert any(status in ("resolved", "closed") for status, _due in items)
    assert any(status in OPEN_STATUSES and due < now for status, due in items)  # overdue
    upcoming = Meeting.objects.filter(status="planned")
    assert upcoming.count() == 3 and not upcoming.filter(starts_at__lte=now).exists()
    assert all(m.invitations.exists() and m.proposals.filter(status="scheduled").exists() for m in upcoming)
    # The demo liaison's own proposals stand in every state a liaison follows.
    own = set(Proposal.objects.filter(raised_by_unit__isnull=False).values_list("status", flat=True))
    assert {"submitted", "returned", "merged", "decided"} <= own
    # The report-back agenda of the next meeting names the overdue action items.
    jinxia = Alliance.objects.get(name="锦霞社区党建共同体")
    assert "【已超期】" in upcoming.get(alliance=jinxia).agenda
    # And the public page shows what was published.
    body = client.get(reverse("public-resolutions", kwargs={"pk": jinxia.pk})).content.decode()
    assert "老旧小区加装电梯协调" in body and "已办结 1/2" in body
