"""/api/v1/agreements/ and the three lists through the API: the whole cycle, every illegal move
refused with the service's message, signed content locked, the claim race, and the neighbours
and unrelated units who get 404. Fixtures are in conftest.py."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    Agreement,
    Claim,
    Clause,
    Commitment,
    CommitmentItem,
    Evaluation,
    Evidence,
    Milestone,
    Need,
    NeedStatus,
    Party,
    PointEntry,
    Project,
    Resource,
    Stage,
)
from agreements.services import (
    agreement_content_hash,
    agreement_terminate,
    evidence_report,
    milestone_add,
    need_claim,
    need_create,
    need_publish,
    project_create,
    resource_create,
)
from agreements.tasks import points_award_task
from tasks.models import Status

from .. import factories
from ..conftest import fresh
from .conftest import draft_commitments, sign_all


def url(name, pk=None, **kwargs):
    if pk is not None:
        kwargs["pk"] = pk
    return reverse(f"api:{name}", kwargs=kwargs or None)


def today() -> dt.date:
    return timezone.localdate()


def state() -> tuple:
    """Everything the agreement endpoints could change, to show a refused request changed nothing."""
    return (
        list(Agreement.objects.order_by("pk").values_list(
            "pk", "stage", "title", "preamble", "term_start", "term_end", "content_hash", "version", "signed_at",
            "published_at", "performing_at", "evaluated_at", "terminated_at", "termination_reason")),
        list(Party.objects.order_by("pk").values_list("pk", "agreement_id", "unit_id", "signed_by_id", "signed_at")),
        list(Clause.objects.order_by("pk").values_list("pk", "position", "text")),
        list(Commitment.objects.order_by("pk").values_list("pk", "party_id", "title", "due_on", "day_of_month")),
        list(CommitmentItem.objects.order_by("pk").values_list("pk", "item__status")),
        Evidence.objects.count(), Evaluation.objects.count(), PointEntry.objects.count(),
        list(Need.objects.order_by("pk").values_list("pk", "status", "title")),
        list(Claim.objects.order_by("pk").values_list("pk", "status")),
        list(Resource.objects.order_by("pk").values_list("pk", "title", "available")),
        list(Project.objects.order_by("pk").values_list("pk", "title", "status")),
        list(Milestone.objects.order_by("pk").values_list("pk", "done_on")),
    )


def message(response) -> str:
    """The messages of a 400 answer, as one string."""
    body = response.json()
    parts = []
    for value in body.values():
        parts.extend(value if isinstance(value, list) else [value])
    return " ".join(str(p) for p in parts)


# --- the whole cycle -------------------------------------------------------------------------

def _fulfil(secretary, liaison, item_id, *, by_unit: bool):
    """One occurrence's item through /items/: started, resolved (by the promising unit), confirmed and
    rated by the community."""
    started = secretary.post(url("item-start", item_id), {}, format="json")
    assert started.status_code == 200, started.content
    worker = liaison if by_unit else secretary
    resolved = worker.post(url("item-resolve", item_id), {"note": "已按协议完成。"}, format="json")
    assert resolved.status_code == 200, resolved.content
    assert secretary.post(url("item-confirm", item_id), {"solved": True}, format="json").status_code == 200
    rated = secretary.post(url("item-rate", item_id), {"score": 5}, format="json")
    assert rated.status_code == 200 and rated.json()["status"] == Status.CLOSED


def test_the_whole_cycle_from_draft_to_evaluated_through_the_api(tree, api, client):
    secretary, liaison = api(tree.community_secretary_a1), api(tree.liaison_a1)

    created = secretary.post(url("agreement-list"), {
        "alliance": tree.community_a1.pk, "title": "锦霞社区“共建有约”协议", "units": [tree.unit_a1.pk],
        "term_start": today().isoformat(), "term_end": (today() + dt.timedelta(days=90)).isoformat(),
        "preamble": "为推动共建共治共享,经协商一致,订立本协议。",
    }, format="json")
    assert created.status_code == 201, created.content
    agreement = created.json()
    pk = agreement["id"]
    assert agreement["stage"] == "draft" and agreement["content_hash"] == "" and agreement["public_url"] is None
    assert [s["state"] for s in agreement["stage_bar"]] == ["current", "todo", "todo", "todo", "todo"]
    assert [(p["unit"], p["signed"]) for p in agreement["parties"]] == [(None, False), (tree.unit_a1.pk, False)]
    initiator, unit_party = (p["id"] for p in agreement["parties"])

    clause = secretary.post(url("agreement-clauses", pk), {"text": "双方本着资源共享、优势互补的原则开展共建。"},
                            format="json")
    assert clause.status_code == 201 and clause.json()["position"] == 1
    first = secretary.post(url("agreement-clauses", pk), {"text": "协议履约情况每年评议一次。", "position": 1},
                           format="json")
    assert first.json()["position"] == 1
    # The unit's liaison writes its own promise; the secretary the initiating organisation's.
    own = liaison.post(url("agreement-commitments", pk), {
        "party": unit_party, "title": "组织员工志愿者清理楼道", "category": "volunteers", "recurrence": "once",
        "due_on": (today() + dt.timedelta(days=10)).isoformat()}, format="json")
    assert own.status_code == 201, own.content
    assert own.json()["unit"] == tree.unit_a1.pk
    venue = secretary.post(url("agreement-commitments", pk), {
        "party": initiator, "title": "提供党群服务中心活动场地", "category": "venue",
        "due_on": (today() + dt.timedelta(days=20)).isoformat()}, format="json")
    assert venue.status_code == 201, venue.content
    renamed = secretary.patch(url("agreement-detail", pk), {"title": "锦霞社区共建有约协议"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["title"] == "锦霞社区共建有约协议"

    # Each party signs with its own account; the caller's party need not be named.
    signed = liaison.post(url("agreement-sign", pk), {}, format="json")
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert body["stage"] == "draft" and len(body["content_hash"]) == 64
    assert [p["signed"] for p in body["parties"]] == [False, True]
    signed = secretary.post(url("agreement-sign", pk), {}, format="json").json()
    assert signed["stage"] == "signed" and signed["signed_at"]
    assert all(p["signed_at"] and p["signer_name"] for p in signed["parties"])
    assert signed["content_hash"] == body["content_hash"] == agreement_content_hash(Agreement.objects.get(pk=pk))
    assert [s["state"] for s in signed["stage_bar"]] == ["done", "current", "todo", "todo", "todo"]

    published = secretary.post(url("agreement-publish", pk), format="json").json()
    assert published["stage"] == "published"
    token = Agreement.objects.get(pk=pk).public_token
    assert published["public_url"].endswith(reverse("public-agreement", kwargs={"token": token}))
    assert "锦霞社区共建有约协议" in client.get(published["public_url"]).content.decode()

    performing = secretary.post(url("agreement-perform", pk), format="json").json()
    assert performing["stage"] == "performing"
    assert performing["progress"] == {"total": 2, "done": 0, "open": 2, "overdue": 0, "rejected": 0}

    # The unit's promise is an item assigned to it in the liaison's list.
    mine = liaison.get(url("item-list"), {"source": "commitment", "assignee_unit": tree.unit_a1.pk}).json()["results"]
    assert [(i["title"][:11], i["due_at"][:10]) for i in mine] == [
        ("组织员工志愿者清理楼道", (today() + dt.timedelta(days=10)).isoformat())]
    commitments = liaison.get(url("commitment-list"), {"agreement": pk}).json()["results"]
    assert len(commitments) == 2
    commitment = next(c for c in commitments if c["unit"] == tree.unit_a1.pk)
    detail = liaison.get(url("commitment-detail", commitment["id"])).json()
    occurrence = detail["occurrences"][0]
    assert occurrence["item"] == mine[0]["id"]

    upload = SimpleUploadedFile("签到表.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    reported = liaison.post(url("commitment-report", commitment["id"]),
                            {"text": "组织12名员工清理楼道杂物。", "file": upload, "occurrence": occurrence["id"]},
                            format="multipart")
    assert reported.status_code == 201, reported.content
    evidence = reported.json()
    assert evidence["file_name"] == "签到表.pdf" and evidence["occurrence"] == occurrence["id"]
    download = liaison.get(evidence["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 evidence"
    text_only = secretary.post(url("commitment-report", commitment["id"]), {"text": "社区已核实。"}, format="json")
    assert text_only.status_code == 201 and text_only.json()["download_url"] is None

    # Not yet: an occurrence is still open.
    early = secretary.post(url("agreement-evaluate", pk), format="json")
    assert early.status_code == 400 and "没有办结" in message(early)
    _fulfil(secretary, liaison, mine[0]["id"], by_unit=True)
    other = CommitmentItem.objects.get(commitment__agreement_id=pk, commitment__party__unit__isnull=True)
    _fulfil(secretary, liaison, other.item_id, by_unit=False)

    rated = secretary.post(url("agreement-rate", pk), {"score": 5, "comment": "物业积极履约,居民满意。"},
                           format="json")
    assert rated.status_code == 201, rated.content
    assert rated.json()["party"] == initiator and rated.json()["score"] == 5
    assert liaison.post(url("agreement-rate", pk), {"score": 4}, format="json").json()["party"] == unit_party
    again = secretary.post(url("agreement-rate", pk), {"score": 3}, format="json")
    assert again.status_code == 400 and "已经评价过" in message(again)

    evaluated = secretary.post(url("agreement-evaluate", pk), format="json")
    assert evaluated.status_code == 200, evaluated.content
    final = evaluated.json()
    assert final["stage"] == "evaluated" and final["progress"]["done"] == 2
    assert [s["state"] for s in final["stage_bar"]] == ["done", "done", "done", "done", "current"]
    assert sorted(e["score"] for e in final["evaluations"]) == [4, 5]

    points_award_task.delay()
    ranking = secretary.get(url("alliance-points-list", alliance_pk=tree.community_a1.pk))
    assert ranking.status_code == 200
    top = ranking.json()["results"][0]
    # +10 for the occurrence fulfilled on time, +4 for the initiating organisation's rating of 5.
    assert (top["rank"], top["unit"], top["total_points"]) == (1, tree.unit_a1.pk, 14)


# --- illegal moves ---------------------------------------------------------------------------

def _moves(tree):
    """Every move as (action, body) for the community's secretary."""
    return {
        "sign": ("agreement-sign", {}),
        "publish": ("agreement-publish", {}),
        "perform": ("agreement-perform", {}),
        "evaluate": ("agreement-evaluate", {}),
        "terminate": ("agreement-terminate", {"reason": "共建单位撤销"}),
        "cancel": ("agreement-cancel", {"reason": "不再签署"}),
        "amend": ("agreement-amend", {}),
        "rate": ("agreement-rate", {"score": 5}),
    }


