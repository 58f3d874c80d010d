"""The defects the review of #3 found, each pinned by a test: a liaison whose role sits on another
alliance than its unit's agreement, the credit code in the signed hash, cancelling a draft, claims
that lose their commitment, non-finite budgets, unbounded terms, recurring commitments without a due
date, resident ratings that add up, and the lesser ones (old public addresses, the preamble's length)."""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import random
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from agreements.models import (
    Agreement,
    Claim,
    ClaimStatus,
    Commitment,
    Evaluation,
    Need,
    NeedStatus,
    Party,
    PointEntry,
    PointReason,
    Project,
    Recurrence,
    Stage,
)
from agreements.selectors import (
    agreement_list,
    commitment_due_count,
    commitment_due_dates,
    commitment_next_due_on,
    unit_obligations,
)
from agreements.services import (
    agreement_amend,
    agreement_cancel,
    agreement_create,
    agreement_evaluate,
    agreement_moves,
    agreement_perform,
    agreement_publish,
    agreement_sign,
    agreement_terminate,
    agreement_update,
    claim_confirm,
    commitment_add,
    commitment_delete,
    commitment_update,
    evaluation_add,
    evaluation_add_resident,
    evidence_report,
    need_claim,
    need_create,
    need_publish,
    party_add,
    project_create,
)
from agreements.services.points import resident_points
from alliance.roles import Role
from members.services import membership_create

from .. import factories
from ..conftest import fresh
from .conftest import sign_all

TODAY = timezone.localdate


def sec(tree):
    return fresh(tree.community_secretary_a1)


def party_of(agreement, unit=None) -> Party:
    return agreement.parties.get(unit=unit) if unit is not None else agreement.parties.get(unit__isnull=True)


def api_url(name, pk=None, **kwargs):
    if pk is not None:
        kwargs["pk"] = pk
    return reverse(f"api:{name}", kwargs=kwargs or None)


# --- 1. a liaison sees and signs its unit's agreement, whatever alliance its role sits on ---------

@pytest.fixture
def cross(tree):
    """Unit A2 (registered in community A2, its liaison's role there) joins community A1 and is
    party to an agreement of community A1."""
    membership_create(user=fresh(tree.root), unit=tree.unit_a2, alliance=tree.community_a1)
    liaison = factories.user_with_role(tree.community_a2, Role.LIAISON, unit=tree.unit_a2, username="liaison_a2")
    agreement = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a2], title="翠园业委会共建协议",
                                    commitments=[
                                        {"unit": tree.unit_a2, "title": "每月开放业委会活动室", "recurrence": "monthly",
                                         "day_of_month": 15},
                                        {"unit": tree.unit_a2, "title": "组织业主代表参加议事会", "recurrence": "once",
                                         "due_on": TODAY() + dt.timedelta(days=5)},
                                    ])
    return SimpleNamespace(liaison=liaison, agreement=agreement)


