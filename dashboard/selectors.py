"""数据看板: the figures of one alliance's subtree, aggregated in the database.

Every figure is a prefix match on the rows' `alliance_path` (TenantOwned), grouped in SQL, so the
number of queries is fixed whatever the size of the subtree (10; see the tests). Each table is
read once: the items in one index-only pass grouped by child and by month opened and resolved
(`width_bucket`), the agreements by child, stage and month signed, the meetings by child and month
(the `*_dashboard_indexes` migrations hold the covering indexes). The result is plain JSON-ready
data, cached per node for at most a minute and dropped at the first write the tenant's fingerprint
sees (see `dashboard_figures`; bench/dashboard_bench.py measures it at Wuhan's size).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import get_language

from agreements.models import Agreement, CommitmentItem, PointEntry, Stage
from alliance.models import Alliance, Kind, Level, Tenant
from alliance.roles import VIEW_ALL_UNITS
from alliance.services import require_permission
from meetings.models import Meeting, MeetingStatus
from members.models import Membership, MemberUnit
from tasks.models import OPEN_STATUSES, Item, Rating, RatingStatus, Status

TREND_MONTHS = 12
# The longest a cached dashboard may be served (the key also changes with every write it sees).
CACHE_SECONDS = 60
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

    `alliance` comes from `alliance_get_for_user`; the permission is checked again here, before
    the cache is looked at, so the selector cannot be misused and one user's figures never reach
    a user without the scope (the figures depend on the node only, not on who asks).

    Cached for at most DASHBOARD_CACHE_SECONDS (60 s) under a key made of the node, the day, the
    language, the tenant's version (`dashboard_figures_changed`) and the tenant's fingerprint (one
    query: the latest change of its items, agreements, meetings and tree, the newest rating, point
    entry, occurrence, member unit and membership), so a write through a service shows at the next
    request. On a miss: a fixed number of aggregate queries (10), none of them per row.
    """
    dashboard_require_access(user=user, alliance=alliance)
    today = today or timezone.localdate()
    seconds = getattr(settings, "DASHBOARD_CACHE_SECONDS", CACHE_SECONDS)
    if seconds <= 0:
        return _figures(alliance=alliance, today=today)
    key = _cache_key(alliance=alliance, today=today)
    figures = cache.get(key)
    if figures is None:
        figures = _figures(alliance=alliance, today=today)
        cache.set(key, figures, seconds)
    return figures


def dashboard_figures_changed(tenant_id: int) -> None:
    """Make every cached dashboard of the tenant stale, after the current transaction commits.

    The fingerprint already sees new or updated items, agreements, meetings and alliances, and new
    ratings, points, occurrences, member units and memberships; call this from the writes it cannot
    see (deleted rows, a rating's status, a membership ended, a bulk `update()` that leaves
    `updated_at` alone) so they show at once rather than within 60 s.
    """
    def bump():
        key = _version_key(tenant_id)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, None)
    transaction.on_commit(bump)


def _version_key(tenant_id: int) -> str:
    return f"dashboard:v:{tenant_id}"


def _cache_key(*, alliance: Alliance, today: dt.date) -> str:
    """The node, the day, the language, then what changes when the tenant's data does."""
    tenant_id = alliance.tenant_id
    mark = (
        Tenant.objects.filter(pk=tenant_id)
        .annotate(
            items=_latest(Item, tenant_id, "updated_at"),
            agreements=_latest(Agreement, tenant_id, "updated_at"),
            meetings=_latest(Meeting, tenant_id, "updated_at"),
            tree=_latest(Alliance, tenant_id, "updated_at"),
            ratings=_latest(Rating, tenant_id, "pk"),
            points=_latest(PointEntry, tenant_id, "pk"),
            occurrences=_latest(CommitmentItem, tenant_id, "pk"),
            units=_latest(MemberUnit, tenant_id, "pk"),
            memberships=_latest(Membership, tenant_id, "pk"),
        )
        .values_list("items", "agreements", "meetings", "tree", "ratings", "points", "occurrences", "units",
                     "memberships")
        .first()
    )
    version = cache.get(_version_key(tenant_id), 0)
    digest = hashlib.sha1(repr((mark, version)).encode()).hexdigest()[:16]
    return f"dashboard:{tenant_id}:{alliance.path}:{today.isoformat()}:{get_language()}:{digest}"


def _latest(model, tenant_id: int, field: str) -> Subquery:
    """The newest value of `field` in the tenant's rows: one backwards index probe each."""
    return Subquery(model.objects.filter(tenant_id=tenant_id).order_by(f"-{field}").values(field)[:1])


