"""Tree benchmark on PostgreSQL with a Wuhan-sized city (1,603 alliances, 50,000 member units).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_bench uv run python bench/tree_bench.py

Creates the database if it is missing, migrates it and seeds the city once
(`seed_demo --city wuhan`), then measures the queries the subtree rule rests on and prints
PASS/FAIL against the targets of DESIGN.md. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import ensure_database  # noqa: E402 - bench/ is on the path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance_bench")
# Without DEBUG no cursor keeps a query log: the figures are those production would see.
os.environ.setdefault("DEBUG", "0")

DESCENDANTS_P95_MS = 10.0
ANCESTORS_P95_MS = 1.0
SCOPE_MAX_QUERIES = 2


def measure(fn: Callable[[], object], *, repeat: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
    }


def pad(text: str, width: int) -> str:
    """Left-justify in terminal columns: a Chinese character takes two."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def line(label: str, samples: list[float], *, target: float | None = None, extra: str = "") -> bool:
    f = figures(samples)
    verdict = ""
    passed = True
    if target is not None:
        passed = f["p95"] <= target
        verdict = f"  target p95 ≤ {target:g} ms  {'PASS' if passed else 'FAIL'}"
    print(f"{pad(label, 56)} p50 {f['p50']:7.3f} ms  p95 {f['p95']:7.3f} ms  max {f['max']:7.3f} ms"
          f"{verdict}{extra}")
    return passed