def test_a_liaison_signs_and_carries_out_its_units_agreement_of_another_community(tree, client, api, cross):
    agreement, liaison = cross.agreement, cross.liaison
    assert agreement_list(user=fresh(liaison)).filter(pk=agreement.pk).exists()
    client.force_login(liaison)
    # The unit's page of obligations leads to the draft waiting for its signature.
    obligations_page = client.get(reverse("unit-obligations", kwargs={"pk": tree.unit_a2.pk})).content.decode()
    to_sign = obligations_page[obligations_page.index('data-testid="to-sign"'):]
    assert reverse("agreement-detail", kwargs={"pk": agreement.pk}) in to_sign and "翠园业委会共建协议" in to_sign
    page = client.get(reverse("agreement-detail", kwargs={"pk": agreement.pk}))
    assert page.status_code == 200 and f'data-testid="sign-{party_of(agreement, tree.unit_a2).pk}"' in page.content.decode()
    # Signs through the page, the secretary for the organisation; then published and performing.
    client.post(reverse("agreement-action", kwargs={"pk": agreement.pk, "action": "sign"}),
                {"party": party_of(agreement, tree.unit_a2).pk})
    assert party_of(agreement, tree.unit_a2).signed_by_id == liaison.pk
    agreement_sign(user=sec(tree), agreement=agreement, party=party_of(agreement))
    agreement_publish(user=sec(tree), agreement=agreement)
    agreement_perform(user=sec(tree), agreement=agreement)

    # Its obligations, page and PDF.
    obligations = unit_obligations(user=fresh(liaison), unit=tree.unit_a2)
    assert {c.title for c in obligations} == {"每月开放业委会活动室", "组织业主代表参加议事会"}
    obligations_page = client.get(reverse("unit-obligations", kwargs={"pk": tree.unit_a2.pk})).content.decode()
    assert "每月开放业委会活动室" in obligations_page and 'data-testid="to-sign"' not in obligations_page
    assert client.get(reverse("unit-obligations-pdf", kwargs={"pk": tree.unit_a2.pk})).status_code == 200

    # The API lists, evidence with a file, and a rating.
    rest = api(liaison)
    assert agreement.pk in [r["id"] for r in rest.get(api_url("agreement-list")).json()["results"]]
    commitments = rest.get(api_url("commitment-list"), {"agreement": agreement.pk}).json()["results"]
    assert len(commitments) == 2
    reported = rest.post(api_url("commitment-report", commitments[0]["id"]),
                         {"text": "活动室已开放。", "file": SimpleUploadedFile("照片.pdf", b"%PDF-1.4")},
                         format="multipart")
    assert reported.status_code == 201, reported.content
    evidence_url = reverse("agreement-evidence", kwargs={"pk": agreement.pk, "evidence_pk": reported.json()["id"]})
    assert client.get(evidence_url).status_code == 200
    rated = rest.post(api_url("agreement-rate", agreement.pk), {"score": 5, "comment": "社区组织有力。"}, format="json")
    assert rated.status_code == 201, rated.content


def test_a_liaison_still_sees_only_its_own_units_agreements(tree, client, api, cross):
    """Unit A1's liaison (same community as the agreement) is party to none of it: 404 as before."""
    agreement = cross.agreement
    client.force_login(tree.liaison_a1)
    assert client.get(reverse("agreement-detail", kwargs={"pk": agreement.pk})).status_code == 404
    assert agreement.pk not in [r["id"] for r in api(tree.liaison_a1).get(api_url("agreement-list")).json()["results"]]
    with pytest.raises(Http404):
        agreement_sign(user=fresh(tree.liaison_a1), agreement=agreement, party=party_of(agreement, tree.unit_a2))
    # And the neighbour community's secretary does not see it through the unit registered with it.
    assert not agreement_list(user=fresh(tree.community_secretary_a2)).filter(pk=agreement.pk).exists()


def test_evidence_by_the_liaison_of_another_community(tree, cross):
    agreement = sign_all_cross(tree, cross)
    commitment = agreement.commitments.order_by("pk").first()
    evidence = evidence_report(user=fresh(cross.liaison), commitment=commitment, text="已完成。")
    assert evidence.reported_by_id == cross.liaison.pk


def sign_all_cross(tree, cross) -> Agreement:
    agreement = cross.agreement
    agreement_sign(user=fresh(cross.liaison), agreement=agreement, party=party_of(agreement, tree.unit_a2))
    agreement_sign(user=sec(tree), agreement=agreement, party=party_of(agreement))
    agreement_publish(user=sec(tree), agreement=agreement)
    return agreement_perform(user=sec(tree), agreement=agreement)


# --- 2. the credit code snapshot (the service side is in test_services) ---------------------------

