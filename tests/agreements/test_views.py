"""The agreement pages, through the test client as the real users: the list, a new draft, the
agreement with its stage bar, and every move posted from its page (agreement-action)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    Agreement,
    Clause,
    Commitment,
    CommitmentItem,
    Evaluation,
    Evidence,
    Party,
    Stage,
)
from agreements.services import agreement_amend, evidence_report
from tasks.models import Status
from tasks.services import item_confirm, item_rate, item_resolve, item_start

from .. import factories
from ..conftest import fresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Evidence files go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path


def detail_url(agreement) -> str:
    return reverse("agreement-detail", kwargs={"pk": agreement.pk})


def action_url(agreement, action: str) -> str:
    return reverse("agreement-action", kwargs={"pk": agreement.pk, "action": action})


def as_user(client, user):
    client.force_login(fresh(user))
    return client


def post(client, agreement, action: str, data=None):
    """Post a move from the agreement page and follow the redirect back to it."""
    response = client.post(action_url(agreement, action), data or {}, follow=True)
    assert response.status_code == 200, response.content[:300]
    return response


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def snapshot(agreement) -> tuple:
    """What a refused move must leave as it was."""
    a = Agreement.objects.get(pk=agreement.pk)
    return (
        a.stage, a.title, a.preamble, a.term_start, a.term_end, a.content_hash, a.signed_at, a.published_at,
        list(Party.objects.filter(agreement=a).order_by("pk").values_list("pk", "unit_id", "signed_at")),
        list(Clause.objects.filter(agreement=a).order_by("pk").values_list("pk", "position", "text")),
        list(Commitment.objects.filter(agreement=a).order_by("pk").values_list(
            "pk", "party_id", "title", "recurrence", "due_on", "day_of_month")),
        CommitmentItem.objects.filter(commitment__agreement=a).count(),
        Evidence.objects.filter(commitment__agreement=a).count(),
        Evaluation.objects.filter(agreement=a).count(),
        Agreement.objects.filter(previous=a).count(),
    )


def close_occurrences(tree, agreement):
    """Carry out every generated occurrence through the item flow (start, resolve, confirm, rate)."""
    sec = tree.community_secretary_a1
    for occurrence in CommitmentItem.objects.filter(commitment__agreement=agreement).select_related("item"):
        item = occurrence.item
        item_start(user=fresh(sec), item=item)
        item_resolve(user=fresh(sec), item=item, note="已按协议完成")
        item_confirm(user=fresh(sec), item=item, solved=True)
        item_rate(user=fresh(sec), item=item, score=5)


# --- the whole cycle, clicked through ------------------------------------------------------

def test_the_whole_cycle_from_draft_to_evaluated_through_the_pages(tree, client):
    today = timezone.localdate()
    sec, liaison = tree.community_secretary_a1, tree.liaison_a1

    # The alliance page links to the agreements; the list offers a new draft to the secretary.
    as_user(client, sec)
    alliance_page = client.get(reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert reverse("agreement-list", kwargs={"pk": tree.community_a1.pk}) in alliance_page
    listing = client.get(reverse("agreement-list", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert "新建协议" in listing and "还没有共建协议" in listing

    # 谈约: the form lists the community's member units as checkboxes.
    form_page = client.get(reverse("agreement-create", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert tree.unit_a1.name in form_page and tree.unit_a1_other.name in form_page
    assert 'type="checkbox"' in form_page
    response = client.post(reverse("agreement-create", kwargs={"pk": tree.community_a1.pk}), {
        "title": "锦霞社区物业共建协议", "term_start": (today - dt.timedelta(days=60)).isoformat(),
        "term_end": today.isoformat(), "preamble": "为共同提升小区治理水平,订立本协议。", "units": [tree.unit_a1.pk],
    })
    agreement = Agreement.objects.get(title="锦霞社区物业共建协议")
    assert response.status_code == 302 and response.url == detail_url(agreement)
    assert agreement.stage == Stage.DRAFT
    initiator = agreement.parties.get(unit__isnull=True)
    unit_party = agreement.parties.get(unit=tree.unit_a1)

    # Clauses: add two (the second inserted first), edit one, delete one.
    post(client, agreement, "clause-add", {"text": "双方定期沟通共建事项。"})
    post(client, agreement, "clause-add", {"text": "双方本着资源共享的原则开展共建。", "position": 1})
    assert list(agreement.clauses.order_by("position").values_list("text", flat=True)) == [
        "双方本着资源共享的原则开展共建。", "双方定期沟通共建事项。"]
    first, second = agreement.clauses.order_by("position")
    page = post(client, agreement, "clause-update", {"clause": second.pk, "text": "双方每季度沟通一次共建事项。"})
    assert "已修改条款。" in page_messages(page)
    extra = post(client, agreement, "clause-add", {"text": "多余的条款"})
    assert "多余的条款" in extra.content.decode()
    post(client, agreement, "clause-delete", {"clause": agreement.clauses.get(text="多余的条款").pk})
    assert list(agreement.clauses.order_by("position").values_list("text", flat=True)) == [
        "双方本着资源共享的原则开展共建。", "双方每季度沟通一次共建事项。"]

    # A party: add the school, then remove it again.
    post(client, agreement, "party-add", {"unit": tree.unit_a1_other.pk})
    school = agreement.parties.get(unit=tree.unit_a1_other)
    post(client, agreement, "party-remove", {"party": school.pk})
    assert not agreement.parties.filter(unit=tree.unit_a1_other).exists()

    # Commitments: the secretary writes the community's; the unit's liaison writes its own.
    page = post(client, agreement, "commitment-add", {
        "party": initiator.pk, "title": "提供党群服务中心活动场地", "category": "venue", "recurrence": "once",
        "due_on": today.isoformat(),
    })
    assert "已添加承诺事项。" in page_messages(page)
    as_user(client, liaison)
    page = post(client, agreement, "commitment-add", {
        "party": unit_party.pk, "title": "更换单元门禁", "category": "other", "recurrence": "monthly",
        "day_of_month": "",
    })
    assert "周期性承诺请填写每期的日期(1至28日)。" in page_messages(page)
    post(client, agreement, "commitment-add", {
        "party": unit_party.pk, "title": "更换单元门禁", "category": "other", "recurrence": "once",
        "due_on": today.isoformat(), "description": "老旧小区三个单元",
    })
    gate = agreement.commitments.get(title="更换单元门禁")
    post(client, agreement, "commitment-update", {
        "commitment": gate.pk, "party": unit_party.pk, "title": "更换单元门禁系统", "category": "other",
        "recurrence": "once", "due_on": today.isoformat(), "description": "老旧小区三个单元",
    })
    assert agreement.commitments.filter(title="更换单元门禁系统", party=unit_party).exists()

    # 签约: each party through its entitled account. The liaison sees only its own sign button.
    page = client.get(detail_url(agreement)).content.decode()
    assert f'data-testid="sign-{unit_party.pk}"' in page and f'data-testid="sign-{initiator.pk}"' not in page
    as_user(client, sec)
    page = client.get(detail_url(agreement)).content.decode()
    assert f'data-testid="sign-{initiator.pk}"' in page and f'data-testid="sign-{unit_party.pk}"' not in page
    page = post(client, agreement, "sign", {"party": initiator.pk})
    agreement.refresh_from_db()
    assert agreement.stage == Stage.DRAFT and len(agreement.content_hash) == 64
    text = page.content.decode()
    assert agreement.content_hash in text and 'data-testid="locked-note"' in text
    assert "clause-update" not in text and "commitment-add" not in text  # frozen: no more edit forms
    as_user(client, liaison)
    post(client, agreement, "sign", {"party": unit_party.pk})
    agreement.refresh_from_db()
    assert agreement.stage == Stage.SIGNED and agreement.signed_at is not None

    # 亮约: the public page and its QR code appear on the agreement page.
    as_user(client, sec)
    page = post(client, agreement, "publish").content.decode()
    agreement.refresh_from_db()
    assert agreement.stage == Stage.PUBLISHED
    public_url = reverse("public-agreement", kwargs={"token": agreement.public_token})
    assert public_url in page and 'data-testid="public-qr"' in page and "<svg" in page
    assert client.get(public_url).status_code == 200

    # 履约: the occurrences become items, linked from the page.
    page = post(client, agreement, "perform").content.decode()
    agreement.refresh_from_db()
    assert agreement.stage == Stage.PERFORMING
    occurrences = list(CommitmentItem.objects.filter(commitment__agreement=agreement).select_related("item"))
    assert len(occurrences) == 2
    for occurrence in occurrences:
        assert reverse("item-detail", kwargs={"pk": occurrence.item_id}) in page
        assert occurrence.item.reference in page

    # The unit's liaison reports with a file; the file is served through the agreement's scope.
    as_user(client, liaison)
    gate_occurrence = CommitmentItem.objects.get(commitment__title="更换单元门禁系统")
    upload = SimpleUploadedFile("门禁验收单.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    page = post(client, agreement, "report", {
        "commitment": gate.pk, "occurrence": gate_occurrence.pk, "text": "三个单元门禁已更换完毕。", "file": upload,
    })
    assert "已报告履约情况。" in page_messages(page)
    evidence = Evidence.objects.get(commitment=gate)
    assert evidence.occurrence_id == gate_occurrence.pk and evidence.reported_by_id == liaison.pk
    text = page.content.decode()
    assert "三个单元门禁已更换完毕。" in text and "门禁验收单.pdf" in text
    file_url = reverse("agreement-evidence", kwargs={"pk": agreement.pk, "evidence_pk": evidence.pk})
    download = client.get(file_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 evidence"

    # 评约 is refused while occurrences are open: the service's message, nothing changed.
    as_user(client, sec)
    before = snapshot(agreement)
    page = post(client, agreement, "evaluate")
    assert any("还有2期承诺事项没有办结,暂不能评约" in m for m in page_messages(page))
    assert snapshot(agreement) == before

    # Each party rates through its entitled account.
    page = post(client, agreement, "rate", {"party": initiator.pk, "score": "4", "comment": "物业配合积极。"})
    assert "已提交评价。" in page_messages(page)
    as_user(client, liaison)
    page = client.get(detail_url(agreement)).content.decode()
    assert 'data-testid="rating-form"' in page
    post(client, agreement, "rate", {"party": unit_party.pk, "score": "5", "comment": "社区支持到位。"})
    assert set(Evaluation.objects.filter(agreement=agreement).values_list("party_id", "score")) == {
        (initiator.pk, 4), (unit_party.pk, 5)}

    close_occurrences(tree, agreement)
    as_user(client, sec)
    page = post(client, agreement, "evaluate")
    agreement.refresh_from_db()
    assert agreement.stage == Stage.EVALUATED and "已评约。" in page_messages(page)
    text = page.content.decode()
    assert "物业配合积极。" in text and "社区支持到位。" in text
    bar = page.context["stages"]
    assert [s["state"] for s in bar] == ["done", "done", "done", "done", "current"]

    # The list shows it with its stage and progress.
    listing = client.get(reverse("agreement-list", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert "锦霞社区物业共建协议" in listing and "stage-evaluated" in listing and "已完成 2 / 2 期" in listing


# --- refused moves, frozen content ---------------------------------------------------------

def test_a_refused_move_shows_the_service_message_and_changes_nothing(tree, client, agreement_draft):
    as_user(client, tree.community_secretary_a1)
    before = snapshot(agreement_draft)
    page = post(client, agreement_draft, "publish")
    assert "协议当前处于“谈约”阶段,不能亮约。" in page_messages(page)
    page = post(client, agreement_draft, "perform")
    assert "协议当前处于“谈约”阶段,不能开始履约。" in page_messages(page)
    page = post(client, agreement_draft, "terminate", {"reason": "试试"})
    assert "协议当前处于“谈约”阶段,不能终止。" in page_messages(page)
    page = post(client, agreement_draft, "commitment-add", {
        "party": agreement_draft.parties.get(unit__isnull=True).pk, "title": "", "recurrence": "once",
        "category": "other", "due_on": "2000-01-01"})
    assert {"请填写承诺事项。"} <= set(page_messages(page))
    assert any(m.startswith("完成日期应在履约期") for m in page_messages(page))
    page = post(client, agreement_draft, "update", {"title": "", "term_start": "2026-13-01", "term_end": ""})
    assert {"请填写协议名称。", "请填写有效的日期(如 2026-05-15)。", "请填写履约期的结束日期。"} <= set(page_messages(page))
    assert snapshot(agreement_draft) == before
    # An unknown move, or a clause of another agreement, is not found.
    assert client.post(action_url(agreement_draft, "explode")).status_code == 404
    other = factories.agreement(tree.community_a1, by=fresh(tree.community_secretary_a1), units=[tree.unit_a1],
                                title="另一份协议")
    stray = client.post(action_url(agreement_draft, "clause-delete"), {"clause": other.clauses.first().pk})
    assert stray.status_code == 404
    assert snapshot(agreement_draft) == before
    assert other.clauses.count() == 2


def test_signed_content_cannot_be_edited_through_the_page(tree, client, agreement_signed):
    as_user(client, tree.community_secretary_a1)
    page = client.get(detail_url(agreement_signed)).content.decode()
    for action in ("clause-update", "clause-add", "clause-delete", "commitment-add", "commitment-update",
                   "commitment-delete", "party-add", "party-remove", "update", "sign"):
        assert action_url(agreement_signed, action) not in page, action
    assert agreement_signed.content_hash in page
    before = snapshot(agreement_signed)
    clause = agreement_signed.clauses.first()
    commitment = agreement_signed.commitments.first()
    attempts = {
        "clause-update": {"clause": clause.pk, "text": "改过的条款"},
        "clause-add": {"text": "新增条款"},
        "clause-delete": {"clause": clause.pk},
        "commitment-update": {"commitment": commitment.pk, "party": commitment.party_id, "title": "改过的承诺",
                              "category": "other", "recurrence": "monthly", "day_of_month": "1"},
        "commitment-delete": {"commitment": commitment.pk},
        "update": {"title": "改名", "term_start": agreement_signed.term_start.isoformat(),
                   "term_end": agreement_signed.term_end.isoformat(), "preamble": ""},
        "party-add": {"unit": tree.unit_a1_other.pk},
    }
    for action, data in attempts.items():
        messages = page_messages(post(client, agreement_signed, action, data))
        assert "协议已有签署方签署,内容已锁定;如需修改请发起修订。" in messages or any(
            "不能修改协议内容" in m for m in messages), (action, messages)
    assert snapshot(agreement_signed) == before


def test_the_first_signature_freezes_the_draft_for_the_other_parties_too(tree, client, agreement_draft):
    initiator = agreement_draft.parties.get(unit__isnull=True)
    as_user(client, tree.community_secretary_a1)
    post(client, agreement_draft, "sign", {"party": initiator.pk})
    as_user(client, tree.liaison_a1)
    before = snapshot(agreement_draft)
    own = agreement_draft.commitments.filter(party__unit=tree.unit_a1).first()
    page = post(client, agreement_draft, "commitment-delete", {"commitment": own.pk})
    assert "协议已有签署方签署,内容已锁定;如需修改请发起修订。" in page_messages(page)
    assert snapshot(agreement_draft) == before
    # Signing twice for the same party is refused with the service's words.
    as_user(client, tree.community_secretary_a1)
    page = post(client, agreement_draft, "sign", {"party": initiator.pk})
    assert any("已经签署,不能重复签署" in m for m in page_messages(page))


# --- who may do what -----------------------------------------------------------------------

def test_a_liaison_sees_its_own_agreement_and_404_on_another_units(tree, client, agreement_draft, liaison_a1b):
    list_url = reverse("agreement-list", kwargs={"pk": tree.community_a1.pk})
    as_user(client, tree.liaison_a1)
    assert agreement_draft.title in client.get(list_url).content.decode()
    page = client.get(detail_url(agreement_draft))
    assert page.status_code == 200
    text = page.content.decode()
    # A liaison writes its own unit's promises; moves of the initiating organisation are not offered.
    assert "commitment-add" in text and "新建协议" not in client.get(list_url).content.decode()
    assert 'data-testid="agreement-moves"' not in text and "party-add" not in text

    as_user(client, liaison_a1b)
    listing = client.get(list_url)
    assert listing.status_code == 200 and agreement_draft.title not in listing.content.decode()
    before = snapshot(agreement_draft)
    assert client.get(detail_url(agreement_draft)).status_code == 404
    assert client.get(reverse("agreement-pdf", kwargs={"pk": agreement_draft.pk})).status_code == 404
    for action, data in (("sign", {"party": agreement_draft.parties.first().pk}), ("clause-add", {"text": "越界"}),
                         ("commitment-delete", {"commitment": agreement_draft.commitments.first().pk})):
        assert client.post(action_url(agreement_draft, action), data).status_code == 404
    assert snapshot(agreement_draft) == before
    # Nor may it start a draft for the community.
    assert client.get(reverse("agreement-create", kwargs={"pk": tree.community_a1.pk})).status_code == 403


def test_those_who_see_but_may_not_act_get_403(tree, client, agreement_signed):
    before = snapshot(agreement_signed)
    as_user(client, tree.liaison_a1)
    assert client.post(action_url(agreement_signed, "publish")).status_code == 403
    as_user(client, tree.observer)
    page = client.get(detail_url(agreement_signed))
    assert page.status_code == 200
    assert 'data-testid="agreement-moves"' not in page.content.decode()
    assert client.post(action_url(agreement_signed, "publish")).status_code == 403
    assert client.post(action_url(agreement_signed, "amend")).status_code == 403
    assert client.get(reverse("agreement-create", kwargs={"pk": tree.community_a1.pk})).status_code == 403
    assert snapshot(agreement_signed) == before


NEIGHBOURS = ("community_secretary_a2", "secretary_b", "other_tenant_admin")


@pytest.mark.parametrize("neighbour", NEIGHBOURS)
def test_neighbours_get_404_on_every_page_and_post(tree, client, agreement_performing, neighbour):
    agreement = agreement_performing
    commitment = agreement.commitments.filter(party__unit=tree.unit_a1).first()
    evidence = evidence_report(user=fresh(tree.liaison_a1), commitment=commitment, text="已完成",
                               file=SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf"))
    party = agreement.parties.first()
    clause = agreement.clauses.first()
    before = snapshot(agreement)
    as_user(client, getattr(tree, neighbour))
    for url in (reverse("agreement-list", kwargs={"pk": tree.community_a1.pk}),
                reverse("agreement-create", kwargs={"pk": tree.community_a1.pk}),
                detail_url(agreement),
                reverse("agreement-evidence", kwargs={"pk": agreement.pk, "evidence_pk": evidence.pk})):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("agreement-create", kwargs={"pk": tree.community_a1.pk}),
                       {"title": "越界", "term_start": "2026-01-01", "term_end": "2026-12-31"}).status_code == 404
    payloads = {
        "update": {"title": "越界"}, "party-add": {"unit": tree.unit_a1_other.pk}, "party-remove": {"party": party.pk},
        "clause-add": {"text": "越界"}, "clause-update": {"clause": clause.pk, "text": "越界"},
        "clause-delete": {"clause": clause.pk}, "commitment-add": {"party": party.pk, "title": "越界"},
        "commitment-update": {"commitment": commitment.pk, "title": "越界"},
        "commitment-delete": {"commitment": commitment.pk}, "sign": {"party": party.pk}, "publish": {},
        "perform": {}, "evaluate": {}, "terminate": {"reason": "越界"}, "cancel": {"reason": "越界"}, "amend": {},
        "report": {"commitment": commitment.pk, "text": "越界"}, "rate": {"party": party.pk, "score": "1"},
    }
    from agreements.views import AGREEMENT_ACTIONS

    assert set(payloads) == set(AGREEMENT_ACTIONS)
    for action, data in payloads.items():
        assert client.post(action_url(agreement, action), data).status_code == 404, action
    assert snapshot(agreement) == before
    assert not Agreement.objects.filter(title="越界").exists()


# --- the other moves on the page -----------------------------------------------------------

def test_terminate_asks_for_a_reason_and_shows_it(tree, client, agreement_performing):
    as_user(client, tree.community_secretary_a1)
    before = snapshot(agreement_performing)
    page = post(client, agreement_performing, "terminate", {"reason": "  "})
    assert "请填写终止理由。" in page_messages(page)
    assert snapshot(agreement_performing) == before
    page = post(client, agreement_performing, "terminate", {"reason": "物业公司退出小区"})
    agreement_performing.refresh_from_db()
    assert agreement_performing.stage == Stage.TERMINATED
    text = page.content.decode()
    assert 'data-testid="stage-note"' in text and "物业公司退出小区" in text and "stage-bar stopped" in text
    # No move is offered on a terminated agreement, and the open occurrences were rejected.
    assert 'data-testid="agreement-moves"' not in text and 'data-testid="terminate"' not in text
    assert not CommitmentItem.objects.filter(commitment__agreement=agreement_performing,
                                             item__status=Status.NEW).exists()


def test_amending_shows_the_chain_both_ways(tree, client, agreement_signed):
    as_user(client, tree.community_secretary_a1)
    response = client.post(action_url(agreement_signed, "amend"))
    amendment = Agreement.objects.get(previous=agreement_signed)
    assert response.status_code == 302 and response.url == detail_url(amendment)
    new_page = client.get(detail_url(amendment)).content.decode()
    assert 'data-testid="previous-version"' in new_page and detail_url(agreement_signed) in new_page
    assert "clause-update" in new_page  # the amendment is a draft again
    old_page = client.get(detail_url(agreement_signed)).content.decode()
    assert 'data-testid="amended-by"' in old_page and detail_url(amendment) in old_page
    assert 'data-testid="move-amend"' not in old_page  # one open amendment at a time
    # A second amendment is refused with the service's message.
    page = post(client, agreement_signed, "amend")
    assert any("已有修订稿" in m for m in page_messages(page))
    assert Agreement.objects.filter(previous=agreement_signed).count() == 1


def test_the_stage_bar_marks_done_current_and_todo(tree, client, agreement_signed):
    as_user(client, tree.community_secretary_a1)
    page = client.get(detail_url(agreement_signed))
    assert [s["state"] for s in page.context["stages"]] == ["done", "current", "todo", "todo", "todo"]
    text = page.content.decode()
    assert 'data-stage="signed" aria-current="step"' in text
    for label in ("谈约", "签约", "亮约", "履约", "评约"):
        assert label in text
    assert 'data-testid="move-publish"' in text and 'data-testid="move-perform"' not in text


def test_a_superseded_version_says_so(tree, client, agreement_signed):
    from .conftest import sign_all

    amendment = agreement_amend(user=fresh(tree.community_secretary_a1), agreement=agreement_signed)
    sign_all(tree, amendment)
    as_user(client, tree.community_secretary_a1)
    text = client.get(detail_url(agreement_signed)).content.decode()
    assert "本版本已被修订稿取代" in text and "stage-superseded" in text


def test_the_list_filters_by_stage_and_searches_titles_and_parties(tree, client, agreement_performing):
    draft = factories.agreement(tree.community_a1, by=fresh(tree.community_secretary_a1), units=[tree.unit_a1_other],
                                title="学校共建协议")
    url = reverse("agreement-list", kwargs={"pk": tree.community_a1.pk})
    as_user(client, tree.community_secretary_a1)
    text = client.get(url).content.decode()
    assert agreement_performing.title in text and draft.title in text and "stage-performing" in text
    text = client.get(url, {"stage": "draft"}).content.decode()
    assert draft.title in text and agreement_performing.title not in text
    text = client.get(url, {"q": "锦霞小学"}).content.decode()  # a party's name
    assert draft.title in text and agreement_performing.title not in text
    text = client.get(url, {"q": "学校共建"}).content.decode()  # the title
    assert draft.title in text and agreement_performing.title not in text
    # The street sees its communities' agreements, or only its own level's.
    as_user(client, tree.secretary_a)
    street_url = reverse("agreement-list", kwargs={"pk": tree.street_a.pk})
    assert draft.title in client.get(street_url).content.decode()
    assert draft.title not in client.get(street_url, {"level": "own"}).content.decode()
