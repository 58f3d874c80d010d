"""Agreements through their services: the five stages, signing, amendment, termination, the lists,
claims and points. Fixtures (agreement_draft, agreement_signed, agreement_performing, unit_a1b,
liaison_a1b) are in conftest.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from agreements.models import (
    Agreement,
    Claim,
    ClaimStatus,
    Clause,
    Commitment,
    CommitmentItem,
    Evaluation,
    Evidence,
    Need,
    NeedStatus,
    Party,
    PointEntry,
    PointReason,
    Stage,
)
from agreements.selectors import agreement_progress, points_ranking
from agreements.services import (
    agreement_amend,
    agreement_content,
    agreement_content_hash,
    agreement_create,
    agreement_evaluate,
    agreement_perform,
    agreement_publish,
    agreement_sign,
    agreement_terminate,
    agreement_update,
    claim_confirm,
    claim_decline,
    claim_withdraw,
    clause_add,
    clause_delete,
    clause_update,
    commitment_add,
    commitment_delete,
    commitment_items_generate,
    commitment_update,
    evaluation_add,
    evaluation_add_resident,
    evidence_report,
    milestone_add,
    milestone_done,
    need_claim,
    need_close,
    need_create,
    need_publish,
    need_update,
    party_add,
    party_remove,
    points_award_fulfilled,
    project_create,
    project_update,
    resource_create,
    resource_update,
)
from members.models import MemberUnit
from members.services import member_unit_update
from tasks.models import Item, ItemSource, Status
from tasks.services import item_confirm, item_rate, item_resolve, item_start

from .. import factories
from ..conftest import fresh
from .conftest import draft_commitments, sign_all


def sec(tree):
    """The community's secretary: handles its agreements and signs for the initiating organisation."""
    return fresh(tree.community_secretary_a1)


def party_of(agreement, unit=None) -> Party:
    return agreement.parties.get(unit=unit) if unit is not None else agreement.parties.get(unit__isnull=True)


def fulfil(tree, occurrence: CommitmentItem, *, late: bool = False) -> Item:
    """The item flow of one occurrence: started by the secretary, resolved by the unit's liaison,
    confirmed and rated by the secretary (the level that raised it)."""
    item = item_start(user=sec(tree), item=occurrence.item)
    item = item_resolve(user=fresh(tree.liaison_a1), item=item, note="已按协议完成。")
    if late:
        Item.objects.filter(pk=item.pk).update(resolved_at=occurrence.item.due_at + dt.timedelta(days=2))
    item_confirm(user=sec(tree), item=item, solved=True)
    item_rate(user=sec(tree), item=item, score=5)
    return item


# --- the whole cycle -------------------------------------------------------------------------

def test_the_whole_cycle_from_draft_to_evaluated(tree):
    today = timezone.localdate()
    draft = agreement_create(
        user=sec(tree), alliance=tree.community_a1, title="锦霞社区与锦霞物业共建协议", term_start=today,
        term_end=today + dt.timedelta(days=89), units=[tree.unit_a1], preamble="共驻共建,资源共享。",
    )
    assert draft.stage == Stage.DRAFT and draft.parties.count() == 2
    clause_add(user=sec(tree), agreement=draft, text="双方每季度召开一次联席会议。")
    # 谈约: the unit's liaison writes its own promise.
    unit_party = party_of(draft, tree.unit_a1)
    promise = commitment_add(user=fresh(tree.liaison_a1), agreement=draft, party=unit_party,
                             title="每月清理楼道", category="volunteers", recurrence="monthly", day_of_month=15)

    # 签约: both sign; the first signature records the hash, the last one moves the stage.
    agreement_sign(user=sec(tree), agreement=draft, party=party_of(draft))
    draft.refresh_from_db()
    assert draft.stage == Stage.DRAFT and draft.content_hash == agreement_content_hash(draft)
    agreement_sign(user=fresh(tree.liaison_a1), agreement=draft, party=unit_party)
    draft.refresh_from_db()
    assert draft.stage == Stage.SIGNED and draft.signed_at is not None

    # 亮约, 履约: the due dates become items assigned to the unit, due at the end of the day.
    agreement_publish(user=sec(tree), agreement=draft)
    agreement_perform(user=sec(tree), agreement=draft, today=today)
    draft.refresh_from_db()
    assert draft.stage == Stage.PERFORMING
    occurrences = list(CommitmentItem.objects.filter(commitment=promise).select_related("item"))
    assert occurrences and all(o.due_on.day == 15 for o in occurrences)
    first = occurrences[0]
    assert first.item.source == ItemSource.COMMITMENT and first.item.assignee_unit_id == tree.unit_a1.pk
    assert timezone.localtime(first.item.due_at).replace(tzinfo=None) == dt.datetime.combine(
        first.due_on, dt.time(23, 59, 59))

    # The unit reports evidence and the work; the secretary confirms it: +10 points on time.
    evidence_report(user=fresh(tree.liaison_a1), commitment=promise, text="清理楼道12栋。", occurrence=first)
    fulfil(tree, first)
    assert points_award_fulfilled() == 1
    assert points_award_fulfilled() == 0  # a second sweep counts nothing twice

    # 评约: after the term; the initiating organisation rates 5 (+4 for the unit), a resident 4 (+2).
    end = draft.term_end + dt.timedelta(days=1)
    agreement_evaluate(user=sec(tree), agreement=draft, today=end)
    draft.refresh_from_db()
    assert draft.stage == Stage.EVALUATED and draft.evaluated_at is not None
    evaluation_add(user=sec(tree), agreement=draft, party=party_of(draft), score=5, comment="履约认真。",
                   period=draft.term_start.year)
    evaluation_add_resident(agreement=draft, name="王阿姨", phone="138 0000 1234", score=4,
                            period=draft.term_start.year)
    ranking = list(points_ranking(user=fresh(tree.secretary_a), alliance=tree.street_a))
    assert [(u.pk, u.total_points) for u in ranking] == [(tree.unit_a1.pk, 10 + 4 + 2)]
    assert Evidence.objects.get().occurrence == first