def test_the_data_migration_fills_the_snapshots_and_folds_resident_lines(tree, agreement_performing):
    migration = importlib.import_module("agreements.migrations.0003_review_fixes")
    agreement = agreement_performing
    Party.objects.update(credit_code="")
    year = TODAY().year
    for phone, score in (("13800000001", 5), ("13800000002", 4)):
        evaluation_add_resident(agreement=agreement, name="居民", phone=phone, score=score)
    evaluation_add(user=sec(tree), agreement=agreement, party=party_of(agreement), score=5)
    # The ledger as the old code wrote it: a line per resident rating.
    PointEntry.objects.filter(source_key__startswith="residents:").delete()
    unit_party = party_of(agreement, tree.unit_a1)
    for evaluation in Evaluation.objects.filter(rater_kind="resident"):
        PointEntry.objects.create(
            tenant_id=agreement.tenant_id, alliance=agreement.alliance, alliance_path=agreement.alliance_path,
            unit=tree.unit_a1, points=(evaluation.score - 3) * 2, reason=PointReason.RATED,
            source_key=f"evaluation:{evaluation.pk}:{unit_party.pk}")

    migration.fill_party_credit_codes(django_apps, None)
    migration.residents_once_per_period(django_apps, None)

    assert party_of(agreement, tree.unit_a1).credit_code == tree.unit_a1.credit_code
    assert party_of(agreement).credit_code == ""
    lines = PointEntry.objects.filter(unit=tree.unit_a1).order_by("source_key")
    party_rating = Evaluation.objects.get(rater_kind="party")
    assert list(lines.values_list("source_key", "points")) == [
        (f"evaluation:{party_rating.pk}:{unit_party.pk}", 4),  # a party's rating stays as it was
        (f"residents:{agreement.pk}:{year}", 3),  # average 4.5 → (4.5 − 3) × 2 = 3
    ]


# --- 3. cancelling a draft ------------------------------------------------------------------------

def test_a_partly_signed_draft_is_cancelled_with_a_reason(tree, agreement_draft):
    agreement_sign(user=sec(tree), agreement=agreement_draft, party=party_of(agreement_draft))
    with pytest.raises(Http404):
        agreement_cancel(user=fresh(tree.community_secretary_a2), agreement=agreement_draft, reason="越界")
    with pytest.raises(PermissionDenied):
        agreement_cancel(user=fresh(tree.liaison_a1), agreement=agreement_draft, reason="单位不想签了")
    with pytest.raises(ValidationError) as missing:
        agreement_cancel(user=sec(tree), agreement=agreement_draft, reason=" ")
    assert missing.value.message_dict == {"reason": ["请填写撤销理由。"]}
    assert Agreement.objects.get(pk=agreement_draft.pk).stage == Stage.DRAFT

    cancelled = agreement_cancel(user=sec(tree), agreement=agreement_draft, reason="物业公司改制,重新起草。")
    cancelled = Agreement.objects.get(pk=cancelled.pk)
    assert (cancelled.stage, cancelled.cancellation_reason) == (Stage.CANCELLED, "物业公司改制,重新起草。")
    assert cancelled.cancelled_at is not None and agreement_moves(cancelled) == set()
    with pytest.raises(ValidationError, match="协议当前处于“已撤销”阶段,不能签署。"):
        agreement_sign(user=fresh(tree.liaison_a1), agreement=cancelled, party=party_of(cancelled, tree.unit_a1))
    with pytest.raises(ValidationError, match="不能撤销"):
        agreement_cancel(user=sec(tree), agreement=cancelled, reason="再撤一次")


def test_a_signed_agreement_is_terminated_not_cancelled(tree, agreement_signed):
    with pytest.raises(ValidationError, match="协议当前处于“签约”阶段,不能撤销。"):
        agreement_cancel(user=sec(tree), agreement=agreement_signed, reason="不签了")


def test_a_cancelled_amendment_does_not_block_the_next_one(tree, agreement_performing):
    first = agreement_amend(user=sec(tree), agreement=agreement_performing)
    agreement_sign(user=sec(tree), agreement=first, party=party_of(first))
    with pytest.raises(ValidationError, match="已有修订稿"):
        agreement_amend(user=sec(tree), agreement=agreement_performing)
    agreement_cancel(user=sec(tree), agreement=first, reason="修订内容有误。")
    assert Agreement.objects.get(pk=agreement_performing.pk).stage == Stage.PERFORMING  # still in force
    second = agreement_amend(user=sec(tree), agreement=agreement_performing)
    assert (second.version, second.previous_id) == (2, agreement_performing.pk)
    sign_all(tree, second)
    assert Agreement.objects.get(pk=agreement_performing.pk).stage == Stage.SUPERSEDED
    assert set(Agreement.objects.filter(previous=agreement_performing).values_list("stage", flat=True)) == {
        Stage.CANCELLED, Stage.SIGNED}
    # The database keeps one live amendment per version.
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.filter(pk=first.pk).update(stage=Stage.DRAFT)