ILLEGAL = {
    "draft": ("publish", "perform", "evaluate", "terminate", "amend", "rate"),
    "signed": ("sign", "perform", "evaluate", "rate", "cancel"),
    "published": ("sign", "publish", "evaluate", "rate", "cancel"),
    "performing": ("sign", "publish", "perform", "evaluate", "cancel"),
    "terminated": ("sign", "publish", "perform", "evaluate", "terminate", "cancel", "amend", "rate"),
}


@pytest.fixture
def agreement_published(tree, agreement_signed):
    from agreements.services import agreement_publish

    return agreement_publish(user=fresh(tree.community_secretary_a1), agreement=agreement_signed)


@pytest.mark.parametrize(("stage", "move"), [(s, m) for s, moves in ILLEGAL.items() for m in moves])
def test_every_illegal_move_answers_400_with_a_message_and_changes_nothing(tree, api, request, stage, move):
    if stage == "terminated":
        agreement = request.getfixturevalue("agreement_performing")
        agreement_terminate(user=fresh(tree.community_secretary_a1), agreement=agreement, reason="共建单位撤销")
    else:
        agreement = request.getfixturevalue(f"agreement_{stage}")
    name, body = _moves(tree)[move]
    party = agreement.parties.get(unit__isnull=True)
    if move in ("sign", "rate"):
        body = {**body, "party": party.pk}
    before = state()
    response = api(tree.community_secretary_a1).post(url(name, agreement.pk), body, format="json")
    assert response.status_code == 400, (stage, move, response.status_code, response.content)
    text = message(response)
    assert text and ("不能" in text or "没有办结" in text or "已经签署" in text), text
    assert state() == before