# --- the table of moves ----------------------------------------------------------------------

STAGES = ("draft", "signed", "published", "performing", "evaluated", "terminated", "superseded")


def at_stage(tree, stage: str) -> Agreement:
    """A community A1 agreement brought to `stage` through the services."""
    agreement = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1],
                                    commitments=draft_commitments(tree))
    if stage == "draft":
        return agreement
    agreement = sign_all(tree, agreement)
    if stage == "terminated":
        return agreement_terminate(user=sec(tree), agreement=agreement, reason="单位搬迁。")
    if stage == "superseded":
        sign_all(tree, agreement_amend(user=sec(tree), agreement=agreement))
        return Agreement.objects.get(pk=agreement.pk)
    if stage == "signed":
        return agreement
    agreement_publish(user=sec(tree), agreement=agreement)
    if stage == "published":
        return Agreement.objects.get(pk=agreement.pk)
    agreement_perform(user=sec(tree), agreement=agreement)
    if stage == "evaluated":
        agreement_evaluate(user=sec(tree), agreement=agreement, today=agreement.term_end + dt.timedelta(days=1))
    return Agreement.objects.get(pk=agreement.pk)


MOVES = {
    "sign": lambda tree, a: agreement_sign(user=fresh(tree.liaison_a1), agreement=a, party=party_of(a, tree.unit_a1)),
    "publish": lambda tree, a: agreement_publish(user=sec(tree), agreement=a),
    "perform": lambda tree, a: agreement_perform(user=sec(tree), agreement=a),
    "evaluate": lambda tree, a: agreement_evaluate(user=sec(tree), agreement=a,
                                                   today=a.term_end + dt.timedelta(days=1)),
    "terminate": lambda tree, a: agreement_terminate(user=sec(tree), agreement=a, reason="不再合作。"),
    "amend": lambda tree, a: agreement_amend(user=sec(tree), agreement=a),
    "rate": lambda tree, a: evaluation_add(user=sec(tree), agreement=a, party=party_of(a), score=4),
    "edit": lambda tree, a: clause_add(user=sec(tree), agreement=a, text="新增条款。"),
}
ALLOWED = {
    "sign": {"draft"},
    "publish": {"signed"},
    "perform": {"published"},
    "evaluate": {"performing"},
    "terminate": {"signed", "published", "performing", "evaluated"},
    "amend": {"signed", "published", "performing"},
    "rate": {"performing", "evaluated"},
    "edit": {"draft"},
}
LOCKED = "协议已有签署方签署,内容已锁定;如需修改请发起修订。"


def snapshot(agreement: Agreement) -> tuple:
    agreement.refresh_from_db()
    return (agreement.stage, agreement.content_hash, agreement.updated_at, Agreement.objects.count(),
            Clause.objects.count(), Commitment.objects.count(), CommitmentItem.objects.count(),
            Evaluation.objects.count(), sorted(Item.objects.values_list("pk", "status")),
            sorted(Party.objects.values_list("pk", "signed_at")))


@pytest.mark.parametrize(("stage", "move"), [
    (stage, move) for move in MOVES for stage in STAGES if stage not in ALLOWED[move]
])
def test_every_illegal_move_is_refused_naming_the_stage_and_changes_nothing(tree, stage, move):
    agreement = at_stage(tree, stage)
    before = snapshot(agreement)
    with pytest.raises(ValidationError) as refused:
        MOVES[move](tree, agreement)
    message = refused.value.messages[0]
    if move == "edit":
        assert message == LOCKED  # every stage after draft carries signatures
    else:
        assert f"“{agreement.get_stage_display()}”" in message
    assert snapshot(agreement) == before


@pytest.mark.parametrize(("stage", "move"), [(stage, move) for move in MOVES for stage in sorted(ALLOWED[move])])
def test_every_legal_move_goes_through(tree, stage, move):
    agreement = at_stage(tree, stage)
    MOVES[move](tree, agreement)


# --- signing and the frozen content ----------------------------------------------------------

