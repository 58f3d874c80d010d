"""A page or endpoint runs the same number of SQL queries for 1 row as for 50."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.models import Level
from alliance.services import alliance_create
from members.services import membership_create

from . import factories
from .conftest import fresh


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def _first_item(tree):
    from tasks.models import Item
    from tasks.services import item_create

    item = Item.objects.filter(origin=tree.community_a1).order_by("pk").first()
    if item is None:
        item, _created = item_create(user=tree.root, alliance=tree.community_a1, title="首个事项", source="grid")
    return item


def _grow(tree, n=49):
    """n more units in community A1, n more communities under street A, memberships in street A,
    n more items in community A1 and n more events on the first item."""
    from tasks.models import ItemEvent
    from tasks.services import item_create

    first = _first_item(tree)
    for i in range(n):
        item_create(user=tree.root, alliance=tree.community_a1, title=f"增长事项{i}", source="grid",
                    assignee_unit=tree.unit_a1)
        ItemEvent.objects.create(tenant_id=first.tenant_id, item=first, kind="note", actor=tree.root,
                                 from_alliance=tree.community_a1, to_alliance=tree.street_a, note=f"备注{i}")
    for i in range(n):
        unit = factories.unit(tree.community_a1, by=tree.root, name=f"增长单位{i}")
        membership_create(user=tree.root, unit=unit, alliance=tree.street_a)
        alliance_create(user=tree.root, parent=tree.street_a, name=f"增长社区{i}", level=Level.COMMUNITY,
                        code=f"500104001{200 + i}")


PAGES = {
    "alliance-detail (community)": ("alliance-detail", lambda t: {"pk": t.community_a1.pk}),
    "alliance-detail (street)": ("alliance-detail", lambda t: {"pk": t.street_a.pk}),
    "alliance-unit-list": ("alliance-unit-list", lambda t: {"pk": t.street_a.pk}),
    "unit-detail": ("unit-detail", lambda t: {"pk": t.unit_a1.pk}),
    "membership-create": ("membership-create", lambda t: {"pk": t.street_a.pk}),
    "home": ("home", lambda t: {}),
    "api alliances": ("api:alliance-list", lambda t: {}),
    "api member units": ("api:member-unit-list", lambda t: {}),
    "api memberships": ("api:membership-list", lambda t: {}),
    "api ancestors": ("api:alliance-ancestors", lambda t: {"pk": t.community_a1.pk}),
    "api descendants": ("api:alliance-descendants", lambda t: {"pk": t.street_a.pk}),
    "item inbox": ("item-inbox", lambda t: {"pk": t.community_a1.pk}),
    "item detail": ("item-detail", lambda t: {"pk": _first_item(t).pk}),
    "api items": ("api:item-list", lambda t: {}),
    "api item events": ("api:item-events", lambda t: {"pk": _first_item(t).pk}),
}


@pytest.mark.parametrize("label", sorted(PAGES))
def test_query_count_does_not_grow_with_rows(label, tree, client):
    name, kwargs = PAGES[label]
    _first_item(tree)  # one row to start from: "the same for 1 row and 50"
    client.force_login(fresh(tree.secretary_a))
    url = reverse(name, kwargs=kwargs(tree))
    small = _count(client, url)
    _grow(tree)
    large = _count(client, url)
    assert large == small, f"{label}: {small} queries with few rows, {large} with 50"


# --- meetings: rows grown by a helper of their own, so the pages above stay quick -----------

def _meetings_base(tree):
    """Meeting 1 (decided, one action item), meeting 2 later (one proposal on its agenda)."""
    import datetime as dt

    from django.utils import timezone

    from meetings.models import Meeting
    from meetings.services import (
        Action,
        meeting_schedule,
        proposal_schedule,
        resolution_assign_actions,
    )

    first = Meeting.objects.filter(alliance=tree.community_a1).order_by("starts_at").first()
    if first is not None:
        return first, Meeting.objects.filter(alliance=tree.community_a1).order_by("-starts_at").first()
    first = meeting_schedule(user=tree.root, alliance=tree.community_a1, title="第一次例会",
                             starts_at=timezone.now() + dt.timedelta(days=1))
    (resolution,) = _decided(tree, first, 1)
    resolution_assign_actions(user=tree.root, resolution=resolution, actions=[Action(unit=tree.unit_a1, title="落实",
                                                                                 due=dt.date(2099, 12, 31))])
    later = meeting_schedule(user=tree.root, alliance=tree.community_a1, title="第二次例会",
                             starts_at=timezone.now() + dt.timedelta(days=30))
    proposal_schedule(user=tree.root, proposal=_approved(tree, "待议"), meeting=later)
    return first, later


def _approved(tree, title):
    from meetings.services import proposal_review, proposal_submit

    proposal = proposal_submit(user=tree.root, alliance=tree.community_a1, title=title)
    return proposal_review(user=tree.root, proposal=proposal, approve=True)


def _decided(tree, meeting, n):
    """n proposals decided at `meeting` (planned), both units of community A1 present and for."""
    from meetings.services import (
        meeting_invite_units,
        meeting_open,
        meeting_record_attendance,
        proposal_decide,
        proposal_schedule,
        vote_cast,
    )

    units = [tree.unit_a1, tree.unit_a1_other]
    meeting_invite_units(user=tree.root, meeting=meeting, units=units)
    proposals = [proposal_schedule(user=tree.root, proposal=_approved(tree, f"议题{i}"), meeting=meeting)
                 for i in range(n)]
    meeting_open(user=tree.root, meeting=meeting)
    for unit in units:
        meeting_record_attendance(user=tree.root, meeting=meeting, unit=unit, present=True)
    resolutions = []
    for proposal in proposals:
        for unit in units:
            vote_cast(user=tree.root, proposal=proposal, unit=unit, choice="for")
        resolutions.append(proposal_decide(user=tree.root, proposal=proposal))
    return resolutions


def _grow_meetings(tree, n=49):
    """n more meetings, proposals on the later meeting's agenda, resolutions, and action items to report."""
    import datetime as dt

    from django.utils import timezone

    from meetings.models import Resolution
    from meetings.services import (
        Action,
        meeting_schedule,
        proposal_schedule,
        resolution_assign_actions,
    )

    first, later = _meetings_base(tree)
    for i in range(n):
        proposal_schedule(user=tree.root, proposal=_approved(tree, f"增长议题{i}"), meeting=later)
    grown = meeting_schedule(user=tree.root, alliance=tree.community_a1, title="增长例会",
                             starts_at=timezone.now() + dt.timedelta(days=2))
    _decided(tree, grown, n)
    for i in range(n - 1):
        meeting_schedule(user=tree.root, alliance=tree.community_a1, title=f"增长会议{i}",
                         starts_at=timezone.now() + dt.timedelta(days=40 + i))
    resolution = Resolution.objects.filter(meeting=first).get()
    resolution_assign_actions(user=tree.root, resolution=resolution,
                              actions=[Action(unit=tree.unit_a1_other, title=f"落实{i}", due=dt.date(2099, 12, 31))
                                       for i in range(n)])


