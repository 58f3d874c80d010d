"""Throughput of the item list API on the Wuhan-sized city, gunicorn with 2 workers, wrk (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_wuhan REDIS_URL=redis://127.0.0.1:6379/3 \
        uv run python bench/items_throughput_bench.py [-d 20] [-c 4] [--repeat 3]

Seeds the data as bench/dashboard_bench.py does (reused when present), gives the district
administrator `wh_quwei` (江岸区) a DRF token, starts gunicorn with 2 sync workers on production
settings (DEBUG off; bench/bench_settings.py adds the floor's URL) and runs wrk with a Lua script
that follows the cursor pages (`next`) of `/api/v1/items/?page_size=50`, 20 pages deep, then starts
again from the first page. Beside it, the floor: `/bench/items-floor/`, the same 50 rows of the
district by primary key through `.values()` and `JsonResponse`, measured the same way. The machine
is shared, so both are measured `--repeat` times, alternately, each run with the load average when
it started. Prints requests/s and the latency percentiles of every run, the best and the median
run of each, and PASS/FAIL (best API run) against issue #6 (≥ 250 requests/s, p99 ≤ 60 ms). Not
part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import ensure_database  # noqa: E402 - bench/ is on the path when run as a script

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance_wuhan")
os.environ.setdefault("DEBUG", "0")

MIN_RPS = 250.0
MAX_P99_MS = 60.0
PAGES_DEEP = 20
LABELS = ("API /api/v1/items/", "floor .values() JSON")

LUA = """
local first = "%(first)s"
local path = first
local pages = 0
local headers = {["Accept"] = "application/json"%(auth)s}
request = function()
  return wrk.format("GET", path, headers)
end
response = function(status, hdrs, body)
  pages = pages + 1
  local nxt = body:match('"next":%%s*"([^"]+)"')
  if status == 200 and nxt and pages < %(deep)d then
    path = nxt:gsub("^https?://[^/]+", ""):gsub("\\\\u0026", "&")
  else
    path = first
    pages = 0
  end
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, headers: dict, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as answer:
                if answer.status == 200:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {url} in {timeout} s")


def run_wrk(*, base: str, first: str, auth: str, duration: int, connections: int, threads: int,
            workdir: Path) -> dict:
    script = workdir / f"wrk_{abs(hash(first))}.lua"
    script.write_text(LUA % {"first": first, "auth": auth, "deep": PAGES_DEEP})
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), base],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = {}
    for label, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        percentiles[label] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p": percentiles, "non2xx": int(errors.group(1)) if errors else 0, "raw": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-d", "--duration", type=int, default=20, help="seconds of each wrk run")
    parser.add_argument("-c", "--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("-t", "--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of (API, floor); best and median are printed (the machine is shared)")
    parser.add_argument("--raw", action="store_true", help="print wrk's own output too")
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], who="items_throughput_bench")

    import django

    django.setup()

    from _wuhan_data import ensure_wuhan
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from members.models import User

    ensure_wuhan(log=lambda message: print(message, flush=True))
    user = User.objects.get(username="wh_quwei")
    district = user.role_assignments.get().alliance
    token, _created = Token.objects.get_or_create(user=user)
    first = "/api/v1/items/?page_size=50"
    floor_first = f"/bench/items-floor/?path={district.path}&page_size=50"

    # The queries of one request, in process (test client, same settings as a worker's).
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with CaptureQueriesContext(connection) as ctx:
        answer = client.get(first, HTTP_HOST="127.0.0.1")
    api_queries = [q["sql"][:140] for q in ctx.captured_queries]
    print(f"\n{district.name}: API page 1 answered {answer.status_code} in process with {len(api_queries)} queries:")
    for sql in api_queries:
        print(f"    {sql}")
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
    }
    workdir = Path(tempfile.mkdtemp(prefix="items_bench_"))
    log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 - closed at the end
    server = subprocess.Popen(
        # Sync workers (one request at a time each; they close the connection after each answer, so
        # `--keep-alive` does not apply), no access log, /dev/shm for the heartbeat as in the Dockerfile.
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--workers", str(args.workers),
         "--worker-class", "sync", "--worker-tmp-dir", "/dev/shm",
         "--bind", f"127.0.0.1:{port}", "--pythonpath", f"{ROOT},{ROOT / 'bench'}",
         "--error-logfile", str(workdir / "gunicorn.log")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    auth = f', ["Authorization"] = "Token {token.key}"'
    try:
        wait_ready(base + first, {"Authorization": f"Token {token.key}", "Accept": "application/json"})
        wait_ready(base + floor_first, {})
        # Warm both workers' connections and caches, on both endpoints.
        for path, headers in ((first, auth), (floor_first, "")):
            run_wrk(base=base, first=path, auth=headers, duration=3, connections=args.connections,
                    threads=args.threads, workdir=workdir)
        print(f"\ngunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections} "
              f"-d{args.duration}s, following cursor pages {PAGES_DEEP} deep, {args.repeat} rounds "
              f"(API then floor in each); {os.cpu_count()} CPUs\n")
        results = {label: [] for label in LABELS}
        for round_ in range(1, args.repeat + 1):
            for label, path, headers in ((LABELS[0], first, auth), (LABELS[1], floor_first, "")):
                load = os.getloadavg()[0]
                r = run_wrk(base=base, first=path, auth=headers, duration=args.duration,
                            connections=args.connections, threads=args.threads, workdir=workdir)
                r["load"] = load
                results[label].append(r)
                p = r["p"]
                print(f"#{round_} {label:<22} {r['rps']:8.1f} req/s   p50 {p.get('50', 0):6.1f} ms  "
                      f"p90 {p.get('90', 0):6.1f} ms  p99 {p.get('99', 0):6.1f} ms   non-2xx {r['non2xx']}   "
                      f"load {load:.2f}", flush=True)
                if args.raw:
                    print(r["raw"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    print()
    for label in LABELS:
        runs = results[label]
        best = max(runs, key=lambda r: r["rps"])
        median = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        for name, r in (("best", best), ("median", median)):
            print(f"{label:<22} {name:<6} {r['rps']:8.1f} req/s   p50 {r['p'].get('50', 0):6.1f} ms  "
                  f"p99 {r['p'].get('99', 0):6.1f} ms   (load {r['load']:.2f})")
    api = max(results[LABELS[0]], key=lambda r: r["rps"])
    floor = max(results[LABELS[1]], key=lambda r: r["rps"])
    ok = api["rps"] >= MIN_RPS and api["p"].get("99", 1e9) <= MAX_P99_MS and api["non2xx"] == 0
    print(f"\nAPI / floor (best runs): {api['rps'] / floor['rps']:.2f} of the floor's requests/s")
    print(f"target ≥ {MIN_RPS:g} req/s and p99 ≤ {MAX_P99_MS:g} ms (best API run): {'PASS' if ok else 'FAIL'} "
          f"(logs in {workdir})")
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