def test_a_legal_move_after_a_refused_one_still_works(tree, api, agreement_signed):
    secretary = api(tree.community_secretary_a1)
    assert secretary.post(url("agreement-perform", agreement_signed.pk), format="json").status_code == 400
    assert secretary.post(url("agreement-publish", agreement_signed.pk), format="json").status_code == 200
    assert secretary.post(url("agreement-perform", agreement_signed.pk), format="json").status_code == 200


def _edits(agreement, tree):
    clause = agreement.clauses.order_by("position").first()
    commitment = agreement.commitments.order_by("pk").first()
    unit_party = agreement.parties.get(unit=tree.unit_a1)
    return [
        ("patch", url("agreement-detail", agreement.pk), {"title": "改过的标题"}),
        ("post", url("agreement-clauses", agreement.pk), {"text": "新增条款"}),
        ("patch", url("agreement-clause", agreement.pk, clause_id=clause.pk), {"text": "改过的条款"}),
        ("delete", url("agreement-clause", agreement.pk, clause_id=clause.pk), None),
        ("post", url("agreement-commitments", agreement.pk),
         {"party": unit_party.pk, "title": "新增承诺", "due_on": agreement.term_end.isoformat()}),
        ("patch", url("agreement-commitment", agreement.pk, commitment_id=commitment.pk), {"title": "改过的承诺"}),
        ("delete", url("agreement-commitment", agreement.pk, commitment_id=commitment.pk), None),
        ("post", url("agreement-parties", agreement.pk), {"unit": tree.unit_a1_other.pk}),
        ("delete", url("agreement-party", agreement.pk, party_id=unit_party.pk), None),
    ]