def _later_meeting(tree):
    return _meetings_base(tree)[1]


MEETING_PAGES = {
    "meeting list": ("meeting-list", lambda t: {"pk": t.community_a1.pk}),
    "meeting detail": ("meeting-detail", lambda t: {"pk": _later_meeting(t).pk}),
    # The minutes and the .ics of the meeting whose agenda and report-back grow, and the planning
    # page with its pre-filled report-back agenda (通报).
    "meeting minutes": ("meeting-minutes", lambda t: {"pk": _later_meeting(t).pk}),
    "meeting ics": ("meeting-ics", lambda t: {"pk": _later_meeting(t).pk}),
    "meeting create": ("meeting-create", lambda t: {"pk": t.community_a1.pk}),
    "proposal detail": ("proposal-detail", lambda t: {"pk": _later_meeting(t).proposals.order_by("pk").first().pk}),
    "api meetings": ("api:meeting-list", lambda t: {}),
    "api proposals": ("api:proposal-list", lambda t: {}),
    "api resolutions": ("api:resolution-list", lambda t: {}),
    "api meeting agenda": ("api:meeting-agenda", lambda t: {"pk": _later_meeting(t).pk}),
    "api meeting report-back": ("api:meeting-report-back", lambda t: {"pk": _later_meeting(t).pk}),
    "api votes": ("api:vote-list", lambda t: {}),
}