EDITS = {
    "agreement_update": lambda tree, a: agreement_update(user=sec(tree), agreement=a, title="新标题"),
    "party_add": lambda tree, a: party_add(user=sec(tree), agreement=a, unit=tree.unit_a1_other),
    "party_remove": lambda tree, a: party_remove(user=sec(tree), party=party_of(a, tree.unit_a1)),
    "clause_add": lambda tree, a: clause_add(user=sec(tree), agreement=a, text="新增条款。"),
    "clause_update": lambda tree, a: clause_update(user=sec(tree), clause=a.clauses.first(), text="改写。"),
    "clause_delete": lambda tree, a: clause_delete(user=sec(tree), clause=a.clauses.first()),
    "commitment_add": lambda tree, a: commitment_add(user=sec(tree), agreement=a, party=party_of(a), title="新增承诺",
                                                     due_on=a.term_start),
    "commitment_update": lambda tree, a: commitment_update(user=sec(tree), commitment=a.commitments.first(),
                                                           title="改写承诺"),
    "commitment_delete": lambda tree, a: commitment_delete(user=sec(tree), commitment=a.commitments.first()),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize("signatures", ["first", "all"])
def test_signed_content_cannot_be_changed(tree, agreement_draft, edit, signatures):
    if signatures == "first":
        agreement_sign(user=sec(tree), agreement=agreement_draft, party=party_of(agreement_draft))
    else:
        sign_all(tree, agreement_draft)
    agreement_draft.refresh_from_db()
    content = agreement_content(agreement_draft)
    with pytest.raises(ValidationError) as refused:
        EDITS[edit](tree, agreement_draft)
    assert refused.value.messages == [LOCKED]
    assert agreement_content(Agreement.objects.get(pk=agreement_draft.pk)) == content
    assert agreement_content_hash(agreement_draft) == agreement_draft.content_hash


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_every_edit_works_on_an_unsigned_draft(tree, agreement_draft, edit):
    if edit == "party_remove":  # a party with promises stays; remove one without
        party_add(user=sec(tree), agreement=agreement_draft, unit=tree.unit_a1_other)
        party_remove(user=sec(tree), party=party_of(agreement_draft, tree.unit_a1_other))
        return
    before = agreement_content_hash(agreement_draft)
    EDITS[edit](tree, agreement_draft)
    assert agreement_content_hash(Agreement.objects.get(pk=agreement_draft.pk)) != before


def test_the_content_names_parties_clauses_and_commitments_in_order(tree, agreement_draft):
    content = agreement_content(agreement_draft)
    assert content["parties"][0] == {"name": tree.community_a1.name, "credit_code": ""}
    assert content["parties"][1] == {"name": "锦霞物业服务有限公司", "credit_code": tree.unit_a1.credit_code}
    assert [c["position"] for c in content["clauses"]] == [1, 2]
    assert [c["title"] for c in content["commitments"]] == [
        "每月清理楼道和公共区域", "为老旧小区更换单元门禁", "提供党群服务中心活动场地"]
    assert content["commitments"][0]["party"] == "锦霞物业服务有限公司"
    assert content["commitments"][0]["recurrence"] == "monthly" and content["commitments"][0]["day_of_month"] == 15
    assert len(agreement_content_hash(agreement_draft)) == 64


def test_a_clause_inserted_in_the_middle_moves_the_rest_down(tree, agreement_draft):
    clause_add(user=sec(tree), agreement=agreement_draft, text="插入的条款。", position=1)
    texts = list(agreement_draft.clauses.order_by("position").values_list("position", "text"))
    assert texts[0] == (1, "插入的条款。") and [p for p, _t in texts] == [1, 2, 3]
    clause_delete(user=sec(tree), clause=agreement_draft.clauses.get(position=2))
    assert list(agreement_draft.clauses.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_a_credit_code_changed_between_signatures_does_not_lock_the_draft(tree, agreement_draft):
    """The hash covers the credit code as it stood when the party was added (its snapshot), so a
    correction in the unit register between two signatures does not leave the draft unsignable."""
    old_code = tree.unit_a1.credit_code
    agreement_sign(user=sec(tree), agreement=agreement_draft, party=party_of(agreement_draft))
    frozen = Agreement.objects.get(pk=agreement_draft.pk).content_hash
    member_unit_update(user=fresh(tree.root), unit=tree.unit_a1, credit_code=factories.credit_code())
    agreement_sign(user=fresh(tree.liaison_a1), agreement=agreement_draft,
                   party=party_of(agreement_draft, tree.unit_a1))
    signed = Agreement.objects.get(pk=agreement_draft.pk)
    assert signed.stage == Stage.SIGNED and signed.content_hash == frozen == agreement_content_hash(signed)
    assert party_of(signed, tree.unit_a1).credit_code == old_code
    assert agreement_content(signed)["parties"][1]["credit_code"] == old_code
    # An amendment takes the unit's register entry as it stands when it is drafted.
    amendment = agreement_amend(user=sec(tree), agreement=signed)
    assert party_of(amendment, tree.unit_a1).credit_code == MemberUnit.objects.get(pk=tree.unit_a1.pk).credit_code


def test_only_an_entitled_account_signs_for_a_party(tree, agreement_draft):
    initiator, unit = party_of(agreement_draft), party_of(agreement_draft, tree.unit_a1)
    with pytest.raises(PermissionDenied):  # staff handle agreements but do not sign for the organisation
        agreement_sign(user=fresh(tree.staff_a), agreement=agreement_draft, party=initiator)
    with pytest.raises(PermissionDenied):  # a liaison signs for its unit, not for the organisation
        agreement_sign(user=fresh(tree.liaison_a1), agreement=agreement_draft, party=initiator)
    with pytest.raises(PermissionDenied):  # and the secretary does not sign for the unit
        agreement_sign(user=sec(tree), agreement=agreement_draft, party=unit)
    agreement_sign(user=fresh(tree.secretary_a), agreement=agreement_draft, party=initiator)  # street: above
    with pytest.raises(ValidationError, match="已经签署"):
        agreement_sign(user=sec(tree), agreement=agreement_draft, party=initiator)
    assert not Party.objects.filter(agreement=agreement_draft, unit__isnull=False, signed_at__isnull=False).exists()


def test_an_agreement_needs_a_unit_and_a_commitment_to_be_signed(tree):
    lonely = agreement_create(user=sec(tree), alliance=tree.community_a1, title="只有发起方", units=[],
                              term_start=timezone.localdate(), term_end=timezone.localdate())
    with pytest.raises(ValidationError, match="至少要有一个成员单位"):
        agreement_sign(user=sec(tree), agreement=lonely, party=party_of(lonely))
    empty = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1])
    with pytest.raises(ValidationError, match="至少要有一项承诺事项"):
        agreement_sign(user=sec(tree), agreement=empty, party=party_of(empty))
    assert not Party.objects.filter(signed_at__isnull=False).exists()