@pytest.mark.parametrize("signatures", ["one", "all"])
def test_signed_content_cannot_be_edited(tree, api, agreement_draft, signatures):
    from agreements.services import agreement_sign

    if signatures == "one":
        agreement_sign(user=fresh(tree.liaison_a1), agreement=agreement_draft,
                       party=agreement_draft.parties.get(unit=tree.unit_a1))
    else:
        sign_all(tree, agreement_draft)
    agreement = Agreement.objects.get(pk=agreement_draft.pk)
    content_hash = agreement.content_hash
    secretary = api(tree.community_secretary_a1)
    before = state()
    for method, address, body in _edits(agreement, tree):
        response = getattr(secretary, method)(address, body, format="json")
        assert response.status_code == 400, (method, address, response.content)
        assert "锁定" in message(response) or "不能修改" in message(response), message(response)
    assert state() == before
    assert agreement_content_hash(Agreement.objects.get(pk=agreement.pk)) == content_hash


def test_an_unsigned_draft_takes_the_same_edits(tree, api, agreement_draft):
    secretary = api(tree.community_secretary_a1)
    codes = []
    for method, address, body in _edits(agreement_draft, tree)[:-1]:  # the unit party has commitments
        codes.append(getattr(secretary, method)(address, body, format="json").status_code)
    assert codes == [200, 201, 200, 204, 201, 200, 204, 201]


def test_a_bad_draft_is_refused_field_by_field(tree, api):
    response = api(tree.community_secretary_a1).post(url("agreement-list"), {
        "alliance": tree.community_a1.pk, "title": " ", "units": [tree.unit_a1.pk],
        "term_start": today().isoformat(), "term_end": (today() - dt.timedelta(days=1)).isoformat()},
        format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "term_end"}
    assert not Agreement.objects.exists()


# --- the lists: resources, needs, claims, projects -------------------------------------------

@pytest.fixture
def need(tree):
    secretary = fresh(tree.community_secretary_a1)
    need = need_create(user=secretary, alliance=tree.community_a1, title="老年食堂缺少助餐志愿者",
                       category="volunteers", priority="high")
    return need_publish(user=secretary, need=need)


def test_the_second_claim_answers_400_naming_the_winner(tree, api, need, liaison_a1b):
    won = api(tree.liaison_a1).post(url("need-claim", need.pk), {"note": "每周派两名员工。"}, format="json")
    assert won.status_code == 201, won.content
    assert won.json()["unit"] == tree.unit_a1.pk and won.json()["status"] == "pending"
    before = state()
    lost = api(liaison_a1b).post(url("need-claim", need.pk), {}, format="json")
    assert lost.status_code == 400
    assert "该需求已被“锦霞物业服务有限公司”认领" in message(lost)
    assert state() == before


def test_a_claim_is_confirmed_into_a_draft_agreement(tree, api, need, agreement_draft, liaison_a1b):
    claim = api(liaison_a1b).post(url("need-claim", need.pk), {}, format="json").json()
    secretary = api(tree.community_secretary_a1)
    past = secretary.post(url("claim-confirm", claim["id"]), {"due_on": "2000-01-01"}, format="json")
    assert past.status_code == 400 and "due_on" in past.json()["errors"]
    confirmed = secretary.post(url("claim-confirm", claim["id"]), {
        "due_on": (today() + dt.timedelta(days=30)).isoformat(), "agreement": agreement_draft.pk}, format="json")
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert body["status"] == "confirmed" and body["agreement"] == agreement_draft.pk and body["commitment"]
    parties = secretary.get(url("agreement-detail", agreement_draft.pk)).json()["parties"]
    assert tree.unit_a1_other.pk in [p["unit"] for p in parties]
    again = secretary.post(url("claim-confirm", claim["id"]), {"due_on": today().isoformat()}, format="json")
    assert again.status_code == 400 and "已确认" in message(again)