def test_cancel_through_the_page_and_the_api(tree, client, api, agreement_draft):
    url = reverse("agreement-detail", kwargs={"pk": agreement_draft.pk})
    action = reverse("agreement-action", kwargs={"pk": agreement_draft.pk, "action": "cancel"})
    client.force_login(tree.liaison_a1)
    assert 'data-testid="cancel"' not in client.get(url).content.decode()
    assert client.post(action, {"reason": "不签了"}).status_code == 403
    client.force_login(tree.community_secretary_a1)
    assert 'data-testid="cancel"' in client.get(url).content.decode()
    refused = client.post(action, {"reason": ""}, follow=True).content.decode()
    assert "请填写撤销理由。" in refused and Agreement.objects.get(pk=agreement_draft.pk).stage == Stage.DRAFT
    done = client.post(action, {"reason": "条件变化,暂不签约。"}, follow=True).content.decode()
    assert "协议草稿已撤销。" in done and "撤销理由" in done and "条件变化,暂不签约。" in done
    assert Agreement.objects.get(pk=agreement_draft.pk).stage == Stage.CANCELLED

    other = factories.agreement(tree.community_a1, by=sec(tree), units=[tree.unit_a1], title="另一份草稿")
    assert api(tree.liaison_a1).post(api_url("agreement-cancel", other.pk), {"reason": "x"},
                                     format="json").status_code == 403
    assert api(tree.community_secretary_a2).post(api_url("agreement-cancel", other.pk), {"reason": "x"},
                                                 format="json").status_code == 404
    answer = api(tree.community_secretary_a1).post(api_url("agreement-cancel", other.pk),
                                                   {"reason": "合并到另一份协议。"}, format="json")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["stage"], body["cancellation_reason"], body["moves"]) == ("cancelled", "合并到另一份协议。", [])


def test_the_amendment_chain_on_the_page_names_the_live_and_the_cancelled_amendments(tree, client,
                                                                                    agreement_performing):
    dropped = agreement_amend(user=sec(tree), agreement=agreement_performing)
    agreement_cancel(user=sec(tree), agreement=dropped, reason="作废")
    live = agreement_amend(user=sec(tree), agreement=agreement_performing)
    client.force_login(tree.community_secretary_a1)
    page = client.get(reverse("agreement-detail", kwargs={"pk": agreement_performing.pk})).content.decode()
    amended_by = page[page.index('data-testid="amended-by"'):]
    assert reverse("agreement-detail", kwargs={"pk": live.pk}) in amended_by.split("</li>")[0]
    assert 'data-testid="cancelled-amendment"' in page


# --- 4. claims keep their commitment; points once signed --------------------------------------------

@pytest.fixture
def confirmed(tree):
    need = need_publish(user=sec(tree), need=need_create(user=sec(tree), alliance=tree.community_a1,
                                                         title="小区消防通道标识更新", category="other"))
    claim = need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)
    commitment = claim_confirm(user=sec(tree), claim=claim, due_on=TODAY() + dt.timedelta(days=10))
    return SimpleNamespace(need=need, claim=claim, commitment=commitment)


@pytest.fixture
def confirmed_pending(tree):
    need = need_publish(user=sec(tree), need=need_create(user=sec(tree), alliance=tree.community_a1,
                                                         title="楼道声控灯更换", category="other"))
    return need_claim(user=fresh(tree.liaison_a1), need=need, unit=tree.unit_a1)


