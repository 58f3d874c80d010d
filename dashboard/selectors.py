"""数据看板: the figures of one alliance's subtree, aggregated in the database.

Every figure is a prefix match on the rows' `alliance_path` (TenantOwned), grouped in SQL, so the
number of queries is fixed whatever the size of the subtree (about a dozen; see the tests).
The result is plain JSON-ready data (no model instances), so it can later be cached as it is.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Avg, Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from agreements.models import Agreement, CommitmentItem, PointEntry, Stage
from alliance.models import Alliance, Kind, Level
from alliance.roles import VIEW_ALL_UNITS
from alliance.services import require_permission
from meetings.models import Meeting, MeetingStatus
from members.models import Membership, MemberUnit
from tasks.models import OPEN_STATUSES, Item, Rating, RatingStatus, Status

TREND_MONTHS = 12
TOP_UNITS = 10
DONE_STATUSES = (Status.RESOLVED, Status.CLOSED)
HELD_STATUSES = (MeetingStatus.IN_SESSION, MeetingStatus.CLOSED)
COUNTED_RATINGS = (RatingStatus.VALID, RatingStatus.APPEALED, RatingStatus.UPHELD)


def dashboard_require_access(*, user, alliance: Alliance) -> None:
    """The dashboard shows every unit's figures: VIEW_ALL_UNITS on the node (404 if unseen, else 403)."""
    require_permission(user=user, alliance=alliance, perm=VIEW_ALL_UNITS)


