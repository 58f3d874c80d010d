"""/api/v1/meetings/, /proposals/ and /resolutions/: a meeting from proposal to published resolution."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from meetings.models import ActionItem, Meeting, Proposal, Resolution, Vote
from tasks.models import Item


def url(name, pk=None):
    return reverse(f"api:{name}", kwargs={"pk": pk} if pk is not None else None)


def plan(client, m, **extra):
    body = {"alliance": m.community_a1.pk, "title": "锦霞社区党建共同体例会",
            "starts_at": (timezone.now() + dt.timedelta(days=1)).isoformat(), "place": "社区党群服务中心", **extra}
    return client.post(url("meeting-list"), body, format="json")


def test_from_a_proposal_to_a_published_resolution_through_the_api(m, api):
    secretary, liaison = api(m.community_secretary_a1), api(m.liaison_a1)
    raised = liaison.post(url("proposal-list"), {"alliance": m.community_a1.pk, "unit": m.unit_a1.pk,
                                                "title": "老旧小区加装电梯"}, format="json")
    assert raised.status_code == 201, raised.content
    proposal = raised.json()
    assert proposal["status"] == "submitted" and proposal["raised_by_unit"] == m.unit_a1.pk
    assert secretary.post(url("proposal-review", proposal["id"]), {"approve": True},
                          format="json").json()["status"] == "approved"

    meeting = plan(secretary, m).json()
    assert meeting["status"] == "planned"
    invited = secretary.post(url("meeting-invite", meeting["id"]), {"units": [u.pk for u in m.units]},
                             format="json")
    assert invited.status_code == 200, invited.content
    scheduled = secretary.post(url("proposal-schedule", proposal["id"]), {"meeting": meeting["id"]}, format="json")
    assert scheduled.json()["status"] == "scheduled" and scheduled.json()["meeting"] == meeting["id"]
    agenda = secretary.get(url("meeting-agenda", meeting["id"])).json()
    assert [p["id"] for p in agenda] == [proposal["id"]]

    assert secretary.post(url("meeting-open", meeting["id"]), format="json").json()["status"] == "in_session"
    for unit in m.units[:3]:
        attended = secretary.post(url("meeting-attendance", meeting["id"]), {"unit": unit.pk, "present": True},
                                  format="json")
        assert attended.status_code == 200 and attended.json()["present"] is True
    # The liaison votes for its own unit without naming it; the secretary records the others.
    own = liaison.post(url("proposal-vote", proposal["id"]), {"choice": "for"}, format="json")
    assert own.status_code == 200 and own.json()["unit"] == m.unit_a1.pk
    for unit, choice in ((m.unit_a1_other, "for"), (m.unit_c, "against")):
        assert secretary.post(url("proposal-vote", proposal["id"]), {"unit": unit.pk, "choice": choice},
                              format="json").status_code == 200
    decided = secretary.post(url("proposal-decide", proposal["id"]), {"text": "同意加装电梯"}, format="json")
    assert decided.status_code == 201, decided.content
    resolution = decided.json()
    assert resolution["adopted"] is True
    assert (resolution["votes_for"], resolution["votes_against"], resolution["present_count"]) == (2, 1, 3)

    assigned = secretary.post(url("resolution-assign-actions", resolution["id"]), {"actions": [
        {"unit": m.unit_a1.pk, "title": "提交加装电梯方案", "due": "2099-12-31"},
        {"unit": m.unit_c.pk, "title": "征求住户意见", "due": "2099-12-31"}]},
        format="json")
    assert assigned.status_code == 201, assigned.content
    assert [a["unit"] for a in assigned.json()] == [m.unit_a1.pk, m.unit_c.pk]
    assert all(a["item_status"] == "in_progress" for a in assigned.json())
    published = secretary.post(url("resolution-publish", resolution["id"]), format="json")
    assert published.status_code == 200 and published.json()["published"] is True
    assert secretary.post(url("meeting-close", meeting["id"]), format="json").json()["status"] == "closed"

    # The next meeting reports the open action items back.
    following = plan(secretary, m, starts_at=(timezone.now() + dt.timedelta(days=30)).isoformat()).json()
    report = secretary.get(url("meeting-report-back", following["id"])).json()
    assert sorted(r["item"] for r in report) == sorted(a["item"] for a in assigned.json())
    rows = secretary.get(url("meeting-list"), {"status": "closed"}).json()["results"]
    assert [r["id"] for r in rows] == [meeting["id"]]
    rows = secretary.get(url("meeting-list"), {"starts_after": (timezone.now() + dt.timedelta(days=7)).isoformat(),
                                               "alliance": m.community_a1.pk}).json()["results"]
    assert [r["id"] for r in rows] == [following["id"]]
    rows = secretary.get(url("proposal-list"), {"status": "decided", "meeting": meeting["id"]}).json()["results"]
    assert [r["id"] for r in rows] == [proposal["id"]]
    assert [r["id"] for r in secretary.get(url("resolution-list")).json()["results"]] == [resolution["id"]]


def test_bad_input_is_a_400_with_the_services_message_and_changes_nothing(m, api):
    secretary = api(m.community_secretary_a1)
    blank = plan(secretary, m, title="  ")
    assert blank.status_code == 400 and blank.json()["errors"]["title"] == ["请填写标题。"]
    shape = plan(secretary, m, kind="party")
    assert shape.status_code == 400 and "kind" in shape.json()["errors"]
    meeting = plan(secretary, m).json()
    empty = secretary.post(url("meeting-open", meeting["id"]), format="json")
    assert empty.status_code == 400 and "还没有邀请任何成员单位" in empty.json()["errors"]["non_field_errors"][0]
    proposal = secretary.post(url("proposal-list"), {"alliance": m.community_a1.pk, "title": "议题"},
                              format="json").json()
    returned = secretary.post(url("proposal-review", proposal["id"]), {"approve": False}, format="json")
    assert returned.status_code == 400 and returned.json()["errors"]["reason"] == ["请填写退回理由。"]
    assert Meeting.objects.count() == 1
    assert list(Proposal.objects.values_list("status", flat=True)) == ["submitted"]


def test_without_quorum_the_api_decides_nothing(m, api):
    secretary = api(m.community_secretary_a1)
    meeting = plan(secretary, m).json()
    secretary.post(url("meeting-invite", meeting["id"]), {"units": [u.pk for u in m.units]}, format="json")
    proposal = secretary.post(url("proposal-list"), {"alliance": m.community_a1.pk, "title": "议题"},
                              format="json").json()
    secretary.post(url("proposal-review", proposal["id"]), {"approve": True}, format="json")
    secretary.post(url("proposal-schedule", proposal["id"]), {"meeting": meeting["id"]}, format="json")
    secretary.post(url("meeting-open", meeting["id"]), format="json")
    secretary.post(url("meeting-attendance", meeting["id"]), {"unit": m.unit_a1.pk, "present": True}, format="json")
    secretary.post(url("proposal-vote", proposal["id"]), {"unit": m.unit_a1.pk, "choice": "for"}, format="json")
    response = secretary.post(url("proposal-decide", proposal["id"]), format="json")
    assert response.status_code == 400 and "不能表决" in response.json()["errors"]["non_field_errors"][0]
    assert not Resolution.objects.exists()


def test_a_neighbour_gets_404_on_detail_on_an_action_and_on_a_named_object(m, api):
    secretary = api(m.community_secretary_a1)
    meeting = plan(secretary, m).json()
    neighbour = api(m.community_secretary_a2)
    assert secretary.get(url("meeting-detail", meeting["id"])).status_code == 200
    assert neighbour.get(url("meeting-detail", meeting["id"])).status_code == 404
    assert neighbour.post(url("meeting-invite", meeting["id"]), {"units": [m.unit_a2.pk]},
                          format="json").status_code == 404
    assert neighbour.get(url("meeting-agenda", meeting["id"])).status_code == 404
    # The owner cannot name a unit or a meeting outside its scope in a body either.
    assert secretary.post(url("meeting-invite", meeting["id"]), {"units": [m.unit_b1.pk]},
                          format="json").status_code == 404
    theirs = api(m.community_secretary_a2).post(url("proposal-list"), {"alliance": m.community_a2.pk,
                                                                       "title": "翠园议题"}, format="json").json()
    api(m.community_secretary_a2).post(url("proposal-review", theirs["id"]), {"approve": True}, format="json")
    assert api(m.community_secretary_a2).post(url("proposal-schedule", theirs["id"]), {"meeting": meeting["id"]},
                                              format="json").status_code == 404
    assert neighbour.post(url("meeting-list"), {"alliance": m.community_a1.pk, "title": "越界",
                                                "starts_at": timezone.now().isoformat()},
                          format="json").status_code == 404
    assert not Meeting.objects.filter(alliance=m.community_a2).exists()
    assert Meeting.objects.get().invitations.count() == 0
    assert Proposal.objects.get(pk=theirs["id"]).meeting_id is None


def test_a_liaison_cannot_vote_for_another_unit(m, api):
    secretary = api(m.community_secretary_a1)
    meeting = plan(secretary, m).json()
    secretary.post(url("meeting-invite", meeting["id"]), {"units": [u.pk for u in m.units]}, format="json")
    proposal = secretary.post(url("proposal-list"), {"alliance": m.community_a1.pk, "title": "议题"},
                              format="json").json()
    secretary.post(url("proposal-review", proposal["id"]), {"approve": True}, format="json")
    secretary.post(url("proposal-schedule", proposal["id"]), {"meeting": meeting["id"]}, format="json")
    secretary.post(url("meeting-open", meeting["id"]), format="json")
    for unit in m.units:
        secretary.post(url("meeting-attendance", meeting["id"]), {"unit": unit.pk, "present": True}, format="json")
    other = api(m.liaison_a1).post(url("proposal-vote", proposal["id"]),
                                   {"unit": m.unit_a1_other.pk, "choice": "against"}, format="json")
    assert other.status_code == 404  # the liaison does not see the other unit at all
    assert not Vote.objects.exists() and not ActionItem.objects.exists() and not Item.objects.exists()


def test_the_schema_documents_the_meeting_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in ("/api/v1/meetings/", "/api/v1/meetings/{id}/invite/", "/api/v1/meetings/{id}/report-back/",
                 "/api/v1/proposals/", "/api/v1/proposals/{id}/vote/", "/api/v1/proposals/{id}/decide/",
                 "/api/v1/resolutions/", "/api/v1/resolutions/{id}/assign-actions/",
                 "/api/v1/resolutions/{id}/publish/"):
        assert path in paths, path
    assert {"MeetingStatusEnum", "ProposalStatusEnum"} <= set(schema["components"]["schemas"])