def test_a_commitment_from_a_claim_cannot_be_deleted_or_moved(tree, confirmed, unit_a1b):
    commitment = confirmed.commitment
    for user in (tree.liaison_a1, tree.community_secretary_a1):
        with pytest.raises(ValidationError, match="来自“锦霞物业服务有限公司”对需求“小区消防通道标识更新”的认领,不能删除"):
            commitment_delete(user=fresh(user), commitment=commitment)
    other = party_add(user=sec(tree), agreement=commitment.agreement, unit=unit_a1b)
    with pytest.raises(ValidationError) as moved:
        commitment_update(user=sec(tree), commitment=commitment, party=other)
    assert "不能改由其他签约方承担" in moved.value.message_dict["party"][0]
    # Other edits of the promise are fine while drafting.
    commitment_update(user=sec(tree), commitment=commitment, title="更新消防通道标识和地面标线")
    claim = Claim.objects.get(pk=confirmed.claim.pk)
    assert claim.status == ClaimStatus.CONFIRMED and claim.commitment.party.unit_id == tree.unit_a1.pk
    # The database backs it: the commitment cannot go from under its claim.
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).delete()


def test_a_claim_earns_its_points_when_its_agreement_is_signed(tree, confirmed):
    agreement = confirmed.commitment.agreement
    assert not PointEntry.objects.exists()
    agreement_sign(user=fresh(tree.liaison_a1), agreement=agreement, party=party_of(agreement, tree.unit_a1))
    assert not PointEntry.objects.exists()  # partly signed: not yet
    agreement_sign(user=sec(tree), agreement=agreement, party=party_of(agreement))
    assert list(PointEntry.objects.values_list("unit_id", "points", "reason", "source_key")) == [
        (tree.unit_a1.pk, 5, PointReason.CLAIMED, f"claim:{confirmed.claim.pk}")]


def test_cancelling_the_draft_releases_the_claim_and_reopens_the_need(tree, confirmed, liaison_a1b, unit_a1b):
    agreement_cancel(user=sec(tree), agreement=confirmed.commitment.agreement, reason="改由街道统筹。")
    claim = Claim.objects.get(pk=confirmed.claim.pk)
    assert claim.status == ClaimStatus.DECLINED and claim.declined_reason == "协议草稿已撤销:改由街道统筹。"
    assert Need.objects.get(pk=confirmed.need.pk).status == NeedStatus.PUBLISHED
    assert not PointEntry.objects.exists()
    need_claim(user=fresh(liaison_a1b), need=Need.objects.get(pk=confirmed.need.pk), unit=unit_a1b)


# --- 5. budgets --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("budget", "message"), [
    ("NaN", "请填写有效的预算金额"), ("sNaN", "请填写有效的预算金额"), ("Infinity", "请填写有效的预算金额"),
    ("-Infinity", "请填写有效的预算金额"), ("abc", "请填写有效的预算金额"), ("1e400", "预算金额应在0到"),
    ("10000000000", "预算金额应在0到"), ("-0.01", "预算金额应在0到"), ("12.345", "最多保留两位小数"),
    ("0.001", "最多保留两位小数"),
])
def test_a_budget_that_is_not_an_amount_is_refused_with_a_message(tree, client, budget, message):
    with pytest.raises(ValidationError) as bad:
        project_create(user=sec(tree), alliance=tree.community_a1, title="助餐项目", lead_unit=tree.unit_a1,
                       budget=budget)
    assert message in bad.value.message_dict["budget"][0]
    client.force_login(tree.community_secretary_a1)
    response = client.post(reverse("project-create", kwargs={"pk": tree.community_a1.pk}),
                           {"title": "助餐项目", "lead_unit": tree.unit_a1.pk, "budget": budget})
    assert response.status_code == 200 and message in response.content.decode()
    assert not Project.objects.exists()


def test_good_budgets_are_kept_to_the_cent(tree):
    for budget, kept in (("12.30", "12.30"), (" 9999999999.99 ", "9999999999.99"), ("", "0"), (50000, "50000")):
        project = project_create(user=sec(tree), alliance=tree.community_a1, title="项目", lead_unit=tree.unit_a1,
                                 budget=budget)
        project.refresh_from_db()
        assert project.budget == Decimal(kept)


