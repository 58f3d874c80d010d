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
    resolution_assign_actions(user=tree.root, resolution=resolution, actions=[Action(unit=tree.unit_a1, title="落实")])
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
                              actions=[Action(unit=tree.unit_a1_other, title=f"落实{i}") for i in range(n)])


def _later_meeting(tree):
    return _meetings_base(tree)[1]


MEETING_PAGES = {
    "meeting list": ("meeting-list", lambda t: {"pk": t.community_a1.pk}),
    "meeting detail": ("meeting-detail", lambda t: {"pk": _later_meeting(t).pk}),
    "proposal detail": ("proposal-detail", lambda t: {"pk": _later_meeting(t).proposals.order_by("pk").first().pk}),
    "api meetings": ("api:meeting-list", lambda t: {}),
    "api proposals": ("api:proposal-list", lambda t: {}),
    "api resolutions": ("api:resolution-list", lambda t: {}),
    "api meeting agenda": ("api:meeting-agenda", lambda t: {"pk": _later_meeting(t).pk}),
    "api meeting report-back": ("api:meeting-report-back", lambda t: {"pk": _later_meeting(t).pk}),
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