def quarter_bounds(today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The current quarter as aware datetimes [start, end) in the local time zone."""
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = dt.date(today.year, first_month, 1)
    end = dt.date(today.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
    return _aware(start), _aware(end)


def trend_months(today: dt.date, n: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the last `n` months, oldest first, ending with the current month."""
    months = []
    year, month = today.year, today.month
    for _i in range(n):
        months.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def _aware(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _month_key(value) -> str:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{value.year:04d}-{value.month:02d}"


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def dashboard_figures(*, user, alliance: Alliance, today: dt.date | None = None) -> dict:
    """The figures of `alliance` and everything below it, for users with VIEW_ALL_UNITS on it.

    `alliance` comes from `alliance_get_for_user`; the permission is checked again here so the
    selector cannot be misused. A fixed number of queries (14), none of them per row.
    """
    dashboard_require_access(user=user, alliance=alliance)

    now = timezone.now()
    today = today or timezone.localdate()
    q_start, q_end = quarter_bounds(today)
    months = trend_months(today)
    trend_start = _aware(months[0])
    tenant_id, path = alliance.tenant_id, alliance.path
    child_len = len(path) + Alliance.steplen
    sub = Q(tenant_id=tenant_id, alliance_path__startswith=path)
    child = Substr("alliance_path", 1, child_len)
    held_q = Q(status__in=HELD_STATUSES, opened_at__gte=q_start, opened_at__lt=q_end)

    # 1. The tree: alliances by level and kind, with the communities that held no meeting this quarter.
    held_here = Meeting.objects.filter(held_q, tenant_id=tenant_id, alliance_id=OuterRef("pk"))
    tree_rows = list(
        Alliance.objects.filter(tenant_id=tenant_id, path__startswith=path, is_active=True)
        .annotate(held=Exists(held_here))
        .values("level", "kind")
        .annotate(n=Count("pk"), without_meeting=Count("pk", filter=Q(held=False)))
        .order_by()
    )
    # 2. The children, for the drill-down.
    children = list(
        Alliance.objects.filter(tenant_id=tenant_id, path__startswith=path, depth=alliance.depth + 1)
        .order_by("path").values("id", "name", "level", "path", "is_active")
    )
    # 3-4. Member units registered in the subtree, memberships in force.
    units = MemberUnit.objects.filter(sub).count()
    memberships = Membership.objects.filter(sub).filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today)).count()
    # 5. Agreements by child and stage (the totals by stage are the sums).
    agreement_rows = list(
        Agreement.objects.filter(sub).annotate(child=child).values("child", "stage")
        .annotate(n=Count("pk")).order_by()
    )
    # 6. Commitment occurrences.
    open_item = Q(item__status__in=OPEN_STATUSES)
    commitments = CommitmentItem.objects.filter(sub).aggregate(
        total=Count("pk"),
        due=Count("pk", filter=Q(due_on__lte=today)),
        fulfilled=Count("pk", filter=Q(item__status__in=DONE_STATUSES)),
        overdue=Count("pk", filter=open_item & Q(due_on__lt=today)),
    )
    # 7. Meetings held this quarter by child.
    meeting_rows = list(
        Meeting.objects.filter(sub).filter(held_q).annotate(child=child).values("child")
        .annotate(n=Count("pk")).order_by()
    )
    # 8. Items by child: opened, open, overdue, resolved (and at which level), escalated.
    done = Q(status__in=DONE_STATUSES)
    is_open = Q(status__in=OPEN_STATUSES)
    item_rows = list(
        Item.objects.filter(sub).annotate(child=child).values("child").annotate(
            opened=Count("pk"),
            open=Count("pk", filter=is_open),
            overdue=Count("pk", filter=is_open & Q(due_at__lt=now)),
            resolved=Count("pk", filter=done),
            escalated=Count("pk", filter=Q(escalations__gt=0)),
            resolved_community=Count("pk", filter=done & Q(alliance__level=Level.COMMUNITY)),
            resolved_street=Count("pk", filter=done & Q(alliance__level=Level.STREET)),
        ).order_by()
    )
    # 9. The average rating of the handling levels in the subtree.
    rating = Rating.objects.filter(
        tenant_id=tenant_id, rated_alliance__path__startswith=path, status__in=COUNTED_RATINGS
    ).aggregate(average=Avg("score"), count=Count("pk"))
    # 10. The ten units with the most points earned in the subtree.
    top_units = list(
        PointEntry.objects.filter(sub).values("unit_id", "unit__name")
        .annotate(points=Sum("points")).order_by("-points", "unit__name", "unit_id")[:TOP_UNITS]
    )
    # 11-14. The monthly trends.
    opened_by_month = _by_month(Item.objects.filter(sub, created_at__gte=trend_start), "created_at")
    resolved_by_month = _by_month(Item.objects.filter(sub, resolved_at__gte=trend_start), "resolved_at")
    signed_by_month = _by_month(Agreement.objects.filter(sub, signed_at__gte=trend_start), "signed_at")
    held_by_month = _by_month(
        Meeting.objects.filter(sub, status__in=HELD_STATUSES, opened_at__gte=trend_start), "opened_at")

    # Putting the groups together (a handful of rows each, never one per item).
    by_level = {value: 0 for value in Level.values}
    by_kind = {value: 0 for value in Kind.values}
    without_meeting = 0
    for row in tree_rows:
        by_level[row["level"]] += row["n"]
        by_kind[row["kind"]] += row["n"]
        if row["level"] == Level.COMMUNITY:
            without_meeting += row["without_meeting"]

    by_stage = {value: 0 for value in Stage.values}
    performing_by_child: dict[str, int] = {}
    for row in agreement_rows:
        by_stage[row["stage"]] += row["n"]
        if row["stage"] == Stage.PERFORMING:
            performing_by_child[row["child"]] = performing_by_child.get(row["child"], 0) + row["n"]

    meetings_by_child = {row["child"]: row["n"] for row in meeting_rows}
    item_keys = ("opened", "open", "overdue", "resolved", "escalated", "resolved_community", "resolved_street")
    items = dict.fromkeys(item_keys, 0)
    items_by_child: dict[str, dict] = {}
    for row in item_rows:
        for key in item_keys:
            items[key] += row[key]
        items_by_child[row["child"]] = row
    level_labels, kind_labels, stage_labels = dict(Level.choices), dict(Kind.choices), dict(Stage.choices)

    return {
        "alliance": {"id": alliance.pk, "name": alliance.name, "level": alliance.level},
        "today": today.isoformat(),
        "quarter": {"start": timezone.localdate(q_start).isoformat(),
                    "end": (timezone.localdate(q_end) - dt.timedelta(days=1)).isoformat()},
        "alliances": {
            "total": sum(by_level.values()),
            "by_level": [{"key": k, "label": str(level_labels[k]), "count": n} for k, n in by_level.items()],
            "by_kind": [{"key": k, "label": str(kind_labels[k]), "count": n} for k, n in by_kind.items()],
        },
        "units": {"registered": units, "active_memberships": memberships},
        "agreements": {
            "total": sum(by_stage.values()),
            "by_stage": [{"key": k, "label": str(stage_labels[k]), "count": n} for k, n in by_stage.items()],
        },
        "commitments": {key: commitments[key] for key in ("total", "due", "fulfilled", "overdue")},
        "meetings": {
            "held_this_quarter": sum(meetings_by_child.values()),
            "communities_without_meeting": without_meeting,
        },
        "items": {
            **{key: items[key] for key in ("opened", "open", "overdue", "resolved", "escalated")},
            "resolved_at_community": items["resolved_community"],
            "resolved_at_street": items["resolved_street"],
            "share_community": _share(items["resolved_community"], items["resolved"]),
            "share_street": _share(items["resolved_street"], items["resolved"]),
        },
        "rating": {
            "average": round(float(rating["average"]), 2) if rating["average"] is not None else None,
            "count": rating["count"],
        },
        "top_units": [{"unit_id": row["unit_id"], "name": row["unit__name"], "points": row["points"]}
                      for row in top_units],
        "trend": [
            {
                "month": key,
                "items_opened": opened_by_month.get(key, 0),
                "items_resolved": resolved_by_month.get(key, 0),
                "agreements_signed": signed_by_month.get(key, 0),
                "meetings_held": held_by_month.get(key, 0),
            }
            for key in (_month_key(month) for month in months)
        ],
        "children": [
            {
                "id": row["id"], "name": row["name"], "level": row["level"],
                "level_label": str(level_labels.get(row["level"], row["level"])),
                "is_active": bool(row["is_active"]),
                "items_open": items_by_child.get(row["path"], {}).get("open", 0),
                "items_overdue": items_by_child.get(row["path"], {}).get("overdue", 0),
                "agreements_performing": performing_by_child.get(row["path"], 0),
                "meetings_this_quarter": meetings_by_child.get(row["path"], 0),
            }
            for row in children
        ],
    }


def _by_month(qs, field: str) -> dict[str, int]:
    rows = qs.annotate(month=TruncMonth(field)).values("month").annotate(n=Count("pk")).order_by()
    return {_month_key(row["month"]): row["n"] for row in rows}