def test_the_api_answers_400_not_500_to_a_non_finite_budget(tree, api):
    rest = api(tree.community_secretary_a1)
    for budget in ("NaN", "sNaN", "Infinity", "12.345", "1e10"):
        response = rest.post(api_url("project-list"), {"alliance": tree.community_a1.pk, "title": "p",
                                                       "lead_unit": tree.unit_a1.pk, "budget": budget}, format="json")
        assert response.status_code == 400 and "budget" in response.json()["errors"], (budget, response.content)
    assert not Project.objects.exists()


# --- 6. the term is capped; schedules are computed, not walked -------------------------------------

def test_the_term_starts_after_2000_and_lasts_at_most_ten_years(tree, agreement_draft):
    with pytest.raises(ValidationError) as ancient:
        agreement_create(user=sec(tree), alliance=tree.community_a1, title="千年协议", term_start="0001-01-01",
                         term_end="9999-12-31")
    assert "不能早于2000-01-01" in ancient.value.message_dict["term_start"][0]
    with pytest.raises(ValidationError) as long:
        agreement_create(user=sec(tree), alliance=tree.community_a1, title="长期协议", term_start="2026-03-01",
                         term_end="2036-03-02")
    assert long.value.message_dict["term_end"] == ["履约期最长10年,结束日期不能晚于2036-03-01。"]
    agreement_create(user=sec(tree), alliance=tree.community_a1, title="十年协议", term_start="2026-03-01",
                     term_end="2036-03-01")
    with pytest.raises(ValidationError) as leap:
        agreement_create(user=sec(tree), alliance=tree.community_a1, title="闰日", term_start="2028-02-29",
                         term_end="2038-03-01")
    assert "2038-02-28" in leap.value.message_dict["term_end"][0]
    before = Agreement.objects.get(pk=agreement_draft.pk)
    with pytest.raises(ValidationError):
        agreement_update(user=sec(tree), agreement=agreement_draft, term_start="0001-01-01", term_end="9999-12-31")
    with pytest.raises(ValidationError):
        agreement_update(user=sec(tree), agreement=agreement_draft, term_end="9999-12-31")
    after = Agreement.objects.get(pk=agreement_draft.pk)
    assert (after.term_start, after.term_end) == (before.term_start, before.term_end)


def test_a_claim_confirmed_into_a_new_draft_keeps_within_the_longest_term(tree, confirmed_pending):
    with pytest.raises(ValidationError) as far:
        claim_confirm(user=sec(tree), claim=confirmed_pending, due_on="9999-12-31")
    assert "协议履约期最长10年" in far.value.message_dict["due_on"][0]
    assert Claim.objects.get(pk=confirmed_pending.pk).status == ClaimStatus.PENDING


def test_the_term_page_shows_the_message(tree, client, agreement_draft):
    client.force_login(tree.community_secretary_a1)
    page = client.post(reverse("agreement-action", kwargs={"pk": agreement_draft.pk, "action": "update"}),
                       {"title": "y", "term_start": "0001-01-01", "term_end": "9999-12-31"}, follow=True)
    assert "不能早于2000-01-01" in page.content.decode()
    assert Agreement.objects.get(pk=agreement_draft.pk).term_start >= dt.date(2000, 1, 1)


def _walk(commitment, agreement, start, end):
    """The schedule the slow way: every day of the window (the reference for the arithmetic)."""
    days, day = [], max(start, agreement.term_start)
    end = min(end, agreement.term_end)
    while day <= end:
        if commitment.recurrence == Recurrence.ONCE:
            ok = day == commitment.due_on
        else:
            month_ok = {Recurrence.MONTHLY: True, Recurrence.QUARTERLY: day.month in (1, 4, 7, 10),
                        Recurrence.YEARLY: day.month == agreement.term_start.month}[commitment.recurrence]
            ok = month_ok and day.day == commitment.day_of_month
        if ok:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def test_the_schedule_arithmetic_matches_a_day_by_day_walk():
    rng = random.Random(2026)
    for _case in range(300):
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 800))
        agreement = Agreement(term_start=start, term_end=start + dt.timedelta(days=rng.randrange(0, 900)))
        recurrence = rng.choice([Recurrence.MONTHLY, Recurrence.QUARTERLY, Recurrence.YEARLY])
        commitment = Commitment(recurrence=recurrence, day_of_month=rng.randrange(1, 29))
        window_start = start + dt.timedelta(days=rng.randrange(-60, 400))
        window_end = window_start + dt.timedelta(days=rng.randrange(0, 700))
        expected = _walk(commitment, agreement, window_start, window_end)
        assert commitment_due_dates(commitment, agreement=agreement, start=window_start, end=window_end) == expected
        assert commitment_due_count(commitment, agreement=agreement, start=window_start, end=window_end) == len(
            expected)
        everything = _walk(commitment, agreement, window_start, agreement.term_end)
        assert commitment_next_due_on(commitment, agreement=agreement, on_or_after=window_start) == (
            everything[0] if everything else None)