@pytest.mark.parametrize("label", sorted(MEETING_PAGES))
def test_meeting_endpoints_query_count_does_not_grow_with_rows(label, tree, client):
    name, kwargs = MEETING_PAGES[label]
    _meetings_base(tree)
    client.force_login(fresh(tree.secretary_a))
    url = reverse(name, kwargs=kwargs(tree))
    small = _count(client, url)
    _grow_meetings(tree)
    large = _count(client, url)
    assert large == small, f"{label}: {small} queries with few rows, {large} with 50"


def test_meeting_list_queue_of_proposals_awaiting_review_does_not_grow(tree, client):
    """待审定议题 / 待列入议程 on the meeting list: the same count with one proposal and with many,
    raised by units and by the secretary."""
    from meetings.services import proposal_submit

    client.force_login(fresh(tree.secretary_a))
    url = reverse("meeting-list", kwargs={"pk": tree.community_a1.pk})
    _approved(tree, "待列入0")
    proposal_submit(user=fresh(tree.liaison_a1), alliance=tree.community_a1, unit=tree.unit_a1, title="待审定0")
    small = _count(client, url)
    for i in range(1, 20):
        _approved(tree, f"待列入{i}")
        proposal_submit(user=fresh(tree.liaison_a1), alliance=tree.community_a1, unit=tree.unit_a1, title=f"待审定{i}")
    assert _count(client, url) == small


# --- meetings: the public resolution pages, the liaison's page, the chain on the item page --------

def _published(tree, n):
    """n resolutions of community A1 decided at a new meeting, published to everyone, with two action
    items each; returns the resolutions."""
    import datetime as dt

    from django.utils import timezone

    from meetings.services import (
        Action,
        meeting_schedule,
        resolution_assign_actions,
        resolution_publish,
    )

    meeting = meeting_schedule(user=tree.root, alliance=tree.community_a1, title="公开决议的会议",
                               starts_at=timezone.now() + dt.timedelta(days=3))
    resolutions = _decided(tree, meeting, n)
    for resolution in resolutions:
        resolution_assign_actions(user=tree.root, resolution=resolution, actions=[
            Action(unit=tree.unit_a1, title="落实", due=dt.date(2099, 12, 31)),
            Action(unit=tree.unit_a1_other, title="配合", due=dt.date(2099, 12, 31))])
        resolution_publish(user=tree.root, resolution=resolution)
    return resolutions


def _first_published(tree):
    from meetings.models import Resolution

    first = Resolution.objects.filter(alliance=tree.community_a1, published=True).order_by("pk").first()
    return first or _published(tree, 1)[0]


def _grow_published(tree, n=49):
    """n more published resolutions, and n more action items on the first one."""
    import datetime as dt

    from meetings.services import Action, resolution_assign_actions

    first = _first_published(tree)
    _published(tree, n)
    resolution_assign_actions(user=tree.root, resolution=first,
                              actions=[Action(unit=tree.unit_a1, title=f"增长事项{i}", due=dt.date(2099, 12, 31))
                                       for i in range(n)])


def _liaison_rows(tree, n):
    """For the liaison of unit A1: a closed meeting with n decisions it voted on, a meeting in session
    with n proposals awaiting its vote, n upcoming invitations and n proposals of its own."""
    import datetime as dt

    from django.utils import timezone

    from meetings.services import (
        meeting_close,
        meeting_invite_units,
        meeting_open,
        meeting_record_attendance,
        meeting_schedule,
        proposal_schedule,
        proposal_submit,
    )

    def at(days, title):
        return meeting_schedule(user=tree.root, alliance=tree.community_a1, title=title,
                                starts_at=timezone.now() + dt.timedelta(days=days))

    closed = at(-7, "已结束的例会")
    _decided(tree, closed, n)
    meeting_close(user=tree.root, meeting=closed)
    waiting = at(0.5, "待表决的例会")
    meeting_invite_units(user=tree.root, meeting=waiting, units=[tree.unit_a1, tree.unit_a1_other])
    for i in range(n):
        proposal_schedule(user=tree.root, proposal=_approved(tree, f"待表决议题{i}"), meeting=waiting)
    meeting_open(user=tree.root, meeting=waiting)
    for unit in (tree.unit_a1, tree.unit_a1_other):
        meeting_record_attendance(user=tree.root, meeting=waiting, unit=unit, present=True)
    for i in range(n):
        meeting_invite_units(user=tree.root, meeting=at(10 + i, f"邀请{i}"), units=[tree.unit_a1])
        proposal_submit(user=fresh(tree.liaison_a1), alliance=tree.community_a1, unit=tree.unit_a1,
                        title=f"本单位议题{i}")