def test_bad_drafts_are_refused_field_by_field(tree, agreement_draft):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as bad:
        agreement_create(user=sec(tree), alliance=tree.community_a1, title=" ", term_start=today,
                         term_end=today - dt.timedelta(days=1), units=[tree.unit_a2])
    assert set(bad.value.message_dict) == {"title", "term_end", "units"}
    with pytest.raises(ValidationError) as bad:
        commitment_add(user=sec(tree), agreement=agreement_draft, party=party_of(agreement_draft), title="超期",
                       due_on=agreement_draft.term_end + dt.timedelta(days=1))
    assert "due_on" in bad.value.message_dict
    with pytest.raises(ValidationError) as bad:
        commitment_add(user=sec(tree), agreement=agreement_draft, party=party_of(agreement_draft), title="每月",
                       recurrence="monthly", day_of_month=31)
    assert "day_of_month" in bad.value.message_dict
    with pytest.raises(ValidationError, match="不在新的履约期内"):
        agreement_update(user=sec(tree), agreement=agreement_draft, term_end=today + dt.timedelta(days=10))


def test_a_liaison_drafts_only_its_own_units_promises(tree, agreement_draft):
    liaison = fresh(tree.liaison_a1)
    clause_add(user=liaison, agreement=agreement_draft, text="物业公司提出的条款。")
    with pytest.raises(PermissionDenied):
        commitment_add(user=liaison, agreement=agreement_draft, party=party_of(agreement_draft), title="替发起方承诺",
                       due_on=agreement_draft.term_start)
    with pytest.raises(PermissionDenied):
        party_add(user=liaison, agreement=agreement_draft, unit=tree.unit_a1_other)
    theirs = agreement_draft.commitments.get(party__unit__isnull=True)
    with pytest.raises(PermissionDenied):
        commitment_update(user=liaison, commitment=theirs, title="改别人的承诺")


# --- amendment and termination ---------------------------------------------------------------

def test_an_amendment_is_a_new_draft_version_and_supersedes_once_signed(tree, agreement_performing):
    old = agreement_performing
    carried = CommitmentItem.objects.filter(commitment__agreement=old, commitment__party__unit=tree.unit_a1)
    carried_ids = set(carried.values_list("pk", flat=True))
    assert carried_ids
    new = agreement_amend(user=sec(tree), agreement=old)
    assert (new.version, new.previous_id, new.stage) == (2, old.pk, Stage.DRAFT)
    assert new.parties.count() == 2 and not new.parties.filter(signed_at__isnull=False).exists()
    assert new.clauses.count() == old.clauses.count() and new.commitments.count() == old.commitments.count()
    with pytest.raises(ValidationError, match="已有修订稿"):
        agreement_amend(user=sec(tree), agreement=old)
    # The draft is edited freely while the old version stays in force.
    clause_add(user=sec(tree), agreement=new, text="第二版新增条款。")
    assert Agreement.objects.get(pk=old.pk).stage == Stage.PERFORMING
    sign_all(tree, new)
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.stage == Stage.SIGNED and old.stage == Stage.SUPERSEDED
    # The unfinished occurrences carry over to the copies of their commitments.
    moved = CommitmentItem.objects.filter(pk__in=carried_ids)
    assert set(moved.values_list("commitment__agreement_id", flat=True)) == {new.pk}
    assert all(o.item.status == Status.NEW for o in moved.select_related("item"))


def test_termination_needs_a_reason_closes_the_open_items_and_stops_generation(tree, agreement_performing):
    with pytest.raises(ValidationError) as bad:
        agreement_terminate(user=sec(tree), agreement=agreement_performing, reason="  ")
    assert "reason" in bad.value.message_dict
    occurrences = CommitmentItem.objects.filter(commitment__agreement=agreement_performing)
    assert occurrences.exists()
    agreement_terminate(user=sec(tree), agreement=agreement_performing, reason="物业公司退出小区。")
    agreement_performing.refresh_from_db()
    assert agreement_performing.stage == Stage.TERMINATED
    assert agreement_performing.termination_reason == "物业公司退出小区。"
    items = Item.objects.filter(pk__in=occurrences.values("item_id"))
    assert set(items.values_list("status", flat=True)) == {Status.REJECTED}
    assert all("物业公司退出小区" in reason for reason in items.values_list("rejected_reason", flat=True))
    count = occurrences.count()
    later = timezone.localdate() + dt.timedelta(days=60)
    assert commitment_items_generate(agreement=agreement_performing, today=later) == 0
    assert occurrences.count() == count


def test_staff_terminate_but_a_liaison_may_not(tree, agreement_signed):
    with pytest.raises(PermissionDenied):
        agreement_terminate(user=fresh(tree.liaison_a1), agreement=agreement_signed, reason="想退出。")
    agreement_terminate(user=fresh(tree.staff_a), agreement=agreement_signed, reason="街道统一调整。")


# --- performing: the schedule and the items ---------------------------------------------------

def schedule_agreement(tree, *, start: dt.date, end: dt.date, **commitment) -> Agreement:
    agreement = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1], term_start=start,
                                    term_end=end, commitments=[{"unit": tree.unit_a1, "title": "按期服务",
                                                                **commitment}])
    agreement = sign_all(tree, agreement)
    agreement_publish(user=sec(tree), agreement=agreement)
    return agreement