def explain(qs, *, analyze: bool = True) -> str:
    return qs.explain(analyze=analyze, buffers=analyze) if analyze else qs.explain()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--repeat", type=int, default=200, help="repetitions of each measurement")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], who="tree_bench")

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alliance.models import Alliance, Level, Tenant
    from alliance.selectors import (
        alliance_ancestor_crumbs,
        alliance_ancestors,
        alliance_descendants,
        alliance_tree_rows,
        forget_scope,
        user_scope,
    )
    from dashboard.management.commands.seed_demo import WUHAN_CODE
    from members.models import MemberUnit, User
    from members.selectors import forget_liaison_units, liaison_unit_ids, member_unit_list

    call_command("migrate", interactive=False, verbosity=0)
    if not Tenant.objects.filter(code=WUHAN_CODE).exists():
        print("seeding the Wuhan-sized city (seed_demo --city wuhan) …", flush=True)
        started = time.perf_counter()
        call_command("seed_demo", city="wuhan", no_progress=not sys.stderr.isatty())
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(",")[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]

    root = Alliance.objects.get(tenant__code=WUHAN_CODE, depth=1)
    tenant_alliances = Alliance.objects.filter(tenant_id=root.tenant_id).count()
    tenant_units = MemberUnit.objects.filter(tenant_id=root.tenant_id).count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n{version} (jit={jit}); {root.name}: {tenant_alliances} alliances, "
          f"{tenant_units} member units; N={args.repeat}; load average {load} on {os.cpu_count()} CPUs\n")
    results: list[bool] = []

    # (a) the whole city below its root, in one query, as the tree rows that views and the
    # /alliances/{id}/descendants/ endpoint use.
    with CaptureQueriesContext(connection) as ctx:
        rows = alliance_tree_rows(alliance=root)
    results.append(line(
        f"(a) descendants of the city root as tree rows ({len(rows)} rows)",
        measure(lambda: alliance_tree_rows(alliance=root), repeat=args.repeat),
        target=DESCENDANTS_P95_MS, extra=f"  [{len(ctx.captured_queries)} query]",
    ))
    line("    same, as full model objects",
         measure(lambda: list(alliance_descendants(alliance=root)), repeat=args.repeat))
    line("    same, without the timestamps and description",
         measure(lambda: list(alliance_descendants(alliance=root).defer("created_at", "updated_at",
                                                                         "description")),
                 repeat=args.repeat))
    line("    same, values_list(pk, path, name) only",
         measure(lambda: list(alliance_descendants(alliance=root).values_list("pk", "path", "name")),
                 repeat=args.repeat))
    district = Alliance.objects.filter(tenant_id=root.tenant_id, level=Level.DISTRICT).order_by("path")[4]
    district_rows = alliance_descendants(alliance=district).count()
    line(f"    descendants of {district.name} ({district_rows} rows)",
         measure(lambda: list(alliance_descendants(alliance=district)), repeat=args.repeat))

    # (b) the ancestors of a community.
    community = (Alliance.objects.filter(tenant_id=root.tenant_id, level=Level.COMMUNITY)
                 .order_by("path")[tenant_alliances // 2])
    with CaptureQueriesContext(connection) as ctx:
        chain = alliance_ancestor_crumbs(alliance=community)
    results.append(line(
        f"(b) ancestors of a community, breadcrumb rows ({len(chain)} rows)",
        measure(lambda: alliance_ancestor_crumbs(alliance=community), repeat=args.repeat),
        target=ANCESTORS_P95_MS, extra=f"  [{len(ctx.captured_queries)} query]",
    ))
    line("    same, as full model objects",
         measure(lambda: list(alliance_ancestors(alliance=community)), repeat=args.repeat))

    # (c) a street secretary: scope resolution, then the first page of its units.
    secretary = User.objects.get(username="wh_jiedao")
    street = secretary.role_assignments.get().alliance

    def resolve_scope():
        forget_scope(secretary)
        forget_liaison_units(secretary)
        user_scope(secretary)
        liaison_unit_ids(secretary)

    with CaptureQueriesContext(connection) as ctx:
        resolve_scope()
    scope_queries = len(ctx.captured_queries)
    scope_ok = scope_queries <= SCOPE_MAX_QUERIES
    results.append(scope_ok)
    line(f"(c) user_scope of {street.name}书记", measure(resolve_scope, repeat=args.repeat),
         extra=f"  [{scope_queries} queries; target ≤ {SCOPE_MAX_QUERIES}  {'PASS' if scope_ok else 'FAIL'}]")

    resolve_scope()
    visible = member_unit_list(user=secretary).count()

    def html_page():
        # What the unit list page runs: the page of 50 by name, and the count for the pager.
        qs = member_unit_list(user=secretary).order_by("name", "pk")
        list(qs[:50])
        qs.count()

    def api_page():
        # What the API's cursor pagination runs: 50 + 1 rows by primary key.
        list(member_unit_list(user=secretary).order_by("pk")[:51])

    with CaptureQueriesContext(connection) as ctx:
        html_page()
    line(f"    unit list page 1 by name + count ({visible} units)", measure(html_page, repeat=args.repeat),
         extra=f"  [{len(ctx.captured_queries)} queries]")
    with CaptureQueriesContext(connection) as ctx:
        api_page()
    line("    API page 1 by pk (cursor)", measure(api_page, repeat=args.repeat),
         extra=f"  [{len(ctx.captured_queries)} query]")

    # The plans: the prefix match must use an index.
    print("\nEXPLAIN (ANALYZE, BUFFERS) descendants of the city root:")
    root_plan = explain(alliance_descendants(alliance=root))
    print(root_plan)
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) descendants of {district.name}:")
    district_plan = explain(alliance_descendants(alliance=district))
    print(district_plan)
    index_used = "Index" in root_plan and "Index" in district_plan
    results.append(index_used)
    print(f"\nindex used for the descendants query: {'PASS' if index_used else 'FAIL'}")
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) ancestors of {community.name}:")
    print(explain(alliance_ancestors(alliance=community)))
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) unit list page 1 for {street.name}书记:")
    print(explain(member_unit_list(user=secretary).order_by("name", "pk")[:50]))

    passed = all(results)
    print(f"\n{'PASS' if passed else 'FAIL'}: {sum(results)}/{len(results)} checks")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
