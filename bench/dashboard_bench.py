"""Dashboard benchmark on a Wuhan-sized city: 1,000,000 items, 100,000 agreements (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_wuhan uv run python bench/dashboard_bench.py [-n 20]

Creates the database if it is missing, migrates it, seeds the city (`seed_demo --city wuhan`)
and its activity (bench/_wuhan_data.py, about a minute) unless they are there, then times
`dashboard_figures` for the city and a few districts:

- computed: the cache off (DASHBOARD_CACHE_SECONDS=0), every figure from the database;
- served: the cache on and warm (the fingerprint query and a cache read), as a page sees it
  between two writes;
- bare SQL: the same figures hand-written in SQL (same definitions, same groupings), run on
  a cursor without the ORM or the Python that puts them together;

and prints p50/p95, the ratio to the bare SQL and the number of queries, with PASS/FAIL against
the targets of issue #6. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import ensure_database  # noqa: E402 - bench/ is on the path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance_wuhan")
os.environ.setdefault("DEBUG", "0")

DISTRICT_P95_MS = 100.0
CITY_P95_MS = 300.0
MAX_RATIO = 2.0

BARE_SQL = {
    "tree": """
        SELECT a.level, a.kind, count(*),
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM meetings_meeting m WHERE m.tenant_id = %(t)s AND m.alliance_id = a.id
                   AND m.status IN ('in_session', 'closed') AND m.opened_at >= %(qs)s AND m.opened_at < %(qe)s))
        FROM alliance_alliance a WHERE a.tenant_id = %(t)s AND a.path LIKE %(p)s AND a.is_active
        GROUP BY 1, 2""",
    "children": """
        SELECT id, name, level, path, is_active FROM alliance_alliance
        WHERE tenant_id = %(t)s AND path LIKE %(p)s AND depth = %(depth)s ORDER BY path""",
    "units": "SELECT count(*) FROM members_memberunit WHERE tenant_id = %(t)s AND alliance_path LIKE %(p)s",
    "memberships": """
        SELECT count(*) FROM members_membership WHERE tenant_id = %(t)s AND alliance_path LIKE %(p)s
        AND (left_on IS NULL OR left_on > %(today)s)""",
    "agreements": """
        SELECT substr(alliance_path, 1, %(cl)s), stage, width_bucket(signed_at, %(bounds)s::timestamptz[]),
               count(*)
        FROM agreements_agreement WHERE tenant_id = %(t)s AND alliance_path LIKE %(p)s GROUP BY 1, 2, 3""",
    "commitments": """
        SELECT count(*), count(*) FILTER (WHERE o.due_on <= %(today)s),
               count(*) FILTER (WHERE i.status IN ('resolved', 'closed')),
               count(*) FILTER (WHERE i.status IN ('new', 'accepted', 'in_progress') AND o.due_on < %(today)s)
        FROM agreements_commitmentitem o JOIN tasks_item i ON i.id = o.item_id
        WHERE o.tenant_id = %(t)s AND o.alliance_path LIKE %(p)s""",
    "meetings": """
        SELECT substr(alliance_path, 1, %(cl)s), width_bucket(opened_at, %(bounds)s::timestamptz[]), count(*),
               count(*) FILTER (WHERE opened_at >= %(qs)s AND opened_at < %(qe)s)
        FROM meetings_meeting WHERE tenant_id = %(t)s AND alliance_path LIKE %(p)s
        AND status IN ('in_session', 'closed') AND opened_at >= %(start)s GROUP BY 1, 2""",
    "items": """
        SELECT substr(alliance_path, 1, %(cl)s), width_bucket(created_at, %(bounds)s::timestamptz[]),
               width_bucket(resolved_at, %(bounds)s::timestamptz[]), count(*),
               count(*) FILTER (WHERE status IN ('new', 'accepted', 'in_progress')),
               count(*) FILTER (WHERE status IN ('new', 'accepted', 'in_progress') AND due_at < %(now)s),
               count(*) FILTER (WHERE status IN ('resolved', 'closed')),
               count(*) FILTER (WHERE escalations > 0),
               count(*) FILTER (WHERE status IN ('resolved', 'closed') AND alliance_id IN (
                   SELECT id FROM alliance_alliance WHERE tenant_id = %(t)s AND path LIKE %(p)s
                   AND level = 'community')),
               count(*) FILTER (WHERE status IN ('resolved', 'closed') AND alliance_id IN (
                   SELECT id FROM alliance_alliance WHERE tenant_id = %(t)s AND path LIKE %(p)s
                   AND level = 'street'))
        FROM tasks_item WHERE tenant_id = %(t)s AND alliance_path LIKE %(p)s GROUP BY 1, 2, 3""",
    "rating": """
        SELECT avg(r.score), count(*) FROM tasks_rating r JOIN alliance_alliance a ON a.id = r.rated_alliance_id
        WHERE r.tenant_id = %(t)s AND a.path LIKE %(p)s AND r.status IN ('valid', 'appealed', 'upheld')""",
    "top_units": """
        SELECT pe.unit_id, u.name, sum(pe.points) FROM agreements_pointentry pe
        JOIN members_memberunit u ON u.id = pe.unit_id
        WHERE pe.tenant_id = %(t)s AND pe.alliance_path LIKE %(p)s
        GROUP BY 1, 2 ORDER BY 3 DESC, 2, 1 LIMIT 10""",
}


def measure(fn: Callable[[], object], *, repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def fmt(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):8.1f} ms  p95 {p95(samples):8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--repeat", type=int, default=20, help="runs of each computed measurement")
    parser.add_argument("--districts", type=int, default=3, help="how many districts to time")
    parser.add_argument("--explain", action="store_true", help="print the plans of the items query")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], who="dashboard_bench")

    import django

    django.setup()

    from _wuhan_data import ensure_wuhan
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from alliance.models import Alliance, Level
    from alliance.selectors import user_scope
    from dashboard import selectors
    from members.models import User
    from tasks.models import Item

    tenant = ensure_wuhan(log=lambda message: print(message, flush=True))
    user = User.objects.get(username="wh_zuzhibu")
    user_scope(user)  # resolved once and kept on the user, as in a request
    root = Alliance.objects.get(tenant=tenant, depth=1)
    districts = list(Alliance.objects.filter(tenant=tenant, level=Level.DISTRICT).order_by("path"))
    step = max(1, len(districts) // max(1, args.districts))
    nodes = [root, *districts[::step][: args.districts]]

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(",")[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{version} (jit={jit}); {Item.objects.filter(tenant=tenant).count():,} items; N={args.repeat}; "
          f"load average {load} on {os.cpu_count()} CPUs; cache {selectors.cache.__class__.__name__}\n")

    def bare(node):
        today = timezone.localdate()
        months = selectors.trend_months(today)
        bounds = [selectors._aware(m) for m in months] + [selectors._aware(selectors._next_month(months[-1]))]
        q_start, q_end = selectors.quarter_bounds(today)
        params = {"t": node.tenant_id, "p": node.path + "%", "cl": len(node.path) + Alliance.steplen,
                  "depth": node.depth + 1, "today": today, "now": timezone.now(), "qs": q_start, "qe": q_end,
                  "bounds": bounds, "start": bounds[0]}
        out = {}
        with connection.cursor() as cursor:
            for name, sql in BARE_SQL.items():
                cursor.execute(sql, params)
                out[name] = cursor.fetchall()
        return out

    results: list[bool] = []
    print(f"{'':34}{'computed (no cache)':>34}{'bare SQL':>34}{'ratio':>8}{'served (cache warm)':>36}")
    for node in nodes:
        items = Item.objects.filter(tenant=tenant, alliance_path__startswith=node.path).count()
        target = CITY_P95_MS if node.depth == 1 else DISTRICT_P95_MS
        with override_settings(DASHBOARD_CACHE_SECONDS=0):
            with CaptureQueriesContext(connection) as ctx:
                figures = selectors.dashboard_figures(user=user, alliance=node)
            queries = len(ctx.captured_queries)
            computed = measure(lambda n=node: selectors.dashboard_figures(user=user, alliance=n), repeat=args.repeat)
        plain = measure(lambda n=node: bare(n), repeat=args.repeat)
        rows = bare(node)
        assert sum(r[3] for r in rows["items"]) == figures["items"]["opened"], "bare SQL and the ORM disagree"
        assert rows["commitments"][0][0] == figures["commitments"]["total"], "bare SQL and the ORM disagree"
        selectors.cache.clear()
        selectors.dashboard_figures(user=user, alliance=node)  # fills the cache
        with CaptureQueriesContext(connection) as ctx:
            selectors.dashboard_figures(user=user, alliance=node)
        served_queries = len(ctx.captured_queries)
        served = measure(lambda n=node: selectors.dashboard_figures(user=user, alliance=n),
                         repeat=args.repeat * 10, warmup=5)
        ratio = p95(computed) / p95(plain)
        computed_ok = p95(computed) <= target and ratio <= MAX_RATIO
        served_ok = p95(served) <= target
        results.append(served_ok)
        label = f"{node.name.removesuffix('党建共同体')} ({items:,} items)"
        print(f"{label:<28}  {fmt(computed)} [{queries} q]  {fmt(plain)} [{len(BARE_SQL)} q]  {ratio:5.2f}×  "
              f"{fmt(served)} [{served_queries} q]")
        print(f"{'':30}target p95 ≤ {target:g} ms, ≤ {MAX_RATIO:g}× bare: computed "
              f"{'PASS' if computed_ok else 'FAIL'}, served {'PASS' if served_ok else 'FAIL'}")

    if args.explain:
        node = nodes[1] if len(nodes) > 1 else nodes[0]
        today = timezone.localdate()
        months = selectors.trend_months(today)
        bounds = [selectors._aware(m) for m in months] + [selectors._aware(selectors._next_month(months[-1]))]
        params = {"t": node.tenant_id, "p": node.path + "%", "cl": len(node.path) + Alliance.steplen,
                  "now": timezone.now(), "bounds": bounds, "today": today}
        for name in ("items", "commitments"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + BARE_SQL[name], params)
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) {name} of {node.name}:")
                print("\n".join(row[0] for row in cursor.fetchall()))

    passed = all(results)
    print(f"\n{'PASS' if passed else 'FAIL'} (served): {sum(results)}/{len(results)}; "
          f"computed figures are printed for reference (see bench/README.md)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