def due_days(agreement) -> list[dt.date]:
    return list(CommitmentItem.objects.filter(commitment__agreement=agreement).order_by("due_on")
                .values_list("due_on", flat=True))


@pytest.mark.parametrize(("recurrence", "expected"), [
    ("monthly", [dt.date(2025, 1, 10), dt.date(2025, 2, 10)]),
    ("quarterly", [dt.date(2025, 1, 10), dt.date(2025, 4, 10), dt.date(2025, 7, 10)]),
    ("yearly", [dt.date(2025, 3, 10)]),
])
def test_recurring_commitments_fall_due_on_their_day(tree, recurrence, expected):
    today = timezone.localdate()
    # A term in the past keeps the dates fixed; `today` is passed to the services.
    start = dt.date(2024, 12, 20) if recurrence != "yearly" else dt.date(2024, 3, 1)
    agreement = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1], term_start=start,
                                    term_end=dt.date(2025, 12, 31), commitments=[])
    horizon = {"monthly": 45, "quarterly": 200, "yearly": 400}[recurrence]
    commitment_add(user=sec(tree), agreement=agreement, party=party_of(agreement, tree.unit_a1), title="按期服务",
                   recurrence=recurrence, day_of_month=10)
    agreement = sign_all(tree, agreement)
    agreement_publish(user=sec(tree), agreement=agreement)
    Agreement.objects.filter(pk=agreement.pk).update(stage=Stage.PERFORMING)  # as if performing since then
    made = commitment_items_generate(agreement=agreement, today=dt.date(2025, 1, 1), horizon_days=horizon)
    assert due_days(agreement) == expected and made == len(expected)
    assert today  # the real day plays no part


def test_generation_is_idempotent_and_follows_the_horizon(tree):
    today = timezone.localdate()
    agreement = schedule_agreement(tree, start=today, end=today + dt.timedelta(days=364), recurrence="monthly",
                                   day_of_month=1)
    agreement_perform(user=sec(tree), agreement=agreement, today=today)
    first = due_days(agreement)
    assert first and all(today <= d <= today + dt.timedelta(days=45) for d in first)
    assert commitment_items_generate(agreement=agreement, today=today) == 0
    later = today + dt.timedelta(days=40)
    assert commitment_items_generate(agreement=agreement, today=later) >= 1
    assert due_days(agreement) == sorted(set(due_days(agreement)))


def test_a_one_off_commitment_gets_its_single_date_and_the_initiators_item_has_no_unit(tree, agreement_performing):
    occurrences = CommitmentItem.objects.filter(commitment__agreement=agreement_performing,
                                                commitment__recurrence="once").select_related("item", "commitment")
    assert sorted(o.due_on for o in occurrences) == sorted(
        c.due_on for c in agreement_performing.commitments.filter(recurrence="once"))
    initiators = [o for o in occurrences if o.commitment.party.unit_id is None]
    assert initiators and initiators[0].item.assignee_unit_id is None


def test_performing_after_the_term_is_refused(tree):
    agreement = schedule_agreement(tree, start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31),
                                   recurrence="once", due_on=dt.date(2024, 6, 1))
    with pytest.raises(ValidationError, match="履约期已于2024-12-31结束"):
        agreement_perform(user=sec(tree), agreement=agreement)


def test_evaluation_before_the_terms_end_waits_for_every_occurrence(tree):
    today = timezone.localdate()
    agreement = schedule_agreement(tree, start=today, end=today + dt.timedelta(days=100), recurrence="once",
                                   due_on=today + dt.timedelta(days=3))
    agreement_perform(user=sec(tree), agreement=agreement, today=today)
    with pytest.raises(ValidationError, match="还有1期承诺事项没有办结"):
        agreement_evaluate(user=sec(tree), agreement=agreement, today=today)
    fulfil(tree, CommitmentItem.objects.get(commitment__agreement=agreement))
    agreement_evaluate(user=sec(tree), agreement=agreement, today=today)
    assert Agreement.objects.get(pk=agreement.pk).stage == Stage.EVALUATED
    assert agreement_progress(agreement) == {"total": 1, "done": 1, "open": 0, "overdue": 0, "rejected": 0}


def test_evidence_comes_from_the_promising_unit_or_a_handler(tree, agreement_performing, liaison_a1b):
    theirs = agreement_performing.commitments.get(party__unit__isnull=True)
    ours = agreement_performing.commitments.filter(party__unit=tree.unit_a1).first()
    with pytest.raises(PermissionDenied):
        evidence_report(user=fresh(tree.liaison_a1), commitment=theirs, text="替发起方报告。")
    other = CommitmentItem.objects.filter(commitment=theirs).first()
    with pytest.raises(ValidationError) as bad:
        evidence_report(user=fresh(tree.liaison_a1), commitment=ours, text=" ", occurrence=other)
    assert set(bad.value.message_dict) == {"text", "occurrence"}
    evidence_report(user=sec(tree), commitment=theirs, text="活动场地已开放。")
    assert Evidence.objects.count() == 1


# --- evaluation and points -------------------------------------------------------------------