def test_a_claim_is_withdrawn_or_declined_and_the_need_reopens(tree, api, need, liaison_a1b):
    liaison = api(tree.liaison_a1)
    claim = liaison.post(url("need-claim", need.pk), {}, format="json").json()
    assert api(liaison_a1b).post(url("claim-withdraw", claim["id"]), format="json").status_code == 404
    assert liaison.post(url("claim-withdraw", claim["id"]), format="json").json()["status"] == "withdrawn"
    assert Need.objects.get(pk=need.pk).status == NeedStatus.PUBLISHED
    claim = liaison.post(url("need-claim", need.pk), {}, format="json").json()
    secretary = api(tree.community_secretary_a1)
    no_reason = secretary.post(url("claim-decline", claim["id"]), {}, format="json")
    assert no_reason.status_code == 400 and "理由" in message(no_reason)
    declined = secretary.post(url("claim-decline", claim["id"]), {"reason": "已由其他单位承担"}, format="json")
    assert declined.json()["status"] == "declined" and declined.json()["declined_reason"] == "已由其他单位承担"
    assert Need.objects.get(pk=need.pk).status == NeedStatus.PUBLISHED
    rows = liaison.get(url("claim-list"), {"status": "declined"}).json()["results"]
    assert [r["id"] for r in rows] == [claim["id"]]


