"""下级对比: the children of a node side by side for one quarter, with the laggards (落后) marked.

The figures that `dashboard_figures` already gives per child (meetings held in the quarter, open
and overdue items, performing agreements) are taken from it; the others are computed here, each
with one query grouped by the child's path prefix, so the number of queries is fixed whatever the
number of children (CHILDREN_QUERIES, asserted in the tests).

Which figures are flows of the quarter and which are stocks is said in each column's label:
items opened in the quarter and the share of them resolved, commitments due in the quarter (up to
the report day) and the share fulfilled, ratings and points of the quarter; units, signed and
performing agreements and overdue items as they stand.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.models import Agreement, CommitmentItem, PointEntry
from alliance.models import Alliance
from members.models import MemberUnit
from tasks.models import Item, Rating

from .selectors import COUNTED_RATINGS, DONE_STATUSES

# The queries `children_comparison` runs on top of `dashboard_figures`.
CHILDREN_QUERIES = 7

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")
_QUARTER_NAMES = {1: gettext_lazy("一"), 2: gettext_lazy("二"), 3: gettext_lazy("三"), 4: gettext_lazy("四")}


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter, written "2026Q4" in URLs and "2026年第四季度" for people."""

    year: int
    number: int

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, value: str | None, *, today: dt.date | None = None) -> Quarter:
        """The quarter `value` names ("2026Q4"), or the current one if empty; ValidationError for
        anything else, or for a quarter that has not begun."""
        today = today or timezone.localdate()
        if value is None or not str(value).strip():
            return cls.containing(today)
        match = _QUARTER_RE.match(str(value))
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise ValidationError(
                _("季度“%(value)s”无效,请按“2026Q4”的格式填写(年份加Q1至Q4)。") % {"value": str(value)[:20]},
                code="invalid_quarter")
        quarter = cls(int(match.group(1)), int(match.group(2)))
        if quarter.start > today:
            raise ValidationError(_("%(quarter)s尚未开始,无法生成报告。") % {"quarter": quarter.label},
                                  code="future_quarter")
        return quarter

    @property
    def code(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return _("%(year)s年第%(n)s季度") % {"year": self.year, "n": _QUARTER_NAMES[self.number]}

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the quarter."""
        return dt.date(self.year + 1, 1, 1) if self.number == 4 else dt.date(self.year, 3 * self.number + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def report_day(self, today: dt.date) -> dt.date:
        """The day the report is as of: today within the current quarter, else its last day."""
        return min(today, self.last_day)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)


def recent_quarters(today: dt.date, n: int = 8) -> list[Quarter]:
    """The current quarter and the n-1 before it, newest first (the choices on the page)."""
    quarters = [Quarter.containing(today)]
    while len(quarters) < n:
        quarters.append(quarters[-1].previous())
    return quarters


def _aware(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# Columns of the comparison: key, header, and whether a higher value is better (for the legend
# and for the direction a first click sorts in: worst first).
COLUMNS: tuple[tuple[str, object], ...] = (
    ("name", gettext_lazy("名称")),
    ("units", gettext_lazy("成员单位")),
    ("agreements_signed", gettext_lazy("已签约协议")),
    ("agreements_performing", gettext_lazy("履约中协议")),
    ("commitments_due", gettext_lazy("本季度到期承诺")),
    ("commitments_share", gettext_lazy("承诺履行率(%)")),
    ("meetings", gettext_lazy("本季度会议")),
    ("items_opened", gettext_lazy("本季度新增事项")),
    ("items_resolved", gettext_lazy("其中已办结")),
    ("items_overdue", gettext_lazy("当前超期事项")),
    ("resolved_share", gettext_lazy("办结率(%)")),
    ("rating", gettext_lazy("平均评分")),
    ("points", gettext_lazy("本季度积分")),
)
SORT_KEYS = frozenset(key for key, _label in COLUMNS)


def children_comparison(*, alliance: Alliance, figures: dict, quarter: Quarter,
                        today: dt.date | None = None) -> dict:
    """One row per child of `alliance` with its figures for `quarter`, and the laggards marked.

    `figures` is `dashboard_figures(user=…, alliance=alliance, today=quarter.report_day(today))`:
    it has checked the user's permission on `alliance` and gives the per-child figures it holds.
    """
    today = today or timezone.localdate()
    report_day = quarter.report_day(today)
    q_start, q_end = _aware(quarter.start), _aware(quarter.end)
    tenant_id, path = alliance.tenant_id, alliance.path
    child_len = len(path) + Alliance.steplen
    sub = Q(tenant_id=tenant_id, alliance_path__startswith=path)
    child = Substr("alliance_path", 1, child_len)

    # 1. The children themselves (dashboard_figures gives no paths).
    children = list(
        Alliance.objects.filter(tenant_id=tenant_id, path__startswith=path, depth=alliance.depth + 1)
        .order_by("path").values("id", "name", "path", "level", "is_active")
    )
    # 2. Member units registered.
    units = _grouped(MemberUnit.objects.filter(sub).annotate(child=child).values("child")
                     .annotate(n=Count("pk")))
    # 3. Agreements signed by the end of the quarter (whatever became of them since).
    signed = _grouped(Agreement.objects.filter(sub, signed_at__lt=q_end).annotate(child=child).values("child")
                      .annotate(n=Count("pk")))
    # 4. Commitment occurrences due in the quarter up to the report day, and those carried out.
    commitments = _grouped_rows(
        CommitmentItem.objects.filter(sub, due_on__gte=quarter.start, due_on__lte=report_day)
        .annotate(child=child).values("child")
        .annotate(due=Count("pk"), fulfilled=Count("pk", filter=Q(item__status__in=DONE_STATUSES))))
    # 5. Items raised in the quarter (grouped by who handles them now) and how many are resolved.
    items = _grouped_rows(
        Item.objects.filter(sub, created_at__gte=q_start, created_at__lt=q_end).annotate(child=child)
        .values("child").annotate(opened=Count("pk"), resolved=Count("pk", filter=Q(status__in=DONE_STATUSES))))
    # 6. Ratings given in the quarter to the handling levels of each child's subtree.
    ratings = _grouped_rows(
        Rating.objects.filter(tenant_id=tenant_id, rated_alliance__path__startswith=path,
                              status__in=COUNTED_RATINGS, created_at__gte=q_start, created_at__lt=q_end)
        .annotate(child=Substr("rated_alliance__path", 1, child_len)).values("child")
        .annotate(average=Avg("score"), count=Count("pk")))
    # 7. Points earned in the quarter.
    points = _grouped(PointEntry.objects.filter(sub, created_at__gte=q_start, created_at__lt=q_end)
                      .annotate(child=child).values("child").annotate(n=Sum("points")))

    from_figures = {row["id"]: row for row in figures.get("children", ())}
    rows = []
    for c in children:
        known = from_figures.get(c["id"], {})
        p = c["path"]
        due = commitments.get(p, {}).get("due", 0)
        fulfilled = commitments.get(p, {}).get("fulfilled", 0)
        opened = items.get(p, {}).get("opened", 0)
        resolved = items.get(p, {}).get("resolved", 0)
        average = ratings.get(p, {}).get("average")
        rows.append({
            "id": c["id"], "name": c["name"], "level": c["level"], "is_active": bool(c["is_active"]),
            "units": units.get(p, 0),
            "agreements_signed": signed.get(p, 0),
            "agreements_performing": known.get("agreements_performing", 0),
            "commitments_due": due,
            "commitments_fulfilled": fulfilled,
            "commitments_share": _share(fulfilled, due),
            "meetings": known.get("meetings_this_quarter", 0),
            "items_opened": opened,
            "items_resolved": resolved,
            "items_open": known.get("items_open", 0),
            "items_overdue": known.get("items_overdue", 0),
            "resolved_share": _share(resolved, opened),
            "rating": round(float(average), 2) if average is not None else None,
            "rating_count": ratings.get(p, {}).get("count", 0),
            "points": points.get(p, 0) or 0,
        })
    rules = mark_laggards(rows)
    return {"quarter": quarter, "report_day": report_day, "rows": rows, "rules": rules,
            "laggards": sum(1 for row in rows if row["laggard"])}


def _grouped(qs) -> dict[str, int]:
    return {row["child"]: row["n"] for row in qs.order_by()}


def _grouped_rows(qs) -> dict[str, dict]:
    return {row["child"]: row for row in qs.order_by()}


def mark_laggards(rows: list[dict]) -> dict:
    """Mark each active child that lags its siblings, with the reasons; answer the thresholds.

    - its resolved share is below the median of the children's shares (children with items only);
    - its overdue items are among the highest quarter of the children (and not zero);
    - it held no meeting in the quarter.
    The first two compare siblings, so they need at least two active children.
    """
    active = [row for row in rows if row["is_active"]]
    shares = [row["resolved_share"] for row in active if row["resolved_share"] is not None]
    median = statistics.median(shares) if len(shares) >= 2 else None
    overdue_threshold = None
    if len(active) >= 2:
        ranked = sorted((row["items_overdue"] for row in active), reverse=True)
        overdue_threshold = max(ranked[math.ceil(len(ranked) / 4) - 1], 1)
    for row in rows:
        reasons = []
        flags = set()
        if row["is_active"]:
            if median is not None and row["resolved_share"] is not None and row["resolved_share"] < median:
                reasons.append(_("办结率低于中位数"))
                flags.add("resolved_share")
            if overdue_threshold is not None and row["items_overdue"] >= overdue_threshold:
                reasons.append(_("超期事项居前四分之一"))
                flags.add("items_overdue")
            if row["meetings"] == 0:
                reasons.append(_("本季度未开会"))
                flags.add("meetings")
        row["laggard"] = bool(reasons)
        row["laggard_reasons"] = reasons
        row["laggard_flags"] = flags
    return {"median_resolved_share": round(median, 1) if median is not None else None,
            "overdue_threshold": overdue_threshold}


def sort_rows(rows: list[dict], key: str | None, direction: str | None) -> tuple[list[dict], str, str]:
    """The rows sorted by a column (`?sort=<key>&dir=asc|desc`); unknown keys keep the tree order.
    Empty values (no share, no rating) go last in either direction."""
    if key not in SORT_KEYS:
        return rows, "", ""
    direction = "desc" if direction == "desc" else "asc"
    present = [row for row in rows if row.get(key) is not None]
    missing = [row for row in rows if row.get(key) is None]
    present.sort(key=lambda row: (row[key], row["name"]) if key != "name" else row["name"],
                 reverse=direction == "desc")
    return present + missing, key, direction