def test_a_party_rates_once_a_year_and_the_other_units_earn_points(tree, agreement_performing, unit_a1b,
                                                                   liaison_a1b):
    party_b = Party.objects.create(tenant_id=agreement_performing.tenant_id,  # a second unit, for the rule
                                   alliance_path=agreement_performing.alliance_path,
                                   agreement=agreement_performing, unit=unit_a1b, name=unit_a1b.name)
    evaluation_add(user=fresh(liaison_a1b), agreement=agreement_performing, party=party_b, score=1)
    with pytest.raises(ValidationError, match="已经评价过"):
        evaluation_add(user=fresh(liaison_a1b), agreement=agreement_performing, party=party_b, score=5)
    with pytest.raises(PermissionDenied):
        evaluation_add(user=fresh(tree.liaison_a1), agreement=agreement_performing, party=party_b, score=5)
    entries = PointEntry.objects.filter(reason=PointReason.RATED)
    assert list(entries.values_list("unit_id", "points")) == [(tree.unit_a1.pk, -4)]  # not the rater itself
    with pytest.raises(ValidationError) as bad:
        evaluation_add(user=fresh(tree.liaison_a1), agreement=agreement_performing,
                       party=party_of(agreement_performing, tree.unit_a1), score=6, period=1999)
    assert set(bad.value.message_dict) == {"score", "period"}


def test_residents_rate_once_a_year_per_phone(tree, agreement_performing):
    evaluation_add_resident(agreement=agreement_performing, name="李大爷", phone="+86 139-1234-5678", score=5)
    with pytest.raises(ValidationError) as again:
        evaluation_add_resident(agreement=agreement_performing, name="李大爷", phone="13912345678", score=3)
    assert "phone" in again.value.message_dict
    with pytest.raises(ValidationError) as bad:
        evaluation_add_resident(agreement=agreement_performing, name="", phone="12345", score=0)
    assert set(bad.value.message_dict) == {"phone", "score"}
    assert Evaluation.objects.get().resident_phone == "13912345678"
    assert PointEntry.objects.get().points == 4


def test_fulfilment_points_on_time_and_late(tree, agreement_performing):
    unit_items = CommitmentItem.objects.filter(commitment__agreement=agreement_performing,
                                               commitment__party__unit=tree.unit_a1).order_by("due_on")
    on_time, late = unit_items[0], unit_items[1]
    fulfil(tree, on_time)
    fulfil(tree, late, late=True)
    assert points_award_fulfilled() == 2
    assert points_award_fulfilled() == 0
    assert sorted(PointEntry.objects.values_list("reason", "points")) == [
        (PointReason.FULFILLED, 10), (PointReason.FULFILLED_LATE, 3)]
    assert [(u.pk, u.total_points) for u in points_ranking(user=sec(tree), alliance=tree.community_a1)] == [
        (tree.unit_a1.pk, 13)]
    assert not points_ranking(user=fresh(tree.community_secretary_a2), alliance=tree.community_a2).exists()


def test_a_resolved_but_unconfirmed_occurrence_earns_nothing_yet(tree, agreement_performing):
    occurrence = CommitmentItem.objects.filter(commitment__party__unit=tree.unit_a1).first()
    item = item_start(user=sec(tree), item=occurrence.item)
    item_resolve(user=fresh(tree.liaison_a1), item=item, note="完成。")
    assert points_award_fulfilled() == 0
    item_confirm(user=sec(tree), item=item, solved=True)
    assert points_award_fulfilled() == 1


# --- the lists and claims --------------------------------------------------------------------

@pytest.fixture
def need(tree):
    need = need_create(user=sec(tree), alliance=tree.community_a1, title="老年食堂缺少助餐志愿者",
                       category="volunteers", priority="high")
    return need_publish(user=sec(tree), need=need)


def test_a_claim_moves_the_need_and_a_confirmed_claim_becomes_a_commitment(tree, need, liaison_a1b, unit_a1b):
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1, note="每周派两名员工。")
    assert Need.objects.get(pk=need.pk).status == NeedStatus.CLAIMED
    with pytest.raises(ValidationError, match="该需求已被“锦霞物业服务有限公司”认领"):
        need_claim(user=fresh(liaison_a1b), need=need, unit=unit_a1b)
    claim_withdraw(user=fresh(tree.liaison_a1), claim=claim)
    assert Need.objects.get(pk=need.pk).status == NeedStatus.PUBLISHED
    second = need_claim(user=fresh(liaison_a1b), need=need, unit=unit_a1b)
    with pytest.raises(ValidationError) as bad:
        claim_decline(user=sec(tree), claim=second, reason="")
    assert "reason" in bad.value.message_dict
    claim_decline(user=sec(tree), claim=second, reason="学校假期无法保障。")
    assert Need.objects.get(pk=need.pk).status == NeedStatus.PUBLISHED
    third = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    due = timezone.localdate() + dt.timedelta(days=20)
    commitment = claim_confirm(user=sec(tree), claim=third, due_on=due)
    assert commitment.agreement.stage == Stage.DRAFT and commitment.party.unit_id == tree.unit_a1.pk
    assert commitment.title == need.title and commitment.due_on == due
    third.refresh_from_db()
    assert third.status == ClaimStatus.CONFIRMED and third.commitment == commitment
    assert Need.objects.get(pk=need.pk).status == NeedStatus.CLAIMED
    # The points come once the agreement the claim went into is signed by every party.
    assert not PointEntry.objects.exists()
    sign_all(tree, commitment.agreement)
    assert list(PointEntry.objects.values_list("unit_id", "points", "reason")) == [
        (tree.unit_a1.pk, 5, PointReason.CLAIMED)]