def test_needs_resources_and_matches(tree, api):
    secretary, liaison = api(tree.community_secretary_a1), api(tree.liaison_a1)
    offered = liaison.post(url("resource-list"), {
        "alliance": tree.community_a1.pk, "unit": tree.unit_a1.pk, "title": "物业志愿服务队",
        "category": "volunteers", "quantity": "每月第二个周六上午"}, format="json")
    assert offered.status_code == 201, offered.content
    street = secretary.post(url("resource-list"), {
        "alliance": tree.community_a1.pk, "unit": tree.unit_a1_other.pk, "title": "学校操场",
        "category": "venue"}, format="json")
    assert street.status_code == 201
    other = liaison.post(url("resource-list"), {
        "alliance": tree.community_a1.pk, "unit": tree.unit_a1_other.pk, "title": "别家的资源",
        "category": "venue"}, format="json")
    assert other.status_code == 404  # the liaison does not see the other unit at all
    changed = liaison.patch(url("resource-detail", offered.json()["id"]), {"available": False}, format="json")
    assert changed.status_code == 200 and changed.json()["available"] is False
    assert liaison.patch(url("resource-detail", offered.json()["id"]), {"available": True},
                         format="json").json()["available"] is True
    assert [r["id"] for r in liaison.get(url("resource-list")).json()["results"]] == [offered.json()["id"]]

    created = secretary.post(url("need-list"), {"alliance": tree.community_a1.pk, "title": "楼道清洁志愿者",
                                                "category": "volunteers", "source": "grid"}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    need = created.json()["id"]
    # A draft is not for the units yet.
    assert liaison.get(url("need-detail", need)).status_code == 404
    bad = secretary.patch(url("need-detail", need), {"title": ""}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"] == {"title": ["请填写需求。"]}
    assert secretary.post(url("need-publish", need), format="json").json()["status"] == "published"
    assert liaison.get(url("need-detail", need)).status_code == 200
    again = secretary.post(url("need-publish", need), format="json")
    assert again.status_code == 400 and "不能发布" in message(again)
    matches = secretary.get(url("need-matches", need)).json()
    assert [m["id"] for m in matches] == [offered.json()["id"]]
    assert [n["id"] for n in secretary.get(url("need-list"), {"status": "published"}).json()["results"]] == [need]
    closed = secretary.post(url("need-close", need), {"reason": "已由社区志愿者承担"}, format="json")
    assert closed.json()["status"] == "closed" and closed.json()["closed_reason"] == "已由社区志愿者承担"
    late = liaison.post(url("need-claim", need), {}, format="json")
    assert late.status_code == 404  # closed needs are no longer shown to units


def test_projects_with_milestones(tree, api, need):
    secretary, liaison = api(tree.community_secretary_a1), api(tree.liaison_a1)
    resource = resource_create(user=fresh(tree.liaison_a1), alliance=tree.community_a1, unit=tree.unit_a1,
                               title="物业志愿服务队", category="volunteers")
    created = secretary.post(url("project-list"), {
        "alliance": tree.community_a1.pk, "title": "老年助餐共建项目", "lead_unit": tree.unit_a1.pk,
        "budget": "50000.00", "starts_on": today().isoformat(), "needs": [need.pk], "resources": [resource.pk]},
        format="json")
    assert created.status_code == 201, created.content
    project = created.json()
    assert (project["needs"], project["resources"], project["milestones"]) == ([need.pk], [resource.pk], [])
    added = secretary.post(url("project-milestones", project["id"]), {
        "title": "助餐点启用", "due_on": (today() + dt.timedelta(days=14)).isoformat()}, format="json")
    assert added.status_code == 201 and added.json()["done"] is False
    milestone = added.json()["id"]
    # The lead unit's liaison marks it done; a date in the future is refused.
    future = liaison.post(url("project-milestone-done", project["id"], milestone_id=milestone),
                          {"done_on": (today() + dt.timedelta(days=1)).isoformat()}, format="json")
    assert future.status_code == 400 and "done_on" in future.json()["errors"]
    done = liaison.post(url("project-milestone-done", project["id"], milestone_id=milestone), {}, format="json")
    assert done.status_code == 200 and done.json()["done_on"] == today().isoformat()
    twice = liaison.post(url("project-milestone-done", project["id"], milestone_id=milestone), {}, format="json")
    assert twice.status_code == 400
    assert liaison.patch(url("project-detail", project["id"]), {"title": "x"}, format="json").status_code == 403
    moved = secretary.patch(url("project-detail", project["id"]), {"status": "done"}, format="json")
    assert moved.status_code == 400 and "status" in moved.json()["errors"]
    ongoing = secretary.patch(url("project-detail", project["id"]), {"status": "ongoing"}, format="json")
    assert ongoing.json()["status"] == "ongoing" and ongoing.json()["milestones"][0]["done"] is True
    assert [p["id"] for p in liaison.get(url("project-list")).json()["results"]] == [project["id"]]


def test_a_liaison_may_not_act_for_the_initiating_organisation(tree, api, agreement_signed):
    liaison = api(tree.liaison_a1)
    before = state()
    published = liaison.post(url("agreement-publish", agreement_signed.pk), format="json")
    assert published.status_code == 403 and published.json()["message"]
    rated = liaison.post(url("agreement-rate", agreement_signed.pk),
                         {"party": agreement_signed.parties.get(unit__isnull=True).pk, "score": 1}, format="json")
    assert rated.status_code == 403
    assert state() == before


# --- neighbours and unrelated units: 404 everywhere -------------------------------------------

@pytest.fixture
def world(tree, agreement_performing, need):
    """One object of each kind in community A1."""
    secretary = fresh(tree.community_secretary_a1)
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    draft_need = need_create(user=secretary, alliance=tree.community_a1, title="草稿需求", category="funds")
    resource = resource_create(user=secretary, alliance=tree.community_a1, unit=tree.unit_a1, title="会议室",
                               category="venue")
    project = project_create(user=secretary, alliance=tree.community_a1, title="共建项目", lead_unit=tree.unit_a1)
    milestone = milestone_add(user=secretary, project=project, title="启动", due_on=today())
    commitment = agreement_performing.commitments.filter(party__unit=tree.unit_a1).order_by("pk").first()
    evidence = evidence_report(user=fresh(tree.liaison_a1), commitment=commitment, text="已完成",
                               file=SimpleUploadedFile("照片.png", b"png", content_type="image/png"))
    return {"agreement": agreement_performing, "need": need, "claim": claim, "draft_need": draft_need,
            "resource": resource, "project": project, "milestone": milestone, "commitment": commitment,
            "evidence": evidence}


def _probes(tree, w, *, liaison: bool):
    a, c = w["agreement"], w["commitment"]
    clause, party = a.clauses.first(), a.parties.get(unit=tree.unit_a1)
    probes = [
        ("get", url("agreement-detail", a.pk), None),
        ("patch", url("agreement-detail", a.pk), {"title": "x"}),
        ("post", url("agreement-parties", a.pk), {"unit": tree.unit_a1_other.pk}),
        ("delete", url("agreement-party", a.pk, party_id=party.pk), None),
        ("post", url("agreement-clauses", a.pk), {"text": "x"}),
        ("patch", url("agreement-clause", a.pk, clause_id=clause.pk), {"text": "x"}),
        ("delete", url("agreement-clause", a.pk, clause_id=clause.pk), None),
        ("post", url("agreement-commitments", a.pk), {"party": party.pk, "title": "x", "due_on": a.term_start}),
        ("patch", url("agreement-commitment", a.pk, commitment_id=c.pk), {"title": "x"}),
        ("delete", url("agreement-commitment", a.pk, commitment_id=c.pk), None),
        *(("post", url(f"agreement-{move}", a.pk), {"party": party.pk, "score": 5, "reason": "x"})
          for move in ("sign", "publish", "perform", "evaluate", "terminate", "amend", "rate")),
        ("get", url("commitment-detail", c.pk), None),
        ("post", url("commitment-report", c.pk), {"text": "x"}),
        ("get", url("commitment-evidence-file", c.pk, evidence_id=w["evidence"].pk), None),
        ("get", url("resource-detail", w["resource"].pk), None),
        ("patch", url("resource-detail", w["resource"].pk), {"title": "x"}),
        ("get", url("need-detail", w["draft_need"].pk), None),
        ("patch", url("need-detail", w["draft_need"].pk), {"title": "x"}),
        *(("post", url(f"need-{move}", w["draft_need"].pk), {"unit": tree.unit_a1_other.pk})
          for move in ("publish", "close", "claim")),
        ("get", url("need-matches", w["draft_need"].pk), None),
        ("get", url("claim-detail", w["claim"].pk), None),
        *(("post", url(f"claim-{move}", w["claim"].pk), {"due_on": today().isoformat(), "reason": "x"})
          for move in ("confirm", "decline", "withdraw")),
        ("get", url("project-detail", w["project"].pk), None),
        ("patch", url("project-detail", w["project"].pk), {"title": "x"}),
        ("post", url("project-milestones", w["project"].pk), {"title": "x", "due_on": today().isoformat()}),
        ("post", url("project-milestone-done", w["project"].pk, milestone_id=w["milestone"].pk), {}),
    ]
    if not liaison:
        # A unit of the community sees its published needs (to claim them) and the community's ranking.
        probes += [
            ("get", url("need-detail", w["need"].pk), None),
            ("get", url("need-matches", w["need"].pk), None),
            ("post", url("need-claim", w["need"].pk), {"unit": tree.unit_a1_other.pk}),
            ("get", url("alliance-points-list", alliance_pk=tree.community_a1.pk), None),
        ]
    return probes


def _hidden(tree, w, *, liaison: bool):
    hidden = {
        "agreement-list": [w["agreement"].pk],
        "commitment-list": list(w["agreement"].commitments.values_list("pk", flat=True)),
        "resource-list": [w["resource"].pk],
        "need-list": [w["draft_need"].pk] + ([] if liaison else [w["need"].pk]),
        "claim-list": [w["claim"].pk],
        "project-list": [w["project"].pk],
    }
    return hidden


OUTSIDERS = ("community_secretary_a2", "secretary_b", "other_tenant_admin", "liaison_a1b")


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_on_every_detail_and_action(tree, api, world, liaison_a1b, who):
    user = liaison_a1b if who == "liaison_a1b" else getattr(tree, who)
    client = api(user)
    liaison = who == "liaison_a1b"
    before = state()
    for method, address, body in _probes(tree, world, liaison=liaison):
        response = getattr(client, method)(address, body, format="json") if body is not None \
            else getattr(client, method)(address)
        assert response.status_code == 404, (who, method, address, response.status_code, response.content[:200])
    assert state() == before
    for name, ids in _hidden(tree, world, liaison=liaison).items():
        rows = client.get(url(name)).json()["results"]
        assert not {r["id"] for r in rows} & set(ids), (who, name)


def test_outsiders_cannot_name_objects_of_community_a1_in_their_own_writes(tree, api, world):
    """A neighbour's own agreement or need cannot take in a unit, need or agreement of A1."""
    neighbour = api(tree.community_secretary_a2)
    before = state()
    created = neighbour.post(url("agreement-list"), {
        "alliance": tree.community_a2.pk, "title": "翠园社区共建协议", "units": [tree.unit_a1.pk],
        "term_start": today().isoformat(), "term_end": today().isoformat()}, format="json")
    assert created.status_code == 404
    project = neighbour.post(url("project-list"), {
        "alliance": tree.community_a2.pk, "title": "x", "lead_unit": tree.unit_a2.pk,
        "needs": [world["need"].pk]}, format="json")
    assert project.status_code == 404
    resource = neighbour.post(url("resource-list"), {"alliance": tree.community_a1.pk, "unit": tree.unit_a2.pk,
                                                     "title": "x", "category": "venue"}, format="json")
    assert resource.status_code == 404
    assert state() == before


def test_lists_filter_by_agreement_unit_and_stage(tree, api, agreement_performing):
    agreement_draft = factories.agreement(tree.community_a1, by=fresh(tree.community_secretary_a1),
                                          units=[tree.unit_a1], commitments=draft_commitments(tree))
    secretary = api(tree.community_secretary_a1)
    rows = secretary.get(url("agreement-list"), {"stage": "performing"}).json()["results"]
    assert [r["id"] for r in rows] == [agreement_performing.pk]
    rows = secretary.get(url("agreement-list"), {"unit": tree.unit_a1.pk}).json()["results"]
    assert sorted(r["id"] for r in rows) == sorted([agreement_performing.pk, agreement_draft.pk])
    assert secretary.get(url("agreement-list"), {"unit": tree.unit_a1_other.pk}).json()["results"] == []
    rows = secretary.get(url("commitment-list"), {"agreement": agreement_draft.pk,
                                                  "unit": tree.unit_a1.pk}).json()["results"]
    assert len(rows) == 2 and {r["unit"] for r in rows} == {tree.unit_a1.pk}
    # An observer reads, a liaison sees its unit's agreements.
    assert len(api(tree.observer).get(url("agreement-list")).json()["results"]) == 2
    assert len(api(tree.liaison_a1).get(url("agreement-list")).json()["results"]) == 2


# --- the demo --------------------------------------------------------------------------------

def test_the_demo_has_agreements_at_every_stage_and_the_lists_in_every_state(db, api):
    from django.core.management import call_command

    from members.models import User

    call_command("seed_demo", items=0, stdout=io.StringIO())
    secretary, liaison = api(User.objects.get(username="shequ")), api(User.objects.get(username="lianluo"))
    rows = secretary.get(url("agreement-list")).json()["results"]
    assert {r["stage"] for r in rows} == {s.value for s in Stage}
    assert all(r["alliance_name"] == "锦霞社区党建共同体" for r in rows)
    by_stage = {r["stage"]: r for r in rows}
    partly = [r for r in rows if r["stage"] == "draft" and r["content_hash"]]
    assert partly, "a draft signed by some of its parties"
    first_versions = [r for r in rows if r["stage"] == "performing" and r["previous"] is None]
    performing = secretary.get(url("agreement-detail", first_versions[0]["id"])).json()
    assert performing["progress"]["done"] and performing["progress"]["overdue"]
    evaluated = secretary.get(url("agreement-detail", by_stage["evaluated"]["id"])).json()
    assert {e["rater_kind"] for e in evaluated["evaluations"]} == {"party", "resident"}
    terminated = by_stage["terminated"]
    assert terminated["termination_reason"]
    superseded = secretary.get(url("agreement-detail", by_stage["superseded"]["id"])).json()
    assert superseded["amendment"] is not None
    # The liaison sees its own unit's agreements only, and the items they owe.
    own = liaison.get(url("agreement-list")).json()["results"]
    assert own and len(own) < len(rows)
    assert liaison.get(url("commitment-list"), {"unit": performing["parties"][1]["unit"]}).json()["results"]

    needs = secretary.get(url("need-list"), {"page_size": 200}).json()["results"]
    assert {n["status"] for n in needs} == {s.value for s in NeedStatus}
    claims = secretary.get(url("claim-list")).json()["results"]
    assert {c["status"] for c in claims} == {"pending", "confirmed", "declined", "withdrawn"}
    resources = secretary.get(url("resource-list"), {"page_size": 200}).json()["results"]
    assert {r["category"] for r in resources} == {"venue", "funds", "medical", "volunteers", "training", "legal",
                                                  "other"}
    assert len({r["unit"] for r in resources}) >= 5
    projects = secretary.get(url("project-list")).json()["results"]
    assert len(projects) == 2
    detail = secretary.get(url("project-detail", projects[0]["id"])).json()
    assert detail["milestones"]
    ranking = secretary.get(url("alliance-points-list", alliance_pk=rows[0]["alliance"])).json()["results"]
    assert len(ranking) >= 3 and ranking[0]["total_points"] >= ranking[-1]["total_points"] > 0
