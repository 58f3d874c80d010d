"""Demo items (事项) for seed_demo: a few thousand across all states and levels, some overdue,
so that the first beat run of the sweep escalates some of them. Bulk inserts, deterministic."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from alliance.models import Alliance
from members.models import MemberUnit
from tasks.calendar import WorkCalendar, official_calendar_days, sla_working_days
from tasks.models import (
    CalendarDay,
    Category,
    EventKind,
    Item,
    ItemEvent,
    ItemSource,
    Rating,
    Status,
)

TITLES = {
    Category.ENVIRONMENT: ("楼道堆放杂物影响通行", "垃圾清运不及时", "小区绿化带无人修剪", "餐馆油烟扰民", "雨后积水不退"),
    Category.PROPERTY: ("电梯频繁故障", "物业费公示不清", "地下车库照明损坏", "单元门禁失灵", "物业服务不到位"),
    Category.FACILITIES: ("路灯不亮", "井盖松动", "人行道破损", "公交站牌缺失", "健身器材损坏"),
    Category.DISPUTE: ("楼上漏水协调", "噪音扰民纠纷", "车位占用纠纷", "宠物扰邻"),
    Category.LIVELIHOOD: ("老旧小区加装电梯咨询", "低保申请咨询", "社区食堂就餐", "灵活就业社保咨询"),
    Category.SAFETY: ("楼道电动车充电隐患", "消防通道被占", "高空抛物", "老旧电线老化"),
    Category.ELDERLY: ("独居老人定期探访", "助餐服务申请", "适老化改造", "老人就医陪护"),
    Category.OTHER: ("其他诉求", "建议增设快递柜"),
}
SOURCES = [ItemSource.DEMAND] * 5 + [ItemSource.GRID] * 3 + [ItemSource.MEETING, ItemSource.API]
SURNAMES = "王李张刘陈杨黄赵周吴徐孙马胡朱郭何罗高林"


def seed_items(*, root: Alliance, rng: random.Random, count: int = 3000, admin=None) -> int:
    """`count` items raised in the communities under `root` over the last 60 days."""
    tenant_id = root.tenant_id
    now = timezone.now()
    year = timezone.localtime(now).year
    CalendarDay.objects.bulk_create(
        [CalendarDay(tenant_id=tenant_id, date=day, is_workday=work, name=name)
         for y in (year - 1, year) for day, work, name in official_calendar_days(y)],
        ignore_conflicts=True,
    )
    alliances = {a.path: a for a in Alliance.objects.filter(tenant_id=tenant_id, kind="regional")}
    communities = [a for a in alliances.values() if a.level == "community"]
    units_by_path: dict[str, list[int]] = {}
    for pk, path in MemberUnit.objects.filter(tenant_id=tenant_id).values_list("pk", "alliance_path"):
        units_by_path.setdefault(path, []).append(pk)
    calendar = WorkCalendar(tenant_id=tenant_id, start=(now - dt.timedelta(days=70)).date(), days=120)
    sla: dict[tuple[str, str], int] = {}

    def due(level: str, category: str, start: dt.datetime) -> dt.datetime:
        if (level, category) not in sla:
            sla[(level, category)] = sla_working_days(tenant_id=tenant_id, level=level, category=category)
        return calendar.deadline(start=start, working_days=sla[(level, category)])

    plans, items = [], []
    for _ in range(count):
        community = rng.choice(communities)
        category = rng.choice(list(TITLES))
        created = now - dt.timedelta(minutes=rng.randint(30, 60 * 24 * 60))
        age_days = (now - created).days
        # Up one or two levels: about one in eight items, one in fifty to the district.
        climb = 2 if rng.random() < 0.02 else 1 if rng.random() < 0.12 else 0
        handler = community
        for _step in range(climb):
            handler = alliances[handler.path[: -Alliance.steplen]]
        if age_days > 20:
            status = rng.choices([Status.CLOSED, Status.REJECTED, Status.RESOLVED, Status.IN_PROGRESS],
                                 [80, 6, 6, 8])[0]
        elif age_days > 5:
            status = rng.choices([Status.CLOSED, Status.RESOLVED, Status.IN_PROGRESS, Status.ACCEPTED, Status.NEW],
                                 [45, 20, 20, 5, 10])[0]
        else:
            status = rng.choices([Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS, Status.RESOLVED],
                                 [45, 15, 30, 10])[0]
        source = rng.choice(SOURCES)
        unit_ids = units_by_path.get(community.path) or [None]
        level_start = created + dt.timedelta(days=3 * climb)
        item = Item(
            tenant_id=tenant_id, origin=community, origin_path=community.path, alliance=handler,
            alliance_path=handler.path, title=rng.choice(TITLES[category]), category=category, source=source,
            status=status, escalations=climb,
            due_at=due(handler.level, category, min(level_start, now)),
            requester_name=rng.choice(SURNAMES) + rng.choice(("先生", "女士", "阿姨", "师傅")) if source == "demand" else "",
            requester_phone=f"13{rng.randint(100000000, 999999999)}" if source == "demand" else "",
            assignee_unit_id=rng.choice(unit_ids) if status != Status.NEW and climb == 0 else None,
            created_by=None if source == "demand" else admin,
        )
        if status in (Status.RESOLVED, Status.CLOSED):
            item.resolved_at = min(created + dt.timedelta(days=rng.randint(1, 6)), now)
            item.resolution_note = "已协调相关单位办结。"
        if status == Status.CLOSED:
            item.confirmed_at = item.closed_at = item.resolved_at
        if status == Status.REJECTED:
            item.rejected_reason = "不属于社区职责范围,已告知诉求人向相关部门反映。"
            item.closed_at = created + dt.timedelta(days=1)
        items.append(item)
        plans.append((created, community, climb))
    Item.objects.bulk_create(items, batch_size=1000)
    code = root.tenant.code
    events, ratings = [], []
    for item, (created, community, climb) in zip(items, plans, strict=True):
        item.reference = f"{code}-{timezone.localtime(created):%Y}-{item.pk:07d}"
        item.created_at = created
        events.append(ItemEvent(tenant_id=tenant_id, item=item, kind=EventKind.CREATED, to_status=Status.NEW,
                                to_alliance=community, actor_label=item.requester_name or "网格员"))
        node = community
        for _step in range(climb):
            parent = alliances[node.path[: -Alliance.steplen]]
            events.append(ItemEvent(tenant_id=tenant_id, item=item, kind=EventKind.ESCALATED, from_alliance=node,
                                    to_alliance=parent, deadline=created + dt.timedelta(days=3 * (_step + 1)),
                                    actor_label="系统(超期自动上报)", note="超过办理期限未办结,自动提交上一级。"))
            node = parent
        for kind, status in ((EventKind.STARTED, Status.IN_PROGRESS), (EventKind.RESOLVED, Status.RESOLVED),
                             (EventKind.CLOSED, Status.CLOSED)):
            order = [Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
            if item.status in order and order.index(item.status) >= order.index(status):
                events.append(ItemEvent(tenant_id=tenant_id, item=item, kind=kind, to_status=status))
        if item.status == Status.REJECTED:
            events.append(ItemEvent(tenant_id=tenant_id, item=item, kind=EventKind.REJECTED,
                                    to_status=Status.REJECTED, note=item.rejected_reason))
        if item.status == Status.CLOSED:
            ratings.append(Rating(tenant_id=tenant_id, item=item, score=rng.choices([5, 4, 3, 2, 1],
                                                                                  [60, 25, 9, 4, 2])[0],
                                  rated_alliance_id=item.alliance_id, by_resident=item.source == "demand"))
    Item.objects.bulk_update(items, ["reference", "created_at"], batch_size=1000)
    ItemEvent.objects.bulk_create(events, batch_size=2000)
    Rating.objects.bulk_create(ratings, batch_size=1000)
    return len(items)