def test_a_claim_confirmed_into_an_existing_draft_adds_the_unit_as_a_party(tree, need, agreement_draft,
                                                                          liaison_a1b, unit_a1b):
    claim = need_claim(user=fresh(liaison_a1b), need=need, unit=unit_a1b)
    commitment = claim_confirm(user=sec(tree), claim=claim, agreement=agreement_draft,
                               due_on=agreement_draft.term_start + dt.timedelta(days=5))
    assert commitment.agreement_id == agreement_draft.pk
    assert agreement_draft.parties.filter(unit=unit_a1b).exists()


def test_a_claim_cannot_go_into_a_signed_agreement(tree, need, agreement_signed):
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    with pytest.raises(ValidationError, match="内容已锁定"):
        claim_confirm(user=sec(tree), claim=claim, agreement=agreement_signed,
                      due_on=timezone.localdate() + dt.timedelta(days=5))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING and not PointEntry.objects.exists()


def test_claim_rules(tree, need):
    with pytest.raises(PermissionDenied):  # a unit claims through its own liaison
        need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1_other)
    with pytest.raises(PermissionDenied):
        need_claim(user=sec(tree), need=need, unit=tree.unit_a1)
    draft = need_create(user=sec(tree), alliance=tree.community_a1, title="草稿需求", category="venue")
    with pytest.raises(Http404):  # a draft is not shown to units
        need_claim(user=fresh(tree.liaison_a1), need=draft, unit=tree.unit_a1)
    need_close(user=sec(tree), need=need, reason="已由街道解决。")
    with pytest.raises(Http404):
        need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    with pytest.raises(ValidationError, match="已关闭"):
        need_update(user=sec(tree), need=need, title="改标题")


def test_closing_a_need_declines_the_pending_claim(tree, need):
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    need_close(user=sec(tree), need=need, reason="需求取消。")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DECLINED and claim.declined_reason == "需求取消。"