def _bucket(model, field: str, bounds: list[dt.datetime]):
    """Which of the intervals [bounds[i-1], bounds[i]) holds `field`: 0 before, len(bounds) after.

    PostgreSQL's width_bucket (a binary search); a CASE elsewhere (the SQLite demo).
    """
    if connection.vendor == "postgresql":
        column = f'"{model._meta.db_table}"."{model._meta.get_field(field).column}"'
        return RawSQL(f"width_bucket({column}, %s::timestamptz[])", (list(bounds),),
                      output_field=IntegerField())
    return Case(*[When(**{f"{field}__lt": bound}, then=Value(i)) for i, bound in enumerate(bounds)],
                default=Value(len(bounds)), output_field=IntegerField())


def _figures(*, alliance: Alliance, today: dt.date) -> dict:
    now = timezone.now()
    q_start, q_end = quarter_bounds(today)
    months = trend_months(today)
    # The month starts of the trend and the start of the next month: bucket i is months[i - 1].
    bounds = [_aware(month) for month in months] + [_aware(_next_month(months[-1]))]
    trend_start = bounds[0]
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
    # 5. Agreements by child, stage and month signed (the totals by stage are the sums).
    agreement_rows = list(
        Agreement.objects.filter(sub).annotate(child=child, month=_bucket(Agreement, "signed_at", bounds))
        .values("child", "stage", "month").annotate(n=Count("pk")).order_by()
    )
    # 6. Commitment occurrences.
    open_item = Q(item__status__in=OPEN_STATUSES)
    commitments = CommitmentItem.objects.filter(sub).aggregate(
        total=Count("pk"),
        due=Count("pk", filter=Q(due_on__lte=today)),
        fulfilled=Count("pk", filter=Q(item__status__in=DONE_STATUSES)),
        overdue=Count("pk", filter=open_item & Q(due_on__lt=today)),
    )
    # 7. Meetings held by child and month, and this quarter.
    meeting_rows = list(
        Meeting.objects.filter(sub, status__in=HELD_STATUSES, opened_at__gte=min(trend_start, q_start))
        .annotate(child=child, month=_bucket(Meeting, "opened_at", bounds)).values("child", "month")
        .annotate(n=Count("pk"), quarter=Count("pk", filter=held_q)).order_by()
    )
    # 8. Items by child, month opened and month resolved: opened, open, overdue, resolved (and at
    # which level), escalated. One pass over the subtree's items (an index-only scan).
    done = Q(status__in=DONE_STATUSES)
    is_open = Q(status__in=OPEN_STATUSES)
    at_level = {
        level: Alliance.objects.filter(tenant_id=tenant_id, path__startswith=path, level=level).values("pk")
        for level in (Level.COMMUNITY, Level.STREET)
    }
    item_rows = list(
        Item.objects.filter(sub)
        .annotate(child=child, opened_month=_bucket(Item, "created_at", bounds),
                  resolved_month=_bucket(Item, "resolved_at", bounds))
        .values("child", "opened_month", "resolved_month").annotate(
            opened=Count("pk"),
            open=Count("pk", filter=is_open),
            overdue=Count("pk", filter=is_open & Q(due_at__lt=now)),
            resolved=Count("pk", filter=done),
            escalated=Count("pk", filter=Q(escalations__gt=0)),
            resolved_community=Count("pk", filter=done & Q(alliance_id__in=at_level[Level.COMMUNITY])),
            resolved_street=Count("pk", filter=done & Q(alliance_id__in=at_level[Level.STREET])),
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
    month_keys = [_month_key(month) for month in months]

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
    signed_by_month = _Months(month_keys)
    for row in agreement_rows:
        by_stage[row["stage"]] += row["n"]
        signed_by_month.add(row["month"], row["n"])
        if row["stage"] == Stage.PERFORMING:
            performing_by_child[row["child"]] = performing_by_child.get(row["child"], 0) + row["n"]

    meetings_by_child: dict[str, int] = {}
    held_by_month = _Months(month_keys)
    for row in meeting_rows:
        meetings_by_child[row["child"]] = meetings_by_child.get(row["child"], 0) + row["quarter"]
        held_by_month.add(row["month"], row["n"])
    item_keys = ("opened", "open", "overdue", "resolved", "escalated", "resolved_community", "resolved_street")
    items = dict.fromkeys(item_keys, 0)
    items_by_child: dict[str, dict] = {}
    opened_by_month, resolved_by_month = _Months(month_keys), _Months(month_keys)
    for row in item_rows:
        by_child = items_by_child.setdefault(row["child"], dict.fromkeys(item_keys, 0))
        for key in item_keys:
            items[key] += row[key]
            by_child[key] += row[key]
        opened_by_month.add(row["opened_month"], row["opened"])
        resolved_by_month.add(row["resolved_month"], row["opened"])
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
            for key in month_keys
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


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


class _Months(dict):
    """Counts by month key, filled from the 1-based buckets of `_bucket` (others are outside)."""

    def __init__(self, keys: list[str]):
        super().__init__()
        self.keys_in_order = keys

    def add(self, bucket: int | None, n: int) -> None:
        if bucket is not None and 1 <= bucket <= len(self.keys_in_order):
            key = self.keys_in_order[bucket - 1]
            self[key] = self.get(key, 0) + n