def test_the_schedule_of_a_huge_term_is_computed_at_once():
    """Whatever a term may have been stored as, the next date and the count need no walk."""
    agreement = Agreement(term_start=dt.date(2000, 1, 1), term_end=dt.date(9999, 12, 31))
    monthly = Commitment(recurrence=Recurrence.MONTHLY, day_of_month=15)
    assert commitment_due_count(monthly, agreement=agreement, start=dt.date(2000, 1, 1),
                                end=dt.date(9999, 12, 31)) == 8000 * 12
    assert commitment_next_due_on(monthly, agreement=agreement, on_or_after=dt.date(9999, 12, 16)) is None
    yearly = Commitment(recurrence=Recurrence.YEARLY, day_of_month=1)
    assert commitment_next_due_on(yearly, agreement=agreement, on_or_after=dt.date(9999, 1, 2)) is None
    assert commitment_due_dates(yearly, agreement=agreement, start=dt.date(9998, 6, 1),
                                end=dt.date(9999, 12, 31)) == [dt.date(9999, 1, 1)]


def test_evaluating_early_counts_every_date_still_to_come(tree):
    today = TODAY()
    agreement = factories.agreement(
        tree.community_a1, by=sec(tree), units=[tree.unit_a1], term_start=today,
        term_end=today.replace(year=today.year + 10) - dt.timedelta(days=1),
        commitments=[{"unit": tree.unit_a1, "title": f"每月{i}", "recurrence": "monthly", "day_of_month": 15}
                     for i in range(3)])
    sign_all(tree, agreement)
    agreement_publish(user=sec(tree), agreement=agreement)
    agreement_perform(user=sec(tree), agreement=agreement)
    per_commitment = len(_walk(Commitment(recurrence=Recurrence.MONTHLY, day_of_month=15),
                               Agreement.objects.get(pk=agreement.pk), today, agreement.term_end))
    with pytest.raises(ValidationError, match=f"还有{3 * per_commitment}期承诺事项没有办结"):
        agreement_evaluate(user=sec(tree), agreement=agreement)
    obligations = unit_obligations(user=sec(tree), unit=tree.unit_a1)
    assert all(c.next_due_on is not None and c.next_due_on.day == 15 for c in obligations)


# --- 7. recurring commitments need a due date in the term -------------------------------------------