@pytest.mark.django_db(transaction=True)
def test_two_units_claiming_at_the_same_moment_one_wins(tree, need, liaison_a1b, unit_a1b):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the race is decided by PostgreSQL's unique index")
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def claim(name, liaison, unit):
        from django.db import connection as thread_connection
        try:
            barrier.wait(timeout=10)
            results[name] = need_claim(user=fresh(liaison), need=Need.objects.get(pk=need.pk), unit=unit)
        except Exception as exc:  # noqa: BLE001 - inspected below
            results[name] = exc
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=claim, args=("a1", tree.liaison_a1, tree.unit_a1)),
               threading.Thread(target=claim, args=("a1b", liaison_a1b, unit_a1b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [r for r in results.values() if isinstance(r, Claim)]
    losers = [r for r in results.values() if not isinstance(r, Claim)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert isinstance(losers[0], ValidationError)
    assert losers[0].messages == [f"该需求已被“{winners[0].unit.name}”认领。"]
    assert Claim.objects.count() == 1 and Need.objects.get(pk=need.pk).status == NeedStatus.CLAIMED


def test_resources_and_projects(tree, need):
    liaison = fresh(tree.liaison_a1)
    hall = resource_create(user=liaison, alliance=tree.community_a1, unit=tree.unit_a1, title="物业活动室",
                           category="venue", quantity="80平方米")
    with pytest.raises(PermissionDenied):
        resource_create(user=liaison, alliance=tree.community_a1, unit=tree.unit_a1_other, title="操场",
                        category="venue")
    with pytest.raises(ValidationError) as bad:
        resource_update(user=liaison, resource=hall, category="spaceship")
    assert "category" in bad.value.message_dict
    resource_update(user=liaison, resource=hall, available=False)
    project = project_create(user=sec(tree), alliance=tree.community_a1, title="幸福食堂", lead_unit=tree.unit_a1,
                             budget="50000", needs=[need], resources=[hall])
    assert list(project.needs.all()) == [need] and project.budget == 50000
    with pytest.raises(ValidationError) as bad:
        project_update(user=sec(tree), project=project, status="done")
    assert "status" in bad.value.message_dict
    project_update(user=sec(tree), project=project, status="ongoing")
    step = milestone_add(user=sec(tree), project=project, title="完成场地改造",
                         due_on=timezone.localdate() + dt.timedelta(days=30))
    milestone_done(user=liaison, milestone=step)  # the lead unit reports its milestone
    with pytest.raises(ValidationError, match="已于"):
        milestone_done(user=sec(tree), milestone=step)


# --- neighbours and unrelated units: 404 on every service ------------------------------------

@pytest.fixture
def world(tree, agreement_performing, need):
    """One object of each kind in community A1, for the 404 sweep."""
    draft = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1],
                                commitments=draft_commitments(tree))
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    resource = resource_create(user=sec(tree), alliance=tree.community_a1, unit=tree.unit_a1, title="会议室",
                               category="venue")
    project = project_create(user=sec(tree), alliance=tree.community_a1, title="共建项目", lead_unit=tree.unit_a1)
    milestone = milestone_add(user=sec(tree), project=project, title="启动", due_on=timezone.localdate())
    draft_need = need_create(user=sec(tree), alliance=tree.community_a1, title="草稿需求", category="funds")
    return {"draft": draft, "performing": agreement_performing, "need": need, "claim": claim,
            "resource": resource, "project": project, "milestone": milestone, "draft_need": draft_need}


def _calls(tree, w):
    draft, performing = w["draft"], w["performing"]
    today = timezone.localdate()
    return {
        "agreement_update": lambda u: agreement_update(user=u, agreement=draft, title="x"),
        "party_add": lambda u: party_add(user=u, agreement=draft, unit=tree.unit_a1_other),
        "party_remove": lambda u: party_remove(user=u, party=party_of(draft, tree.unit_a1)),
        "clause_add": lambda u: clause_add(user=u, agreement=draft, text="x"),
        "clause_update": lambda u: clause_update(user=u, clause=draft.clauses.first(), text="x"),
        "clause_delete": lambda u: clause_delete(user=u, clause=draft.clauses.first()),
        "commitment_add": lambda u: commitment_add(user=u, agreement=draft, party=party_of(draft), title="x",
                                                   due_on=draft.term_start),
        "commitment_update": lambda u: commitment_update(user=u, commitment=draft.commitments.first(), title="x"),
        "commitment_delete": lambda u: commitment_delete(user=u, commitment=draft.commitments.first()),
        "agreement_sign": lambda u: agreement_sign(user=u, agreement=draft, party=party_of(draft)),
        "agreement_publish": lambda u: agreement_publish(user=u, agreement=draft),
        "agreement_perform": lambda u: agreement_perform(user=u, agreement=draft),
        "agreement_evaluate": lambda u: agreement_evaluate(user=u, agreement=performing),
        "agreement_terminate": lambda u: agreement_terminate(user=u, agreement=performing, reason="x"),
        "agreement_amend": lambda u: agreement_amend(user=u, agreement=performing),
        "evidence_report": lambda u: evidence_report(user=u, commitment=performing.commitments.first(), text="x"),
        "evaluation_add": lambda u: evaluation_add(user=u, agreement=performing, party=party_of(performing),
                                                   score=5),
        "resource_update": lambda u: resource_update(user=u, resource=w["resource"], title="x"),
        "need_update": lambda u: need_update(user=u, need=w["draft_need"], title="x"),
        "need_publish": lambda u: need_publish(user=u, need=w["draft_need"]),
        "need_close": lambda u: need_close(user=u, need=w["draft_need"]),
        "need_claim": lambda u: need_claim(user=u, need=w["draft_need"], unit=tree.unit_a1_other),
        "claim_withdraw": lambda u: claim_withdraw(user=u, claim=w["claim"]),
        "claim_decline": lambda u: claim_decline(user=u, claim=w["claim"], reason="x"),
        "claim_confirm": lambda u: claim_confirm(user=u, claim=w["claim"], due_on=today),
        "project_update": lambda u: project_update(user=u, project=w["project"], title="x"),
        "milestone_add": lambda u: milestone_add(user=u, project=w["project"], title="x", due_on=today),
        "milestone_done": lambda u: milestone_done(user=u, milestone=w["milestone"]),
    }


CREATES = {
    "agreement_create": lambda tree, u: agreement_create(user=u, alliance=tree.community_a1, title="x",
                                                         term_start=timezone.localdate(),
                                                         term_end=timezone.localdate(), units=[]),
    "need_create": lambda tree, u: need_create(user=u, alliance=tree.community_a1, title="x", category="venue"),
    "resource_create": lambda tree, u: resource_create(user=u, alliance=tree.community_a1, unit=tree.unit_a1,
                                                       title="x", category="venue"),
    "project_create": lambda tree, u: project_create(user=u, alliance=tree.community_a1, title="x",
                                                     lead_unit=tree.unit_a1),
}
OUTSIDERS = ("community_secretary_a2", "secretary_b", "other_tenant_admin", "liaison_a1b")


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_on_every_service(tree, world, liaison_a1b, who):
    user = liaison_a1b if who == "liaison_a1b" else getattr(tree, who)
    before = (snapshot(world["draft"]), snapshot(world["performing"]), Claim.objects.get().status,
              Need.objects.order_by("pk").values_list("status", "title").first())
    for name, call in _calls(tree, world).items():
        with pytest.raises(Http404):
            call(fresh(user))
            pytest.fail(f"{name} let {who} through")
    if who != "liaison_a1b":  # the unit's liaison sees the alliance itself (403 there, tested below)
        for name, call in CREATES.items():
            with pytest.raises(Http404):
                call(tree, fresh(user))
                pytest.fail(f"{name} let {who} through")
    assert before == (snapshot(world["draft"]), snapshot(world["performing"]), Claim.objects.get().status,
                      Need.objects.order_by("pk").values_list("status", "title").first())


def test_an_unrelated_units_liaison_may_not_create_in_its_alliance(tree, liaison_a1b):
    for call in CREATES.values():
        with pytest.raises(PermissionDenied):
            call(tree, fresh(liaison_a1b))


def test_observers_read_but_do_not_act(tree, agreement_draft):
    with pytest.raises(PermissionDenied):
        agreement_update(user=fresh(tree.observer), agreement=agreement_draft, title="x")
    with pytest.raises(PermissionDenied):
        agreement_sign(user=fresh(tree.observer), agreement=agreement_draft, party=party_of(agreement_draft))


def test_terminating_an_agreement_cancels_its_amendment_draft(tree, agreement_signed):
    new = agreement_amend(user=sec(tree), agreement=agreement_signed)
    agreement_sign(user=sec(tree), agreement=new, party=party_of(new))  # partly signed
    agreement_terminate(user=sec(tree), agreement=agreement_signed, reason="合作终止。")
    new = Agreement.objects.get(pk=new.pk)
    assert new.stage == Stage.CANCELLED and new.cancelled_at is not None
    assert new.cancellation_reason == "原协议(第1版)已终止:合作终止。"
    with pytest.raises(ValidationError, match=re.escape("协议当前处于“已撤销”阶段,不能签署。")):
        agreement_sign(user=fresh(tree.liaison_a1), agreement=new, party=party_of(new, tree.unit_a1))
    assert party_of(new, tree.unit_a1).signed_at is None