def _action_item_with_proposals(tree, n):
    """The first action item of a published resolution, with n proposals raised from it."""
    from meetings.services import proposal_submit

    item = _first_published(tree).action_items.order_by("pk").first().item
    for i in range(n):
        proposal_submit(user=tree.root, alliance=tree.community_a1, title=f"由事项提出{i}", source_item=item)
    return item


CHAIN_PAGES = {
    "public resolutions (anonymous)": ("public-resolutions", lambda t: {"pk": t.community_a1.pk}, None,
                                       _first_published, _grow_published),
    "public resolutions (signed in)": ("public-resolutions", lambda t: {"pk": t.community_a1.pk},
                                       lambda t: t.community_secretary_a1, _first_published, _grow_published),
    "public resolution": ("public-resolution", lambda t: {"pk": _first_published(t).pk}, None,
                          _first_published, _grow_published),
    "proposal detail (decided, with actions)": (
        "proposal-detail", lambda t: {"pk": _first_published(t).proposal_id},
        lambda t: t.secretary_a, _first_published, _grow_published),
    "my meetings": ("my-meetings", lambda t: {}, lambda t: t.liaison_a1,
                    lambda t: _liaison_rows(t, 1), lambda t: _liaison_rows(t, 30)),
    "item detail (action item)": ("item-detail", lambda t: {"pk": _action_item_with_proposals(t, 0).pk},
                                  lambda t: t.secretary_a, lambda t: _action_item_with_proposals(t, 1),
                                  lambda t: _action_item_with_proposals(t, 49)),
}


@pytest.mark.parametrize("label", sorted(CHAIN_PAGES))
def test_public_liaison_and_chain_pages_query_count_does_not_grow_with_rows(label, tree, client):
    name, kwargs, who, base, grow = CHAIN_PAGES[label]
    base(tree)
    if who is not None:
        client.force_login(fresh(who(tree)))
    url = reverse(name, kwargs=kwargs(tree))
    small = _count(client, url)
    grow(tree)
    large = _count(client, url)
    assert large == small, f"{label}: {small} queries with few rows, {large} with many"


# --- agreements: the list and the agreement page (#3, A3a) ---------------------------------

def _agreement_draft(tree):
    """A draft of community A1 with unit A1: one clause, one commitment."""
    from agreements.models import Agreement

    draft = Agreement.objects.filter(alliance=tree.community_a1, title="计数草稿").first()
    if draft is None:
        draft = factories.agreement(tree.community_a1, by=tree.root, units=[tree.unit_a1], title="计数草稿",
                                    clauses=("双方开展共建。",), commitments=[
                                        {"unit": tree.unit_a1, "title": "承诺0", "recurrence": "monthly",
                                         "day_of_month": 15}])
    return draft


def _grow_draft(tree, n=30):
    """More parties, and n more clauses and commitments spread over them."""
    from agreements.services import clause_add, commitment_add, party_add

    draft = _agreement_draft(tree)
    for i in range(4):
        party_add(user=tree.root, agreement=draft,
                  unit=factories.unit(tree.community_a1, by=tree.root, name=f"计数签约单位{i}"))
    parties = list(draft.parties.order_by("pk"))
    for i in range(n):
        clause_add(user=tree.root, agreement=draft, text=f"第{i}条增长条款。")
        commitment_add(user=tree.root, agreement=draft, party=parties[i % len(parties)], title=f"增长承诺{i}",
                       recurrence="quarterly", day_of_month=1 + i % 28)


