"""Reporting, the report-day register, posts and places, orders, points and the time bank."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection
from django.http import Http404
from django.utils import timezone

from party import selectors, services
from party.models import (
    Attendance,
    ClaimStatus,
    Order,
    OrderStatus,
    PartyMember,
    PointEntry,
    PointKind,
    PostClaim,
    Report,
    TimeBankEntry,
)
from tasks.models import Status as ItemStatus
from tasks.services import item_confirm, item_create, item_rate

from ..conftest import fresh


def test_member_reports_self_service_and_staff_enter_others(tree, dangyuan, walkin):
    assert Report.objects.get(member=dangyuan, ended_at__isnull=True).self_service
    assert not Report.objects.get(member=walkin, ended_at__isnull=True).self_service
    # Reporting earns the default 5 points, once.
    assert selectors.points_total(dangyuan) == 5
    with pytest.raises(ValidationError):
        services.report_create(user=fresh(dangyuan.user), member=dangyuan)
    # The member moves: a report to another community ends the first and makes it their home.
    services.report_create(user=fresh(dangyuan.user), member=dangyuan, community=tree.community_b1)
    dangyuan.refresh_from_db()
    assert dangyuan.community_id == tree.community_b1.pk and dangyuan.alliance_path == tree.community_b1.path
    assert Report.objects.filter(member=dangyuan, ended_at__isnull=True).count() == 1
    assert selectors.points_total(dangyuan) == 10


def test_staff_of_a_neighbour_cannot_enter_a_report(tree):
    member = services.party_member_create(user=tree.root, community=tree.community_a1, name="赵党员")
    with pytest.raises(Http404):
        services.report_create(user=fresh(tree.secretary_b), member=member)
    with pytest.raises(Http404):  # nor pull the member into their own community
        services.report_create(user=fresh(tree.secretary_b), member=member, community=tree.community_b1)
    with pytest.raises(PermissionDenied):  # observers read, they do not write
        services.report_create(user=fresh(tree.observer), member=member)
    assert not Report.objects.filter(member=member).exists()


def test_bad_member_input_is_refused_with_messages(tree):
    with pytest.raises(ValidationError) as bad:
        services.party_member_create(user=tree.root, community=tree.community_a1, name=" ", phone="abc",
                                     id_number="123")
    assert set(bad.value.message_dict) == {"name", "phone", "id_number"}
    with pytest.raises(ValidationError):
        services.party_member_create(user=tree.root, community=tree.street_a, name="钱党员")
    assert not PartyMember.objects.exists()


def _backdate(member, days_ago: int):
    Report.objects.filter(member=member).update(reported_at=timezone.now() - dt.timedelta(days=days_ago))


def test_register_and_three_month_absence(tree, dangyuan, walkin, settings):
    settings.PARTY_REPORT_DAY = 15
    today = dt.date(2026, 11, 20)
    days = selectors.last_report_days(today=today)
    assert days == [dt.date(2026, 11, 15), dt.date(2026, 10, 15), dt.date(2026, 9, 15)]
    assert selectors.last_report_days(today=dt.date(2026, 11, 14))[0] == dt.date(2026, 10, 15)
    early = dt.datetime(2026, 8, 1, 10, tzinfo=timezone.get_current_timezone())
    Report.objects.filter(member__in=[dangyuan, walkin]).update(reported_at=early)
    late = services.party_member_create(user=tree.root, community=tree.community_a1, name="孙党员")
    services.report_create(user=tree.staff_a, member=late, now=dt.datetime(2026, 10, 1, 9, tzinfo=timezone.get_current_timezone()))
    staff = fresh(tree.staff_a)
    services.attendance_record(user=staff, community=tree.community_a1, members=[dangyuan],
                               month=dt.date(2026, 9, 1))
    # Recording twice changes nothing; the day defaults to the report day.
    assert services.attendance_record(user=staff, community=tree.community_a1, members=[dangyuan],
                                      month=dt.date(2026, 9, 1)) == 0
    assert Attendance.objects.get(member=dangyuan).attended_on == dt.date(2026, 9, 15)
    rows = selectors.register(community=tree.community_a1, month=dt.date(2026, 9, 1))
    assert [(r["member"].name, r["came"]) for r in rows] == [("张党员", True), ("李党员", False)]
    # 孙 reported in October: on the September register it is not, on the October one it is.
    october = selectors.register(community=tree.community_a1, month=dt.date(2026, 10, 1))
    assert {r["member"].name for r in october} == {"张党员", "李党员", "孙党员"}
    # Absent on each of the last three report days, reported before the first: only 李.
    absent = selectors.absent_three_months(community=tree.community_a1, today=today)
    assert [m.name for m in absent] == ["李党员"]
    # Attendance earns reporting points.
    assert selectors.points_total(dangyuan) == 10


def test_attendance_only_for_members_reported_here(tree, dangyuan, member_b1):
    with pytest.raises(ValidationError):
        services.attendance_record(user=tree.root, community=tree.community_a1, members=[dangyuan, member_b1],
                                   month=timezone.localdate())
    assert not Attendance.objects.exists()
    with pytest.raises(Http404):
        services.attendance_record(user=fresh(tree.community_secretary_a2), community=tree.community_a1,
                                   members=[dangyuan], month=timezone.localdate())
    with pytest.raises(ValidationError):
        services.attendance_record(user=tree.root, community=tree.community_a1, members=[dangyuan],
                                   month=timezone.localdate() + dt.timedelta(days=40))


def test_report_day_setting(settings):
    settings.PARTY_REPORT_DAY = 31
    assert services.report_day(dt.date(2026, 2, 1)) == dt.date(2026, 2, 28)
    settings.PARTY_REPORT_DAY = 10
    assert services.report_day(dt.date(2026, 2, 1)) == dt.date(2026, 2, 10)


def test_claims_beyond_the_places_are_refused(tree, dangyuan, walkin):
    third = services.party_member_create(user=tree.root, community=tree.community_a1, name="周党员")
    services.report_create(user=tree.root, member=third)
    post = services.post_create(user=fresh(tree.community_secretary_a1), community=tree.community_a1,
                                title="3栋楼栋志愿者", kind="building", places=2)
    services.post_claim(user=fresh(dangyuan.user), post=post, member=dangyuan)
    with pytest.raises(ValidationError):  # twice by the same member
        services.post_claim(user=fresh(dangyuan.user), post=post, member=dangyuan)
    services.post_claim(user=fresh(tree.staff_a), post=post, member=walkin)
    with pytest.raises(ValidationError) as full:
        services.post_claim(user=tree.root, post=post, member=third)
    assert "名额已满" in full.value.messages[0]
    # A place given back is free again.
    claim = PostClaim.objects.get(member=walkin)
    services.claim_withdraw(user=fresh(tree.staff_a), claim=claim)
    services.post_claim(user=tree.root, post=post, member=third)
    assert PostClaim.objects.filter(post=post, status__in=["claimed", "confirmed"]).count() == 2


def test_a_member_of_another_community_cannot_claim(tree, dangyuan, member_b1):
    post = services.post_create(user=tree.root, community=tree.community_a1, title="政策宣讲员",
                                kind="policy", places=5)
    with pytest.raises(ValidationError):
        services.post_claim(user=tree.root, post=post, member=member_b1)
    with pytest.raises(Http404):  # the neighbour's staff cannot claim for someone of ours
        services.post_claim(user=fresh(tree.secretary_b), post=post, member=dangyuan)
    assert not PostClaim.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_members_claiming_the_last_place_at_once(tree, dangyuan, walkin):
    if connection.vendor != "postgresql":
        pytest.skip("the race is decided by PostgreSQL's row lock")
    post = services.post_create(user=tree.root, community=tree.community_a1, title="矛盾调解员",
                                kind="mediation", places=1)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def claim(name, member):
        from django.db import connection as thread_connection
        try:
            barrier.wait(timeout=10)
            results[name] = services.post_claim(user=tree.root, post=post, member=member)
        except Exception as exc:  # noqa: BLE001 - inspected below
            results[name] = exc
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=claim, args=(m.name, m)) for m in (dangyuan, walkin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    winners = [r for r in results.values() if isinstance(r, PostClaim)]
    losers = [r for r in results.values() if isinstance(r, ValidationError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert PostClaim.objects.filter(post=post).count() == 1


def test_confirm_claim_and_hours_earn_points_and_bank_time(tree, dangyuan):
    post = services.post_create(user=tree.root, community=tree.community_a1, title="楼栋志愿者",
                                kind="building", places=3)
    claim = services.post_claim(user=fresh(dangyuan.user), post=post, member=dangyuan)
    with pytest.raises(ValidationError):  # hours before confirmation
        services.claim_confirm_hours(user=fresh(tree.community_secretary_a1), claim=claim, hours=2)
    with pytest.raises(PermissionDenied):  # staff do not confirm: the secretary does
        services.claim_decide(user=fresh(tree.staff_a), claim=claim, confirm=True)
    services.claim_decide(user=fresh(tree.community_secretary_a1), claim=claim, confirm=True)
    for bad in ("0", "-1", "25", "abc"):
        with pytest.raises(ValidationError):
            services.claim_confirm_hours(user=fresh(tree.community_secretary_a1), claim=claim, hours=bad)
    services.claim_confirm_hours(user=fresh(tree.community_secretary_a1), claim=claim, hours="2.5")
    services.claim_confirm_hours(user=fresh(tree.community_secretary_a1), claim=claim, hours=1)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CONFIRMED and claim.hours_confirmed == Decimal("3.5")
    # 5 for reporting + 2 a hour (2.5 h → 5, 1 h → 2).
    assert selectors.points_total(dangyuan) == 12
    assert selectors.timebank_total(dangyuan) == Decimal("3.5")


def test_point_rules_are_the_districts(tree, dangyuan):
    with pytest.raises(Http404):
        services.point_rule_set(user=fresh(tree.secretary_a), root=tree.district, kind="report", points=8)
    with pytest.raises(PermissionDenied):
        services.point_rule_set(user=fresh(tree.observer), root=tree.district, kind="report", points=8)
    with pytest.raises(ValidationError):
        services.point_rule_set(user=fresh(tree.district_admin), root=tree.district, kind="report", points=-3)
    with pytest.raises(ValidationError):
        services.point_rule_set(user=fresh(tree.district_admin), root=tree.district, kind="reversal", points=3)
    services.point_rule_set(user=fresh(tree.district_admin), root=tree.district, kind="report", points=8)
    services.attendance_record(user=tree.root, community=tree.community_a1, members=[dangyuan],
                               month=timezone.localdate())
    assert selectors.points_total(dangyuan) == 5 + 8


def test_ledger_sums_and_reversals(tree, dangyuan):
    services.attendance_record(user=tree.root, community=tree.community_a1, members=[dangyuan],
                               month=timezone.localdate())
    entry = PointEntry.objects.filter(member=dangyuan, source_type="attendance").get()
    assert selectors.points_total(dangyuan) == 10
    with pytest.raises(PermissionDenied):
        services.point_entry_reverse(user=fresh(tree.staff_a), entry=entry, reason="误登记")
    with pytest.raises(Http404):
        services.point_entry_reverse(user=fresh(tree.community_secretary_a2), entry=entry, reason="误登记")
    with pytest.raises(ValidationError):
        services.point_entry_reverse(user=fresh(tree.community_secretary_a1), entry=entry, reason=" ")
    reversal = services.point_entry_reverse(user=fresh(tree.community_secretary_a1), entry=entry, reason="误登记")
    assert reversal.points == -5 and reversal.kind == PointKind.REVERSAL and reversal.reverses_id == entry.pk
    assert selectors.points_total(dangyuan) == 5
    with pytest.raises(ValidationError):  # never twice
        services.point_entry_reverse(user=fresh(tree.community_secretary_a1), entry=entry, reason="再次")
    with pytest.raises(ValidationError):  # a reversal is not reversed
        services.point_entry_reverse(user=fresh(tree.community_secretary_a1), entry=reversal, reason="撤回")
    # The original entry is unchanged: the ledger is append-only.
    entry.refresh_from_db()
    assert entry.points == 5
    assert PointEntry.objects.filter(member=dangyuan).count() == 3


def test_the_database_refuses_a_second_reversal(tree, dangyuan):
    entry = PointEntry.objects.filter(member=dangyuan).get()
    PointEntry.objects.create(tenant_id=entry.tenant_id, alliance_path=entry.alliance_path, member=dangyuan,
                              points=-5, kind="reversal", reverses=entry, reason="冲正")
    with pytest.raises(IntegrityError):
        PointEntry.objects.create(tenant_id=entry.tenant_id, alliance_path=entry.alliance_path, member=dangyuan,
                                  points=-5, kind="reversal", reverses=entry, reason="冲正")


def test_timebank_never_goes_negative(tree, dangyuan):
    post = services.post_create(user=tree.root, community=tree.community_a1, title="楼栋志愿者",
                                kind="building", places=3)
    claim = services.post_claim(user=tree.root, post=post, member=dangyuan)
    services.claim_decide(user=tree.root, claim=claim, confirm=True)
    services.claim_confirm_hours(user=tree.root, claim=claim, hours=3)
    with pytest.raises(ValidationError) as short:
        services.timebank_redeem(user=fresh(tree.staff_a), member=dangyuan, hours=4, reason="家政服务")
    assert "余额不足" in short.value.messages[0]
    services.timebank_redeem(user=fresh(tree.staff_a), member=dangyuan, hours=2, reason="家政服务")
    assert selectors.timebank_total(dangyuan) == Decimal("1")
    with pytest.raises(Http404):
        services.timebank_redeem(user=fresh(tree.secretary_b), member=dangyuan, hours=1, reason="越界")


@pytest.mark.django_db(transaction=True)
def test_two_redemptions_at_once_cannot_overdraw(tree, dangyuan):
    if connection.vendor != "postgresql":
        pytest.skip("the race is decided by PostgreSQL's row lock")
    TimeBankEntry.objects.create(tenant_id=dangyuan.tenant_id, alliance_path=dangyuan.alliance_path,
                                 member=dangyuan, hours=Decimal("3"), reason="服务")
    barrier = threading.Barrier(2)
    results: list[object] = []

    def redeem():
        from django.db import connection as thread_connection
        try:
            barrier.wait(timeout=10)
            results.append(services.timebank_redeem(user=tree.root, member=dangyuan, hours=2, reason="兑换"))
        except Exception as exc:  # noqa: BLE001 - inspected below
            results.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(r).__name__ for r in results) == ["TimeBankEntry", "ValidationError"], results
    assert selectors.timebank_total(dangyuan) == Decimal("1")


def _demand(tree, alliance=None, title="楼道灯不亮"):
    item, _created = item_create(user=None, alliance=alliance or tree.community_a1, title=title, source="demand",
                                 requester_name="陈阿姨", requester_phone="13600003333")
    return item


def test_order_flow_through_tasks(tree, dangyuan):
    item = _demand(tree)
    assert list(selectors.orderable_items(member=dangyuan)) == [item]
    order = services.order_take(user=fresh(dangyuan.user), member=dangyuan, item=item)
    assert list(selectors.orderable_items(member=dangyuan)) == []
    with pytest.raises(ValidationError):  # the member reports only once the organisation confirmed
        services.order_report(user=fresh(dangyuan.user), order=order, note="已更换灯泡")
    with pytest.raises(PermissionDenied):  # the member cannot start the item: the organisation does
        services.order_confirm(user=fresh(dangyuan.user), order=order)
    services.order_confirm(user=fresh(tree.community_secretary_a1), order=order)
    item.refresh_from_db()
    assert item.status == ItemStatus.IN_PROGRESS
    services.order_report(user=fresh(dangyuan.user), order=order, note="已更换灯泡")
    services.order_resolve(user=fresh(tree.community_secretary_a1), order=order)
    item.refresh_from_db()
    order.refresh_from_db()
    assert item.status == ItemStatus.RESOLVED and item.resolution_note == "已更换灯泡"
    assert order.status == OrderStatus.RESOLVED
    assert selectors.points_total(dangyuan) == 5 + 10
    # The resident confirms and rates it on the follow link; a good rating earns points once.
    item_confirm(item=item, solved=True, by_resident=True)
    item_rate(item=item, score=5, by_resident=True)
    assert services.orders_award_ratings() == 1
    assert services.orders_award_ratings() == 0
    assert selectors.points_total(dangyuan) == 5 + 10 + 5


def test_orders_only_for_demands_of_the_home_community(tree, dangyuan, member_b1):
    item_b = _demand(tree, tree.community_b1)
    with pytest.raises(Http404):
        services.order_take(user=fresh(dangyuan.user), member=dangyuan, item=item_b)
    grid, _created = item_create(user=tree.root, alliance=tree.community_a1, title="网格上报", source="grid")
    with pytest.raises(ValidationError):
        services.order_take(user=fresh(dangyuan.user), member=dangyuan, item=grid)
    item = _demand(tree)
    with pytest.raises(Http404):  # another's record
        services.order_take(user=fresh(member_b1.user) if member_b1.user else fresh(tree.secretary_b),
                            member=dangyuan, item=item)
    services.order_take(user=fresh(dangyuan.user), member=dangyuan, item=item)
    other = services.party_member_create(user=tree.root, community=tree.community_a1, name="吴党员")
    services.report_create(user=tree.root, member=other)
    with pytest.raises(ValidationError):  # taken already
        services.order_take(user=tree.root, member=other, item=item)
    assert Order.objects.count() == 1


def test_a_cancelled_order_frees_the_demand(tree, dangyuan, walkin):
    item = _demand(tree)
    order = services.order_take(user=fresh(dangyuan.user), member=dangyuan, item=item)
    services.order_cancel(user=fresh(dangyuan.user), order=order)
    services.order_take(user=fresh(tree.staff_a), member=walkin, item=item)
    assert Order.objects.filter(item=item, status="taken").get().member == walkin


@pytest.mark.parametrize(("who", "full"), [
    ("district_admin", True), ("secretary_a", True), ("community_secretary_a1", True), ("staff_a", False),
    ("observer", False), ("liaison_a1", False), ("self", True), ("root", True),
])
def test_masking_for_each_role(tree, dangyuan, who, full):
    user = fresh(dangyuan.user) if who == "self" else fresh(getattr(tree, who))
    member = selectors.party_member_get_for_user(user=user, pk=dangyuan.pk)
    selectors.with_personal(user, [member])
    if full:
        assert (member.phone_shown, member.id_shown) == ("13812345678", "500104199001011234")
    else:
        assert (member.phone_shown, member.id_shown) == ("138****5678", "500104********1234")


def test_neighbours_do_not_see_members(tree, dangyuan, walkin):
    for user in (tree.secretary_b, tree.community_secretary_a2, tree.other_tenant_admin):
        with pytest.raises(Http404):
            selectors.party_member_get_for_user(user=fresh(user), pk=dangyuan.pk)
    # The liaison of unit A1 sees its employee (where they reported), not the others of the community.
    liaison = fresh(tree.liaison_a1)
    assert list(selectors.party_member_list(user=liaison)) == [dangyuan]
    # The member sees their own record only.
    assert list(selectors.party_member_list(user=fresh(dangyuan.user))) == [dangyuan]


def test_rankings(tree, dangyuan, walkin, member_b1):
    services.attendance_record(user=tree.root, community=tree.community_a1, members=[dangyuan],
                               month=timezone.localdate())
    members = list(selectors.ranking_members(alliance=tree.street_a))
    assert [(m.name, m.total) for m in members] == [("张党员", 10), ("李党员", 5)]
    units = selectors.ranking_units(alliance=tree.district)
    assert [(u["member__employer_unit__name"], u["total"]) for u in units] == [("锦霞物业服务有限公司", 10)]


def test_the_database_refuses_to_edit_a_ledger_entry(tree, dangyuan):
    from django.db import DatabaseError, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    entry = PointEntry.objects.filter(member=dangyuan).get()
    with pytest.raises(DatabaseError), transaction.atomic():
        PointEntry.objects.filter(pk=entry.pk).update(points=500)
    # Moving the community in the tree rewrites the path, which is allowed.
    from alliance.services import alliance_move

    alliance_move(user=tree.root, alliance=tree.community_a1, new_parent=tree.street_b)
    entry.refresh_from_db()
    assert entry.points == 5 and entry.alliance_path.startswith(tree.street_b.path)