def test_a_recurring_commitment_without_a_date_in_the_term_is_refused(tree):
    yearly_term = agreement_create(user=sec(tree), alliance=tree.community_a1, title="年度协议",
                                   term_start="2026-05-20", term_end="2027-05-10", units=[tree.unit_a1])
    unit_party = party_of(yearly_term, tree.unit_a1)
    with pytest.raises(ValidationError) as yearly:
        commitment_add(user=sec(tree), agreement=yearly_term, party=unit_party, title="年度慰问", recurrence="yearly",
                       day_of_month=15)
    assert yearly.value.message_dict["day_of_month"] == [
        "“年度慰问”按所选周期在履约期内没有应完成的日期,请调整每期日期、周期或履约期。"]
    kept = commitment_add(user=sec(tree), agreement=yearly_term, party=unit_party, title="年度慰问",
                          recurrence="yearly", day_of_month=25)  # 2026-05-25
    short = agreement_create(user=sec(tree), alliance=tree.community_a1, title="两个月", term_start="2026-05-01",
                             term_end="2026-06-30", units=[tree.unit_a1])
    with pytest.raises(ValidationError, match="没有应完成的日期"):
        commitment_add(user=sec(tree), agreement=short, party=party_of(short, tree.unit_a1), title="季度检查",
                       recurrence="quarterly", day_of_month=15)
    monthly = commitment_add(user=sec(tree), agreement=short, party=party_of(short, tree.unit_a1), title="月度检查",
                             recurrence="monthly", day_of_month=15)
    with pytest.raises(ValidationError, match="没有应完成的日期"):
        commitment_update(user=sec(tree), commitment=monthly, recurrence="quarterly")
    assert Commitment.objects.get(pk=monthly.pk).recurrence == "monthly"
    # Moving the term so that a commitment has no date left is refused too.
    with pytest.raises(ValidationError) as moved:
        agreement_update(user=sec(tree), agreement=yearly_term, term_start="2026-05-26", term_end="2027-05-20")
    assert "“年度慰问”按所选周期在履约期内没有应完成的日期" in moved.value.message_dict["term_end"][0]
    assert Agreement.objects.get(pk=yearly_term.pk).term_start == dt.date(2026, 5, 20)
    assert kept.pk


# --- 8. residents count once per agreement and period -----------------------------------------------

def test_resident_ratings_give_one_recomputed_line_per_agreement_period_and_unit(tree, agreement_performing):
    agreement, year = agreement_performing, TODAY().year
    key = f"residents:{agreement.pk}:{year}"
    phones = (f"1380000{n:04d}" for n in itertools.count(1))

    def rate(score):
        evaluation_add_resident(agreement=agreement, name="居民", phone=next(phones), score=score)
        return list(PointEntry.objects.filter(reason=PointReason.RATED).values_list("unit_id", "source_key", "points"))

    assert rate(5) == [(tree.unit_a1.pk, key, 4)]
    assert rate(5) == [(tree.unit_a1.pk, key, 4)]  # ten fives are still +4, not +40
    assert rate(4) == [(tree.unit_a1.pk, key, 3)]  # average 4.67 → 3.33 → 3
    assert rate(1) == [(tree.unit_a1.pk, key, 2)]  # average 3.75 → 1.5 → 2
    assert rate(1) == []  # average 3.2 → 0.4 → 0: no line
    for _i in range(5):
        lines = rate(1)
    assert lines == [(tree.unit_a1.pk, key, -2)]  # average 2.1 → −1.8 → −2
    # A party's rating is counted as before, one line of its own.
    evaluation_add(user=sec(tree), agreement=agreement, party=party_of(agreement), score=5)
    assert PointEntry.objects.filter(reason=PointReason.RATED).count() == 2


def test_resident_points_round_half_up():
    assert [resident_points(a) for a in (5, 4.75, 4.25, 3.25, 3, 2.75, 2.25, 1)] == [4, 4, 3, 1, 0, -1, -2, -4]


# --- lesser: the preamble's length ------------------------------------------------------------------

def test_the_preamble_has_a_length_limit(tree, agreement_draft):
    with pytest.raises(ValidationError) as long:
        agreement_create(user=sec(tree), alliance=tree.community_a1, title="长说明", term_start=TODAY(),
                         term_end=TODAY(), preamble="共" * 10001)
    assert "不能超过10000个字" in long.value.message_dict["preamble"][0]
    with pytest.raises(ValidationError):
        agreement_update(user=sec(tree), agreement=agreement_draft, preamble="共" * 10001)
    agreement_update(user=sec(tree), agreement=agreement_draft, preamble="共" * 10000)


def test_a_terminated_agreements_open_amendment_is_cancelled(tree, agreement_performing):
    draft = agreement_amend(user=sec(tree), agreement=agreement_performing)
    agreement_terminate(user=sec(tree), agreement=agreement_performing, reason="合作终止。")
    assert Agreement.objects.get(pk=draft.pk).stage == Stage.CANCELLED