def _agreement_performing(tree):
    """A performing agreement of community A1: signed by both sides, published, performing."""
    from agreements.models import Agreement
    from agreements.services import agreement_perform, agreement_publish, agreement_sign

    agreement = Agreement.objects.filter(alliance=tree.community_a1, title="计数履约").first()
    if agreement is None:
        agreement = factories.agreement(tree.community_a1, by=tree.root, units=[tree.unit_a1], title="计数履约",
                                        commitments=[{"unit": tree.unit_a1, "title": "每月公示",
                                                      "recurrence": "monthly", "day_of_month": 15}])
        for party in agreement.parties.order_by("pk"):
            agreement_sign(user=fresh(tree.liaison_a1) if party.unit_id else tree.root, agreement=agreement,
                           party=party)
        agreement_publish(user=tree.root, agreement=agreement)
        agreement_perform(user=tree.root, agreement=agreement)
    return agreement


def _grow_performing(tree, n=30):
    """A year of occurrences, n evidence reports, a party's and n residents' ratings."""
    from django.utils import timezone

    from agreements.services import (
        commitment_items_generate,
        evaluation_add,
        evaluation_add_resident,
        evidence_report,
    )

    agreement = _agreement_performing(tree)
    commitment_items_generate(agreement=agreement, today=timezone.localdate(), horizon_days=364)
    commitment = agreement.commitments.get()
    occurrences = list(commitment.occurrences.order_by("due_on"))
    for i in range(n):
        evidence_report(user=fresh(tree.liaison_a1), commitment=commitment, text=f"第{i}次公示。",
                        occurrence=occurrences[i % len(occurrences)])
        evaluation_add_resident(agreement=agreement, name=f"居民{i}", phone=f"1380000{i:04d}", score=4)
    evaluation_add(user=tree.root, agreement=agreement, party=agreement.parties.get(unit__isnull=True), score=5)


def _grow_agreements(tree, n=30):
    """n more agreements (more than a page) in community A1 and A2, some performing."""
    _agreement_performing(tree)
    for i in range(n):
        community, unit = (tree.community_a1, tree.unit_a1) if i % 2 else (tree.community_a2, tree.unit_a2)
        factories.agreement(community, by=tree.root, units=[unit], title=f"增长协议{i}", commitments=[
            {"unit": unit, "title": "承诺", "recurrence": "monthly", "day_of_month": 15}])


AGREEMENT_PAGES = {
    # label: (url name, kwargs, viewer, base rows, grow)
    "agreement list (street)": ("agreement-list", lambda t: {"pk": t.street_a.pk}, lambda t: t.secretary_a,
                                _agreement_performing, _grow_agreements),
    "agreement list (liaison)": ("agreement-list", lambda t: {"pk": t.community_a1.pk}, lambda t: t.liaison_a1,
                                 _agreement_performing, _grow_agreements),
    "agreement detail (draft, editable)": ("agreement-detail", lambda t: {"pk": _agreement_draft(t).pk},
                                           lambda t: t.secretary_a, _agreement_draft, _grow_draft),
    "agreement detail (draft, liaison)": ("agreement-detail", lambda t: {"pk": _agreement_draft(t).pk},
                                          lambda t: t.liaison_a1, _agreement_draft, _grow_draft),
    "agreement detail (performing)": ("agreement-detail", lambda t: {"pk": _agreement_performing(t).pk},
                                      lambda t: t.secretary_a, _agreement_performing, _grow_performing),
    "agreement detail (performing, liaison)": ("agreement-detail", lambda t: {"pk": _agreement_performing(t).pk},
                                               lambda t: t.liaison_a1, _agreement_performing, _grow_performing),
}


@pytest.mark.parametrize("label", sorted(AGREEMENT_PAGES))
def test_agreement_pages_query_count_does_not_grow_with_rows(label, tree, client):
    name, kwargs, who, base, grow = AGREEMENT_PAGES[label]
    base(tree)
    client.force_login(fresh(who(tree)))
    url = reverse(name, kwargs=kwargs(tree))
    small = _count(client, url)
    grow(tree)
    large = _count(client, url)
    assert large == small, f"{label}: {small} queries with few rows, {large} with many"


