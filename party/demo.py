"""Demo data for seed_demo (Dadukou): a few thousand in-service party members reported to their
communities, the report-day register of the last six months, service posts with claims and hours,
orders on residents' demands, the points ledger and the time bank; and the demo account
`dangyuan`, a reported party member of the first community of 春晖路街道.

Bulk inserts, deterministic (seeded random), consistent with the rules the services enforce:
claims never exceed places, every award is unique per event, the time bank never goes negative.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from alliance.models import Alliance, Level
from members.models import MemberUnit, User
from tasks.models import Item, ItemSource, Rating
from tasks.models import Status as ItemStatus

from .models import (
    DEFAULT_POINTS,
    Attendance,
    ClaimStatus,
    Order,
    OrderStatus,
    PartyMember,
    PointEntry,
    PointKind,
    PostClaim,
    PostKind,
    Report,
    ServicePost,
    TimeBankEntry,
)
from .services import report_day

SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志明晓东海燕文博宇浩然欣怡子涵思远"
POSTS = (
    (PostKind.BUILDING, "楼栋志愿者", "联系本楼栋住户,收集诉求,协助开展楼栋议事。"),
    (PostKind.POLICY, "政策宣讲员", "在报到日和院坝会上宣讲惠民政策。"),
    (PostKind.MEDIATION, "矛盾调解员", "参与邻里纠纷调解,协助人民调解委员会工作。"),
    (PostKind.ELDERLY, "关爱帮扶员", "结对探访独居、空巢老人。"),
    (PostKind.ENVIRONMENT, "环境监督员", "监督小区环境卫生和垃圾分类。"),
    (PostKind.SAFETY, "平安巡逻员", "参与夜间巡逻和消防安全检查。"),
)
PARTY_ORGS = ("机关第一党支部", "第二党支部", "党总支", "联合党支部", "离退休党支部")
OTHER_EMPLOYERS = ("重庆市某设计研究院", "某区属中学", "市级机关某处", "某律师事务所", "某银行支行", "某科技公司")
MEMBERS = 3000
DEMO_USERNAME = "dangyuan"


def _months_back(today: dt.date, n: int) -> list[dt.date]:
    month = today.replace(day=1)
    if report_day(month) > today:
        month = (month - dt.timedelta(days=1)).replace(day=1)
    months = []
    for _i in range(n):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


def seed_party(*, root: Alliance, hashed: str, rng: random.Random | None = None, count: int = MEMBERS,
               stdout=None) -> tuple[str, str, str, str]:
    """Seed the party-member work under `root`. Returns the demo account's row for the accounts table."""
    rng = rng or random.Random(2026)
    tenant_id = root.tenant_id
    now = timezone.now()
    today = timezone.localdate()
    communities = list(Alliance.objects.filter(tenant_id=tenant_id, level=Level.COMMUNITY, kind="regional",
                                               path__startswith=root.path).order_by("path"))
    units = list(MemberUnit.objects.filter(tenant_id=tenant_id).values_list("pk", flat=True))

    # --- members and reports -----------------------------------------------------------------
    members = []
    for i in range(count):
        community = communities[i % len(communities)]
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
        employed = rng.random() < 0.75
        members.append(PartyMember(
            tenant_id=tenant_id, alliance_path=community.path, community=community,
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            phone=f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}",
            id_number=f"500104{birth:%Y%m%d}{rng.randrange(100, 999)}{rng.choice('0123456789X')}",
            employer_unit_id=rng.choice(units) if employed and units else None,
            employer_text="" if employed and units else rng.choice(OTHER_EMPLOYERS),
            party_org=rng.choice(PARTY_ORGS),
        ))
    members = PartyMember.objects.bulk_create(members, batch_size=1000)
    # The demo account: the first member of the first community of 春晖路街道.
    street = Alliance.objects.filter(tenant_id=tenant_id, level=Level.STREET, name__startswith="春晖路").first()
    home = next((c for c in communities if street and c.path.startswith(street.path)), communities[0])
    demo = next(m for m in members if m.community_id == home.pk)
    account = User.objects.filter(username=DEMO_USERNAME).first()
    created = account is None
    if created:
        account = User(username=DEMO_USERNAME, password=hashed)
    account.name, account.tenant_id, account.is_active = "张红梅", tenant_id, True
    account.save()
    demo.user, demo.name, demo.phone = account, "张红梅", "13800138000"
    PartyMember.objects.filter(pk=demo.pk).update(user=account, name=demo.name, phone=demo.phone)

    reports, reported = [], []
    for member in members:
        if member is not demo and rng.random() > 0.85:
            continue
        at = now - dt.timedelta(days=rng.randrange(20, 400), minutes=rng.randrange(0, 600))
        reports.append(Report(tenant_id=tenant_id, alliance_path=member.alliance_path, member=member,
                              community_id=member.community_id, reported_at=at, self_service=rng.random() < 0.4))
        reported.append(member)
    reports = Report.objects.bulk_create(reports, batch_size=1000)
    report_of = {r.member_id: r for r in reports}
    points: list[PointEntry] = []

    def award(member, kind, source_type, source_id, reason, times=1):
        value = int(DEFAULT_POINTS[kind] * times)
        points.append(PointEntry(tenant_id=tenant_id, alliance_path=member.alliance_path, member=member,
                                 points=value, kind=kind, reason=reason[:200], source_type=source_type,
                                 source_id=source_id))

    names = {c.pk: c.name for c in communities}
    for report in reports:
        award(report.member, PointKind.REPORT, "report", report.pk, f"向{names[report.community_id]}报到")

    # --- the report-day register: the last six months ----------------------------------------
    attendances = []
    for member in reported:
        reported_on = timezone.localtime(report_of[member.pk].reported_at).date()
        diligent = 0.95 if member is demo else rng.choice((0.9, 0.7, 0.5, 0.05))
        for month in _months_back(today, 6):
            day = report_day(month)
            if day >= reported_on and rng.random() < diligent:
                attendances.append(Attendance(tenant_id=tenant_id, alliance_path=member.alliance_path, member=member,
                                              community_id=member.community_id, month=month, attended_on=day))
    attendances = Attendance.objects.bulk_create(attendances, batch_size=2000)
    for row in attendances:
        award(row.member, PointKind.REPORT, "attendance", row.pk, f"{row.month:%Y-%m}报到日到社区报到")

    # --- posts, claims, hours, the time bank ---------------------------------------------------
    by_community: dict[int, list[PartyMember]] = {}
    for member in reported:
        by_community.setdefault(member.community_id, []).append(member)
    posts = []
    for community in communities:
        for kind, title, description in rng.sample(POSTS, rng.randrange(3, 6)):
            posts.append(ServicePost(tenant_id=tenant_id, alliance_path=community.path, community=community,
                                     title=title, kind=kind, description=description, places=rng.randrange(2, 9)))
    posts = ServicePost.objects.bulk_create(posts, batch_size=1000)
    claims = []
    for post in posts:
        pool = by_community.get(post.community_id, [])
        takers = rng.sample(pool, min(len(pool), rng.randrange(0, post.places + 1)))
        if post.community_id == home.pk and demo not in takers and post.kind == PostKind.BUILDING:
            takers = [demo, *takers][: post.places]
        for member in takers:
            status = rng.choices([ClaimStatus.CONFIRMED, ClaimStatus.CLAIMED], weights=[4, 1])[0]
            hours = Decimal(rng.randrange(2, 40)) / 2 if status == ClaimStatus.CONFIRMED else Decimal(0)
            claims.append(PostClaim(tenant_id=tenant_id, alliance_path=post.alliance_path, post=post, member=member,
                                    status=status, hours_confirmed=hours,
                                    decided_at=now if status == ClaimStatus.CONFIRMED else None))
    claims = PostClaim.objects.bulk_create(claims, batch_size=2000)
    time_entries = []
    for claim in claims:
        if claim.hours_confirmed:
            reason = f"{claim.post.title}服务{claim.hours_confirmed}小时"
            award(claim.member, PointKind.SERVICE_HOUR, "claim", claim.pk, reason, times=claim.hours_confirmed)
            time_entries.append(TimeBankEntry(tenant_id=tenant_id, alliance_path=claim.member.alliance_path,
                                              member=claim.member, hours=claim.hours_confirmed, reason=reason,
                                              claim=claim))
            if rng.random() < 0.2 and claim.hours_confirmed >= 2:
                time_entries.append(TimeBankEntry(
                    tenant_id=tenant_id, alliance_path=claim.member.alliance_path, member=claim.member,
                    hours=-(claim.hours_confirmed // 2), reason=rng.choice(("兑换家政服务", "兑换理发服务",
                                                                           "兑换助老陪护"))))
    TimeBankEntry.objects.bulk_create(time_entries, batch_size=2000)

    # --- orders on residents' demands ----------------------------------------------------------
    wanted = {ItemStatus.NEW: 0.3, ItemStatus.IN_PROGRESS: 0.5, ItemStatus.RESOLVED: 0.6, ItemStatus.CLOSED: 0.4}
    state = {ItemStatus.NEW: OrderStatus.TAKEN, ItemStatus.IN_PROGRESS: OrderStatus.CONFIRMED,
             ItemStatus.RESOLVED: OrderStatus.RESOLVED, ItemStatus.CLOSED: OrderStatus.RESOLVED}
    items = Item.objects.filter(tenant_id=tenant_id, source=ItemSource.DEMAND, status__in=list(wanted),
                                alliance_id__in=list(by_community)).order_by("pk").values_list(
        "pk", "status", "alliance_id", "title", "created_at", "resolved_at")
    orders = []
    demo_orders = 0
    for pk, status, alliance_id, title, created_at, resolved_at in items:
        if rng.random() > wanted[status]:
            continue
        pool = by_community[alliance_id]
        member = demo if alliance_id == home.pk and demo_orders < 3 else rng.choice(pool)
        demo_orders += member is demo
        orders.append(Order(tenant_id=tenant_id, alliance_path=member.alliance_path, item_id=pk, member=member,
                            status=state[status], confirmed_at=None if status == ItemStatus.NEW else created_at,
                            resolved_at=resolved_at if state[status] == OrderStatus.RESOLVED else None,
                            report_note="已上门查看并协助解决。" if state[status] == OrderStatus.RESOLVED else ""))
        orders[-1]._title = title
    orders = Order.objects.bulk_create(orders, batch_size=1000)
    scores = dict(Rating.objects.filter(item_id__in=[o.item_id for o in orders], score__gte=4,
                                        status__in=["valid", "upheld"]).values_list("item_id", "score"))
    for order in orders:
        if order.status == OrderStatus.RESOLVED:
            award(order.member, PointKind.ITEM_RESOLVED, "order", order.pk, f"接单办结:{order._title}")
            if order.item_id in scores:
                award(order.member, PointKind.ITEM_WELL_RATED, "order", order.pk,
                      f"接单获群众好评({scores[order.item_id]}分):{order._title}")

    entries = PointEntry.objects.bulk_create(points, batch_size=2000)
    # A few mistakes, reversed as a secretary would.
    reversals = [PointEntry(tenant_id=tenant_id, alliance_path=e.alliance_path, member=e.member, points=-e.points,
                            kind=PointKind.REVERSAL, reverses=e, reason=f"冲正“{e.reason}”:重复登记")
                 for e in rng.sample(entries, min(20, len(entries))) if e.member is not demo]
    PointEntry.objects.bulk_create(reversals)
    if stdout is not None:
        stdout.write(f"已生成 {len(members)} 名在职党员、{len(reports)} 条报到、{len(attendances)} 条报到日签到、"
                     f"{len(posts)} 个服务岗位、{len(claims)} 个认岗、{len(orders)} 张党员接单、"
                     f"{len(entries) + len(reversals)} 条积分记录、{len(time_entries)} 条时间银行记录。")
    return (DEMO_USERNAME, "demo2026" if created else "", "在职党员(已报到)", home.name)
