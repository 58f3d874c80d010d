"""/api/v1/votes/ and the API of #4's voting rules: the meeting's roll with representatives and
proxies, proxies granted and revoked, major matters, merging, attachments; neighbours get 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from meetings.models import Proposal, ProposalAttachment, Proxy, Vote
from meetings.services import (
    meeting_invite_units,
    meeting_open,
    meeting_record_attendance,
    proposal_schedule,
    proposal_submit,
    proxy_grant,
)
from members.models import Membership
from members.services import membership_update

from ..conftest import fresh
from .test_services import approved, schedule, sec, sitting, vote

NEIGHBOURS = ["community_secretary_a2", "secretary_b", "other_tenant_admin"]


def url(name, pk=None, **kwargs):
    if pk is not None:
        kwargs["pk"] = pk
    return reverse(f"api:{name}", kwargs=kwargs or None)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_votes_are_cast_once_listed_and_read_through_the_api(m, api):
    meeting, (proposal, other) = sitting(m, proposals=2)
    secretary, liaison = api(m.community_secretary_a1), api(m.liaison_a1)
    own = liaison.post(url("vote-list"), {"proposal": proposal.pk, "choice": "for"}, format="json")
    assert own.status_code == 201, own.content
    assert own.json()["unit"] == m.unit_a1.pk and own.json()["choice_display"] == "赞成"
    again = liaison.post(url("vote-list"), {"proposal": proposal.pk, "choice": "against"}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"]["unit"] == ["“锦霞物业服务有限公司”已经对该议题投票,不能重复投票或更改。"]
    recorded = secretary.post(url("vote-list"), {"proposal": proposal.pk, "unit": m.unit_c.pk, "choice": "abstain"},
                              format="json")
    assert recorded.status_code == 201 and recorded.json()["unit_name"] == "锦霞幼儿园"
    vote(m, other, m.unit_d, "against")
    assert Vote.objects.count() == 3

    rows = secretary.get(url("vote-list"), {"proposal": proposal.pk}).json()["results"]
    assert sorted((r["unit"], r["choice"]) for r in rows) == sorted([(m.unit_a1.pk, "for"), (m.unit_c.pk, "abstain")])
    assert len(secretary.get(url("vote-list")).json()["results"]) == 3
    detail = liaison.get(url("vote-detail", own.json()["id"]))
    assert detail.status_code == 200 and detail.json()["proposal"] == proposal.pk
    # The proposal's own vote action answers the same way.
    twice = secretary.post(url("proposal-vote", proposal.pk), {"unit": m.unit_c.pk, "choice": "for"},
                           format="json")
    assert twice.status_code == 400 and "不能重复投票或更改" in twice.json()["errors"]["unit"][0]


def test_a_unit_not_invited_cannot_vote_and_a_closed_vote_takes_none(m, api):
    meeting = schedule(m)
    meeting_invite_units(user=sec(m), meeting=meeting, units=[m.unit_a1_other, m.unit_c, m.unit_d])
    proposal = proposal_schedule(user=sec(m), proposal=approved(m), meeting=meeting)
    meeting_open(user=sec(m), meeting=meeting)
    for unit in (m.unit_a1_other, m.unit_c, m.unit_d):
        meeting_record_attendance(user=sec(m), meeting=meeting, unit=unit, present=True)
    secretary = api(m.community_secretary_a1)
    outsider = secretary.post(url("vote-list"), {"proposal": proposal.pk, "unit": m.unit_a1.pk, "choice": "for"},
                              format="json")
    assert outsider.status_code == 400 and "未受邀参加本次会议,不能投票" in outsider.json()["errors"]["unit"][0]
    # The uninvited unit's liaison does not even see the proposal.
    assert api(m.liaison_a1).post(url("vote-list"), {"proposal": proposal.pk, "choice": "for"},
                                  format="json").status_code == 404
    for unit in (m.unit_a1_other, m.unit_c):
        vote(m, proposal, unit, "for")
    assert secretary.post(url("proposal-decide", proposal.pk), format="json").json()["adopted"] is True
    closed = secretary.post(url("vote-list"), {"proposal": proposal.pk, "unit": m.unit_d.pk, "choice": "for"},
                            format="json")
    assert closed.status_code == 400 and "已表决" in closed.json()["errors"]["non_field_errors"][0]
    assert Vote.objects.count() == 2


def test_the_meeting_detail_carries_representatives_proxies_and_the_quorum(m, api):
    membership_update(user=sec(m), membership=Membership.objects.get(unit=m.unit_a1, alliance=m.community_a1),
                      representative="王建国")
    meeting, (proposal,) = sitting(m, present=[m.unit_a1, m.unit_a1_other])
    secretary, liaison = api(m.community_secretary_a1), api(m.liaison_a1)
    body = secretary.get(url("meeting-detail", meeting.pk)).json()
    assert (body["invited_count"], body["present_count"], body["quorum"]) == (4, 2, False)
    assert body["rules"]["quorum_denominator"] == 2 and body["proxies"] == []
    rows = {r["unit"]: r for r in body["invitations"]}
    assert rows[m.unit_a1.pk]["representative"] == "王建国" and rows[m.unit_a1.pk]["present"] is True
    assert rows[m.unit_c.pk]["present"] is None and rows[m.unit_c.pk]["proxy_to"] is None

    # A vote without the quorum is refused.
    refused = liaison.post(url("vote-list"), {"proposal": proposal.pk, "choice": "for"}, format="json")
    assert refused.status_code == 400 and "应到4个,实到2个" in refused.json()["errors"]["non_field_errors"][0]

    # The kindergarten hands its vote to the liaison's unit, which is present: quorum.
    granted = secretary.post(url("meeting-proxies", meeting.pk), {"from_unit": m.unit_c.pk, "to_unit": m.unit_a1.pk},
                             format="json")
    assert granted.status_code == 201, granted.content
    assert (granted.json()["from_unit_name"], granted.json()["to_unit_name"]) == ("锦霞幼儿园", "锦霞物业服务有限公司")
    body = liaison.get(url("meeting-detail", meeting.pk)).json()
    assert (body["present_count"], body["quorum"]) == (3, True)
    rows = {r["unit"]: r for r in body["invitations"]}
    assert rows[m.unit_c.pk]["proxy_to"] == m.unit_a1.pk and rows[m.unit_c.pk]["counted_present"] is True
    assert [(p["from_unit"], p["to_unit"]) for p in body["proxies"]] == [(m.unit_c.pk, m.unit_a1.pk)]
    # A second proxy to the same holder is over the default limit.
    over = secretary.post(url("meeting-proxies", meeting.pk), {"from_unit": m.unit_d.pk, "to_unit": m.unit_a1.pk},
                          format="json")
    assert over.status_code == 400 and "每个单位最多受托1票" in over.json()["errors"]["to_unit"][0]

    # The liaison casts the kindergarten's vote, naming it; the vote records the holder.
    held = liaison.post(url("vote-list"), {"proposal": proposal.pk, "unit": m.unit_c.pk, "choice": "for"},
                        format="json")
    assert held.status_code == 201, held.content
    assert held.json()["proxy_unit"] == m.unit_a1.pk and held.json()["proxy_unit_name"] == "锦霞物业服务有限公司"
    revoke = secretary.post(url("meeting-revoke-proxy", meeting.pk), {"from_unit": m.unit_c.pk}, format="json")
    assert revoke.status_code == 400 and "不能撤销委托" in revoke.json()["errors"]["non_field_errors"][0]
    assert Proxy.objects.count() == 1


def test_a_liaison_grants_and_revokes_its_units_proxy(m, api):
    meeting, _props = sitting(m)
    liaison = api(m.liaison_a1)
    # The liaison names the holder among the invited units, though it does not see them otherwise.
    granted = liaison.post(url("meeting-proxies", meeting.pk), {"from_unit": m.unit_a1.pk, "to_unit": m.unit_d.pk},
                           format="json")
    assert granted.status_code == 201, granted.content
    other = liaison.post(url("meeting-proxies", meeting.pk), {"from_unit": m.unit_c.pk, "to_unit": m.unit_d.pk},
                         format="json")
    assert other.status_code == 403
    assert api(m.liaison_a1_other).post(url("meeting-revoke-proxy", meeting.pk), {"from_unit": m.unit_a1.pk},
                                        format="json").status_code == 403
    assert liaison.post(url("meeting-revoke-proxy", meeting.pk), {"from_unit": m.unit_a1.pk},
                        format="json").status_code == 204
    assert not Proxy.objects.exists()
    assert liaison.post(url("meeting-revoke-proxy", meeting.pk), {"from_unit": m.unit_a1.pk},
                        format="json").status_code == 404


def test_major_matters_and_merging_through_the_api(m, api):
    secretary, liaison = api(m.community_secretary_a1), api(m.liaison_a1)
    own = secretary.post(url("proposal-list"), {"alliance": m.community_a1.pk, "title": "社区微改造资金使用",
                                                "major": True}, format="json")
    assert own.status_code == 201 and own.json()["major"] is True
    refused = liaison.post(url("proposal-list"), {"alliance": m.community_a1.pk, "unit": m.unit_a1.pk,
                                                  "title": "加装电梯", "major": True}, format="json")
    assert refused.status_code == 400 and "审定时确定" in refused.json()["errors"]["major"][0]
    lift = liaison.post(url("proposal-list"), {"alliance": m.community_a1.pk, "unit": m.unit_a1.pk,
                                               "title": "加装电梯"}, format="json").json()
    assert lift["major"] is False and lift["attachments"] == []
    reviewed = secretary.post(url("proposal-review", lift["id"]), {"approve": True, "major": True}, format="json")
    assert reviewed.json()["major"] is True and reviewed.json()["status"] == "approved"

    ramp = liaison.post(url("proposal-list"), {"alliance": m.community_a1.pk, "unit": m.unit_a1.pk,
                                               "title": "无障碍坡道"}, format="json").json()
    assert liaison.post(url("proposal-merge", ramp["id"]), {"into": lift["id"]}, format="json").status_code == 403
    merged = secretary.post(url("proposal-merge", ramp["id"]), {"into": lift["id"]}, format="json")
    assert merged.status_code == 200, merged.content
    assert (merged.json()["status"], merged.json()["merged_into"]) == ("merged", lift["id"])
    rows = secretary.get(url("proposal-list"), {"status": "merged"}).json()["results"]
    assert [r["id"] for r in rows] == [ramp["id"]]
    into_itself = secretary.post(url("proposal-merge", lift["id"]), {"into": lift["id"]}, format="json")
    assert into_itself.status_code == 400 and into_itself.json()["errors"]["into"] == ["不能把议题合并到它自己。"]


def test_attachments_are_posted_as_multipart_and_listed_with_the_proposal(m, api, media):
    liaison = api(m.liaison_a1)
    proposal = liaison.post(url("proposal-list"), {"alliance": m.community_a1.pk, "unit": m.unit_a1.pk,
                                                   "title": "加装电梯"}, format="json").json()
    upload = SimpleUploadedFile("加装电梯方案.pdf", b"%PDF-1.4 plan", content_type="application/pdf")
    posted = liaison.post(url("proposal-attachments", proposal["id"]), {"file": upload}, format="multipart")
    assert posted.status_code == 201, posted.content
    assert posted.json()["name"] == "加装电梯方案.pdf"
    listed = liaison.get(url("proposal-detail", proposal["id"])).json()["attachments"]
    assert [a["name"] for a in listed] == ["加装电梯方案.pdf"]
    download = liaison.get(listed[0]["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 plan"
    wrong = liaison.post(url("proposal-attachments", proposal["id"]),
                         {"file": SimpleUploadedFile("run.sh", b"#!/bin/sh")}, format="multipart")
    assert wrong.status_code == 400 and "只能上传PDF、Word、Excel或图片" in wrong.json()["errors"]["file"][0]
    missing = liaison.post(url("proposal-attachments", proposal["id"]), {}, format="multipart")
    assert missing.status_code == 400 and missing.json()["errors"]["file"] == ["请选择要上传的文件。"]
    assert ProposalAttachment.objects.count() == 1


@pytest.mark.parametrize("who", NEIGHBOURS)
def test_a_neighbour_gets_404_on_every_new_endpoint(m, api, media, who):
    meeting, (proposal,) = sitting(m)
    vote(m, proposal, m.unit_a1, "for")
    proxy_grant(user=sec(m), meeting=meeting, from_unit=m.unit_d, to_unit=m.unit_c)
    submitted = proposal_submit(user=sec(m), alliance=m.community_a1, title="待审定议题")
    other = proposal_submit(user=sec(m), alliance=m.community_a1, title="另一个议题")
    owner = api(m.community_secretary_a1)
    attachment = owner.post(url("proposal-attachments", submitted.pk),
                            {"file": SimpleUploadedFile("a.pdf", b"%PDF")}, format="multipart").json()
    the_vote = Vote.objects.get()
    neighbour = api(getattr(m, who))
    before = (list(Vote.objects.values_list("pk", flat=True)), list(Proxy.objects.values_list("pk", flat=True)),
              list(Proposal.objects.order_by("pk").values_list("status", "merged_into_id", "major")),
              ProposalAttachment.objects.count())
    assert the_vote.pk not in [r["id"] for r in neighbour.get(url("vote-list")).json()["results"]]
    assert not neighbour.get(url("vote-list"), {"proposal": proposal.pk}).json()["results"]
    calls = [
        neighbour.get(url("vote-detail", the_vote.pk)),
        neighbour.post(url("vote-list"), {"proposal": proposal.pk, "unit": m.unit_c.pk, "choice": "for"},
                       format="json"),
        neighbour.get(url("meeting-detail", meeting.pk)),
        neighbour.post(url("meeting-proxies", meeting.pk), {"from_unit": m.unit_a1_other.pk, "to_unit": m.unit_c.pk},
                       format="json"),
        neighbour.post(url("meeting-revoke-proxy", meeting.pk), {"from_unit": m.unit_d.pk}, format="json"),
        neighbour.post(url("proposal-merge", submitted.pk), {"into": other.pk}, format="json"),
        neighbour.post(url("proposal-attachments", submitted.pk), {"file": SimpleUploadedFile("b.pdf", b"%PDF")},
                       format="multipart"),
        neighbour.get(url("proposal-attachment-download", submitted.pk, attachment_id=attachment["id"])),
    ]
    assert [c.status_code for c in calls] == [404] * len(calls)
    assert before == (list(Vote.objects.values_list("pk", flat=True)), list(Proxy.objects.values_list("pk", flat=True)),
                      list(Proposal.objects.order_by("pk").values_list("status", "merged_into_id", "major")),
                      ProposalAttachment.objects.count())
    # The owner cannot name a neighbour's proposal as the one to merge into either.
    theirs = proposal_submit(user=fresh(m.community_secretary_a2), alliance=m.community_a2, title="翠园议题")
    assert owner.post(url("proposal-merge", submitted.pk), {"into": theirs.pk}, format="json").status_code == 404


def test_the_schema_documents_votes_proxies_merging_and_attachments():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in ("/api/v1/votes/", "/api/v1/votes/{id}/", "/api/v1/meetings/{id}/proxies/",
                 "/api/v1/meetings/{id}/revoke-proxy/", "/api/v1/proposals/{id}/merge/",
                 "/api/v1/proposals/{id}/attachments/", "/api/v1/proposals/{id}/attachments/{attachment_id}/"):
        assert path in paths, path
    assert "post" in paths["/api/v1/votes/"] and "get" in paths["/api/v1/votes/"]
    upload = paths["/api/v1/proposals/{id}/attachments/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    detail = schema["components"]["schemas"]["MeetingDetail"]["properties"]
    assert {"invitations", "proxies", "quorum", "present_count"} <= set(detail)