def test_the_meeting_roll_does_not_grow_with_invited_units_and_proxies(tree, client):
    """The meeting page and the API meeting detail (representatives, attendance, proxies, quorum):
    the same queries for 2 invited units as for 42, 20 of them handing their vote to another."""
    import datetime as dt

    from django.utils import timezone

    from meetings.services import (
        meeting_open,
        meeting_record_attendance,
        meeting_schedule,
        proxy_grant,
    )
    from members.models import Membership
    from members.services import membership_update

    meeting = meeting_schedule(user=tree.root, alliance=tree.community_a1, title="点名例会",
                               starts_at=timezone.now() + dt.timedelta(days=1),
                               units=[tree.unit_a1, tree.unit_a1_other])
    meeting_open(user=tree.root, meeting=meeting)
    meeting_record_attendance(user=tree.root, meeting=meeting, unit=tree.unit_a1, present=True)
    client.force_login(fresh(tree.secretary_a))
    urls = [reverse("meeting-detail", kwargs={"pk": meeting.pk}), reverse("api:meeting-detail", kwargs={"pk": meeting.pk})]
    small = [_count(client, u) for u in urls]

    units = [factories.unit(tree.community_a1, by=tree.root, name=f"点名单位{i}") for i in range(40)]
    # Invitations are only added while planned: a second meeting of the same shape, grown.
    grown = meeting_schedule(user=tree.root, alliance=tree.community_a1, title="点名例会",
                             starts_at=timezone.now() + dt.timedelta(days=2),
                             units=[tree.unit_a1, tree.unit_a1_other, *units])
    for unit in units[:20]:
        membership_update(user=tree.root, membership=Membership.objects.get(unit=unit, alliance=tree.community_a1),
                          representative=f"{unit.name}代表")
    meeting_open(user=tree.root, meeting=grown)
    for unit in [tree.unit_a1, *units[:20]]:
        meeting_record_attendance(user=tree.root, meeting=grown, unit=unit, present=True)
    for giver, holder in zip(units[20:], units[:20], strict=True):
        proxy_grant(user=tree.root, meeting=grown, from_unit=giver, to_unit=holder)
    urls = [reverse("meeting-detail", kwargs={"pk": grown.pk}), reverse("api:meeting-detail", kwargs={"pk": grown.pk})]
    large = [_count(client, u) for u in urls]
    assert large == small, f"meeting roll: {small} queries with 2 units, {large} with 42"


# --- agreements: the three lists, a need with its claims and matches, a project, a unit's
# obligations and the points ranking (A3b) -------------------------------------------------------

def _lists_today():
    from django.utils import timezone

    return timezone.localdate()


def _lists_need(tree, title="助餐志愿者", *, publish=True):
    from agreements.services import need_create, need_publish

    need = need_create(user=tree.root, alliance=tree.community_a1, title=title, category="volunteers")
    return need_publish(user=tree.root, need=need) if publish else need


def _lists_first_need(tree):
    from agreements.models import Need

    return Need.objects.filter(alliance=tree.community_a1).order_by("pk").first() or _lists_need(tree)


def _lists_resources(tree, n, unit=None):
    from agreements.services import resource_create

    for i in range(n):
        resource_create(user=tree.root, alliance=tree.community_a1, unit=unit or tree.unit_a1,
                        title=f"志愿服务{i}", category="volunteers", quantity="每周一次")


def _lists_claims(tree, n):
    """n claims of the first need by unit A1 withdrawn, then a pending one; and n draft agreements
    of community A1 to choose from when confirming it."""
    from agreements.services import agreement_create, claim_withdraw, need_claim

    need = _lists_first_need(tree)
    pending = need.claims.filter(status="pending").first()
    if pending is not None:
        claim_withdraw(user=fresh(tree.liaison_a1), claim=pending)
    for _i in range(n - 1):
        claim_withdraw(user=fresh(tree.liaison_a1),
                       claim=need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1))
    need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1, note="我们来")
    today = _lists_today()
    for i in range(n):
        agreement_create(user=tree.root, alliance=tree.community_a1, title=f"草案{i}", term_start=today,
                         term_end=today.replace(year=today.year + 1), units=[tree.unit_a1])


def _lists_base(tree):
    """One of each: a resource, a published need with a pending claim and a draft to confirm it into,
    a project with a need, a resource and a milestone; one point for unit A1."""
    from agreements.models import Project
    from agreements.services import milestone_add, project_create

    if Project.objects.filter(alliance=tree.community_a1).exists():
        return
    _lists_resources(tree, 1)
    _lists_first_need(tree)
    _lists_claims(tree, 1)
    project = project_create(user=tree.root, alliance=tree.community_a1, title="助餐项目", lead_unit=tree.unit_a1,
                             needs=[_lists_first_need(tree)], resources=list(tree.unit_a1.resources.all()))
    milestone_add(user=tree.root, project=project, title="节点0", due_on=_lists_today())
    _lists_points(tree, 1)


