"""Reads of agreements and the three lists: who sees what, matches, obligations, progress, ranking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from agreements.models import Agreement, CommitmentItem, Stage
from agreements.selectors import (
    agreement_get_for_user,
    agreement_list,
    agreement_progress,
    claim_get_for_user,
    claim_list,
    commitment_due_dates,
    commitment_get_for_user,
    commitment_list,
    need_get_for_user,
    need_list,
    need_matches,
    point_entries,
    points_ranking,
    project_get_for_user,
    project_list,
    resource_get_for_user,
    resource_list,
    unit_obligations,
)
from agreements.services import (
    agreement_terminate,
    need_claim,
    need_create,
    need_publish,
    points_award_fulfilled,
    project_create,
    resource_create,
)
from alliance.roles import Role
from tasks.services import item_confirm, item_resolve, item_start

from .. import factories
from ..conftest import fresh

READERS = ("root", "district_admin", "secretary_a", "staff_a", "community_secretary_a1", "observer", "liaison_a1")
OUTSIDERS = ("community_secretary_a2", "secretary_b", "other_tenant_admin")


def sec(tree):
    return fresh(tree.community_secretary_a1)


@pytest.mark.parametrize("who", READERS)
def test_the_alliance_above_observers_and_the_partys_liaison_read_the_agreement(tree, agreement_performing, who):
    user = fresh(getattr(tree, who))
    assert agreement_get_for_user(user=user, pk=agreement_performing.pk) == agreement_performing
    commitment = agreement_performing.commitments.first()
    assert commitment_get_for_user(user=user, pk=commitment.pk) == commitment
    assert set(commitment_list(user=user)) == set(agreement_performing.commitments.all())


@pytest.mark.parametrize("who", (*OUTSIDERS, "liaison_a1b"))
def test_neighbours_and_an_unrelated_units_liaison_get_404(tree, agreement_performing, liaison_a1b, who):
    user = fresh(liaison_a1b if who == "liaison_a1b" else getattr(tree, who))
    with pytest.raises(Http404):
        agreement_get_for_user(user=user, pk=agreement_performing.pk)
    with pytest.raises(Http404):
        commitment_get_for_user(user=user, pk=agreement_performing.commitments.first().pk)
    assert not agreement_list(user=user).exists() and not commitment_list(user=user).exists()
    with pytest.raises(Http404):
        unit_obligations(user=user, unit=tree.unit_a1)


def test_the_lists_are_scoped(tree, agreement_draft, liaison_a1b, unit_a1b):
    hall = resource_create(user=sec(tree), alliance=tree.community_a1, unit=tree.unit_a1, title="活动室",
                           category="venue")
    draft = need_create(user=sec(tree), alliance=tree.community_a1, title="草稿", category="venue")
    published = need_publish(user=sec(tree), need=need_create(user=sec(tree), alliance=tree.community_a1,
                                                              title="助老志愿者", category="volunteers"))
    claim = need_claim(user=fresh(tree.liaison_a1), need=published, unit=tree.unit_a1)
    project = project_create(user=sec(tree), alliance=tree.community_a1, title="幸福食堂", lead_unit=tree.unit_a1)

    handler = sec(tree)
    assert list(resource_list(user=handler)) == [hall]
    assert set(need_list(user=handler)) == {draft, published}
    assert list(claim_list(user=handler)) == [claim] and list(project_list(user=handler)) == [project]

    # A liaison: its unit's resources, claims and projects; the published needs it may claim.
    own = fresh(tree.liaison_a1)
    assert resource_get_for_user(user=own, pk=hall.pk) == hall
    assert claim_get_for_user(user=own, pk=claim.pk) == claim
    assert project_get_for_user(user=own, pk=project.pk) == project
    assert list(need_list(user=own)) == [published]
    other = fresh(liaison_a1b)
    assert need_get_for_user(user=other, pk=published.pk) == published  # shown as claimed, for 抢单
    for get, obj in ((resource_get_for_user, hall), (claim_get_for_user, claim), (project_get_for_user, project),
                     (need_get_for_user, draft)):
        with pytest.raises(Http404):
            get(user=other, pk=obj.pk)
    for who in OUTSIDERS:
        user = fresh(getattr(tree, who))
        assert not any(qs(user=user).exists() for qs in (resource_list, need_list, claim_list, project_list))


def test_a_unit_of_the_street_sees_the_published_needs_of_its_communities(tree):
    street_unit = factories.unit(tree.street_a, by=tree.root, name="春晖路派出所")
    liaison = factories.user_with_role(tree.street_a, Role.LIAISON, unit=street_unit, username="police")
    need_a1 = need_publish(user=sec(tree), need=need_create(user=sec(tree), alliance=tree.community_a1,
                                                            title="夜间巡逻", category="volunteers"))
    need_b1 = need_publish(user=fresh(tree.secretary_b), need=need_create(
        user=fresh(tree.secretary_b), alliance=tree.community_b1, title="别的街道", category="volunteers"))
    assert list(need_list(user=fresh(liaison))) == [need_a1]
    need_claim(user=fresh(liaison), need=need_a1, unit=street_unit)
    with pytest.raises(Http404):
        need_claim(user=fresh(liaison), need=need_b1, unit=street_unit)


def test_matches_are_available_resources_of_the_same_kind_here_and_one_level_up(tree):
    street_unit = factories.unit(tree.street_a, by=tree.root, name="春晖路社区卫生服务中心")
    district_unit = factories.unit(tree.district, by=tree.root, name="区人民医院")
    need = need_create(user=sec(tree), alliance=tree.community_a1, title="慢病随访", category="medical")

    def offer(alliance, unit, title, **extra):
        return resource_create(user=fresh(tree.root), alliance=alliance, unit=unit, title=title,
                               category=extra.pop("category", "medical"), **extra)

    here = offer(tree.community_a1, tree.unit_a1, "物业医务室")
    above = offer(tree.street_a, street_unit, "家庭医生签约")
    offer(tree.district, district_unit, "专家义诊")  # two levels up
    offer(tree.community_a1, tree.unit_a1, "活动室", category="venue")
    offer(tree.community_a1, tree.unit_a1, "已停用", available=False)
    offer(tree.community_a1, tree.unit_a1, "已过期", available_until=timezone.localdate() - dt.timedelta(days=1))
    assert list(need_matches(user=sec(tree), need=need)) == [here, above]
    with pytest.raises(Http404):
        need_matches(user=fresh(tree.community_secretary_a2), need=need)


def test_obligations_list_what_the_unit_owes_and_when(tree, agreement_performing):
    today = timezone.localdate()
    obligations = unit_obligations(user=fresh(tree.liaison_a1), unit=tree.unit_a1)
    assert {c.title for c in obligations} == {"每月清理楼道和公共区域", "为老旧小区更换单元门禁"}
    assert [c.next_due_on for c in obligations] == sorted(c.next_due_on for c in obligations)
    monthly = next(c for c in obligations if c.recurrence == "monthly")
    assert monthly.next_due_on.day == 15 and monthly.next_due_on >= today
    assert all(o.item.assignee_unit_id == tree.unit_a1.pk for o in monthly.occurrences.all())
    agreement_terminate(user=sec(tree), agreement=agreement_performing, reason="调整。")
    assert unit_obligations(user=sec(tree), unit=tree.unit_a1) == []


def test_progress_counts_done_open_and_overdue(tree, agreement_performing):
    occurrences = list(CommitmentItem.objects.filter(commitment__agreement=agreement_performing,
                                                     commitment__party__unit=tree.unit_a1).order_by("due_on"))
    item = item_start(user=sec(tree), item=occurrences[0].item)
    item_resolve(user=fresh(tree.liaison_a1), item=item, note="完成。")
    total = CommitmentItem.objects.filter(commitment__agreement=agreement_performing).count()
    progress = agreement_progress(agreement_performing)
    assert progress == {"total": total, "done": 1, "open": total - 1, "overdue": 0, "rejected": 0}
    later = max(o.due_on for o in occurrences) + dt.timedelta(days=1)
    assert agreement_progress(agreement_performing, today=later)["overdue"] >= len(occurrences) - 1


def test_the_ranking_sums_points_over_the_subtree(tree, agreement_performing):
    occurrence = CommitmentItem.objects.filter(commitment__party__unit=tree.unit_a1).first()
    item = item_start(user=sec(tree), item=occurrence.item)
    item_resolve(user=fresh(tree.liaison_a1), item=item, note="完成。")
    item_confirm(user=sec(tree), item=item, solved=True)
    points_award_fulfilled()
    for who, alliance in (("community_secretary_a1", tree.community_a1), ("secretary_a", tree.street_a),
                          ("district_admin", tree.district), ("liaison_a1", tree.community_a1)):
        ranking = list(points_ranking(user=fresh(getattr(tree, who)), alliance=alliance))
        assert [(u.name, u.total_points) for u in ranking] == [("锦霞物业服务有限公司", 10)]
    assert point_entries(user=sec(tree), alliance=tree.community_a1, unit=tree.unit_a1).count() == 1
    assert not points_ranking(user=fresh(tree.secretary_b), alliance=tree.street_b).exists()
    with pytest.raises(Http404):
        points_ranking(user=fresh(tree.secretary_b), alliance=tree.community_a1)


def test_due_dates_of_each_recurrence():
    agreement = Agreement(term_start=dt.date(2026, 2, 1), term_end=dt.date(2027, 1, 31), stage=Stage.PERFORMING)
    from agreements.models import Commitment

    def dates(**fields):
        return commitment_due_dates(Commitment(**fields), agreement=agreement, start=dt.date(2025, 1, 1),
                                    end=dt.date(2028, 1, 1))

    assert dates(recurrence="once", due_on=dt.date(2026, 3, 3)) == [dt.date(2026, 3, 3)]
    assert dates(recurrence="once", due_on=dt.date(2028, 3, 3)) == []  # outside the term
    assert len(dates(recurrence="monthly", day_of_month=1)) == 12
    assert dates(recurrence="quarterly", day_of_month=5) == [dt.date(2026, 4, 5), dt.date(2026, 7, 5),
                                                             dt.date(2026, 10, 5), dt.date(2027, 1, 5)]
    assert dates(recurrence="yearly", day_of_month=28) == [dt.date(2026, 2, 28)]