def _lists_grow(tree, n=30):
    from agreements.models import Project
    from agreements.services import milestone_add, project_create, project_update

    _lists_base(tree)
    _lists_resources(tree, n, unit=tree.unit_a1_other)
    needs = [_lists_need(tree, f"需求{i}", publish=i % 2 == 0) for i in range(n)]
    _lists_claims(tree, n)
    project = Project.objects.filter(alliance=tree.community_a1).order_by("pk").first()
    project_update(user=tree.root, project=project, needs=[*project.needs.all(), *needs],
                   resources=list(tree.unit_a1_other.resources.all()))
    for i in range(n):
        milestone_add(user=tree.root, project=project, title=f"节点{i + 1}", due_on=_lists_today())
        project_create(user=tree.root, alliance=tree.community_a1, title=f"项目{i}", lead_unit=tree.unit_a1_other)
    _lists_points(tree, n)


def _lists_points(tree, n):
    """n more units of community A1, each with a confirmed claim made by its liaison, its agreement
    signed (5 points)."""
    from agreements.models import PointEntry
    from agreements.services import agreement_sign, claim_confirm, need_claim
    from alliance.roles import Role

    today = _lists_today()
    start = PointEntry.objects.count()
    for i in range(start, start + n):
        unit = factories.unit(tree.community_a1, by=tree.root, name=f"积分单位{i}")
        liaison = factories.user_with_role(tree.community_a1, Role.LIAISON, unit=unit, username=f"points_liaison{i}")
        claim = need_claim(user=liaison, need=_lists_need(tree, f"认领{i}"), unit=unit)
        draft = claim_confirm(user=tree.root, claim=claim, due_on=today.replace(year=today.year + 1)).agreement
        for party in draft.parties.order_by("pk"):  # the claim's points come with the signatures
            agreement_sign(user=fresh(tree.root if party.unit_id is None else liaison), agreement=draft, party=party)


def _lists_obligations(tree, n):
    """n performing agreements of community A1 in which unit A1 promises a monthly and a one-off thing."""
    import datetime as dt

    from agreements.services import agreement_perform, agreement_publish, agreement_sign

    today = _lists_today()
    for i in range(n):
        draft = factories.agreement(tree.community_a1, by=tree.root, units=[tree.unit_a1], title=f"履约协议{i}",
                                    clauses=("共建。",), commitments=[
                                        {"unit": tree.unit_a1, "title": f"每月服务{i}", "recurrence": "monthly",
                                         "day_of_month": 10},
                                        {"unit": tree.unit_a1, "title": f"一次性服务{i}", "recurrence": "once",
                                         "due_on": today + dt.timedelta(days=20)},
                                    ])
        for party in draft.parties.order_by("pk"):
            agreement_sign(user=fresh(tree.root if party.unit_id is None else tree.liaison_a1), agreement=draft,
                           party=party)
        agreement_publish(user=tree.root, agreement=draft)
        agreement_perform(user=tree.root, agreement=draft)


def _lists_project(tree):
    from agreements.models import Project

    _lists_base(tree)
    return Project.objects.filter(alliance=tree.community_a1).order_by("pk").first()


LISTS_PAGES = {
    "resource list": ("resource-list", lambda t: {"pk": t.community_a1.pk}, _lists_base, _lists_grow),
    "need list": ("need-list", lambda t: {"pk": t.community_a1.pk}, _lists_base, _lists_grow),
    "need detail (claims, matches, drafts)": ("need-detail", lambda t: {"pk": _lists_first_need(t).pk},
                                              _lists_base, _lists_grow),
    "project list": ("project-list", lambda t: {"pk": t.community_a1.pk}, _lists_base, _lists_grow),
    "project detail": ("project-detail", lambda t: {"pk": _lists_project(t).pk}, _lists_base, _lists_grow),
    "project edit": ("project-edit", lambda t: {"pk": _lists_project(t).pk}, _lists_base, _lists_grow),
    "points ranking": ("points-ranking", lambda t: {"pk": t.street_a.pk}, _lists_base, _lists_grow),
    "unit obligations": ("unit-obligations", lambda t: {"pk": t.unit_a1.pk}, lambda t: _lists_obligations(t, 1),
                         lambda t: _lists_obligations(t, 12)),
}


@pytest.mark.parametrize("label", sorted(LISTS_PAGES))
def test_agreement_lists_query_count_does_not_grow_with_rows(label, tree, client):
    name, kwargs, base, grow = LISTS_PAGES[label]
    base(tree)
    client.force_login(fresh(tree.secretary_a))
    url = reverse(name, kwargs=kwargs(tree))
    small = _count(client, url)
    grow(tree)
    large = _count(client, url)
    assert large == small, f"{label}: {small} queries with few rows, {large} with many"


# --- agreements: the API list endpoints and the two detail endpoints that grow (#3, A2) ------------

API_AGREEMENTS = {
    # label: (url name, kwargs, base rows, grow)
    "api resources": ("api:resource-list", lambda t: {}, _lists_base, _lists_grow),
    "api needs": ("api:need-list", lambda t: {}, _lists_base, _lists_grow),
    "api need matches": ("api:need-matches", lambda t: {"pk": _lists_first_need(t).pk}, _lists_base, _lists_grow),
    "api claims": ("api:claim-list", lambda t: {}, _lists_base, _lists_grow),
    "api projects": ("api:project-list", lambda t: {}, _lists_base, _lists_grow),
    "api project detail": ("api:project-detail", lambda t: {"pk": _lists_project(t).pk}, _lists_base,
                           _lists_grow),
    "api points ranking": ("api:alliance-points-list", lambda t: {"alliance_pk": t.community_a1.pk},
                           _lists_base, _lists_grow),
    "api agreements": ("api:agreement-list", lambda t: {}, _agreement_performing, _grow_agreements),
    "api commitments": ("api:commitment-list", lambda t: {}, _agreement_performing, _grow_agreements),
    "api agreement detail": ("api:agreement-detail", lambda t: {"pk": _agreement_performing(t).pk},
                             _agreement_performing, _grow_performing),
    "api agreement detail (draft)": ("api:agreement-detail", lambda t: {"pk": _agreement_draft(t).pk},
                                     _agreement_draft, _grow_draft),
    "api commitment detail": ("api:commitment-detail",
                              lambda t: {"pk": _agreement_performing(t).commitments.get().pk},
                              _agreement_performing, _grow_performing),
}


@pytest.mark.parametrize("viewer", ["secretary_a", "liaison_a1"])
@pytest.mark.parametrize("label", sorted(API_AGREEMENTS))
def test_agreement_api_query_count_does_not_grow_with_rows(label, viewer, tree, client):
    name, kwargs, base, grow = API_AGREEMENTS[label]
    base(tree)
    client.force_login(fresh(getattr(tree, viewer)))
    url = reverse(name, kwargs=kwargs(tree) or None)
    small = _count(client, url)
    grow(tree)
    large = _count(client, url)
    assert large == small, f"{label} ({viewer}): {small} queries with few rows, {large} with many"


# --- dashboard (#6): the figures of a subtree, page and API, with few and with many rows --------

DASHBOARD_PAGES = {
    "dashboard (street)": ("alliance-dashboard", lambda t: {"pk": t.street_a.pk}),
    "dashboard (district)": ("alliance-dashboard", lambda t: {"pk": t.district.pk}),
    "api stats (street)": ("api:stats-detail", lambda t: {"alliance_id": t.street_a.pk}),
}


@pytest.mark.parametrize("label", sorted(DASHBOARD_PAGES))
def test_dashboard_query_count_does_not_grow_with_rows(label, tree, client):
    name, kwargs = DASHBOARD_PAGES[label]
    _first_item(tree)
    _lists_base(tree)
    client.force_login(fresh(tree.district_admin))
    url = reverse(name, kwargs=kwargs(tree))
    small = _count(client, url)
    _grow(tree, n=20)
    _lists_grow(tree, n=10)
    large = _count(client, url)
    assert large == small, f"{label}: {small} queries with few rows, {large} with many"
