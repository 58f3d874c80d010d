"""Escalation sweep benchmark: 100,000 overdue items, two Celery workers, one batch in ten crashing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alliance_bench_escalation \\
    REDIS_URL=redis://127.0.0.1:6379/0 uv run python bench/escalation_bench.py [-n 100000] [--profile]

The target (from the issue): 100,000 overdue items escalated in ≤ 15 s with two workers, with
one in ten batches crashing, and zero double escalations; every escalation leaves exactly one
event row. The script creates the scratch database if it is missing, migrates it, builds a
district, a street (with a secretary, so notifications are sent) and a community through the
services, replaces the items with N overdue ones, starts two prefork workers, sends the sweep,
and SIGKILLs the pool process running a batch each time ten more batches have committed (the
batch crashes; the worker forks a new process and its task comes back). `--kill group` kills
a whole worker instead and restarts it. It prints PASS/FAIL for the time and the counts, and exits non-zero on a FAIL.
`--profile` instead runs batches in this process and prints where a batch's time goes.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import ensure_database  # noqa: E402 - bench/ is on the path when run as a script

# The test settings: DEBUG off, e-mail to memory, and the knob that makes Kombu look for
# unacknowledged messages every second (CELERY_UNACKED_RESTORE_INTERVAL).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance_bench_escalation")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["CELERY_EAGER"] = "0"

TARGET_SECONDS = 15.0
SWEEP = "tasks.tasks.escalate_overdue_items_task"
TENANT_CODE = "990001"


def build_tree():
    """A district, a street with a secretary and a community, made through the services once."""
    from alliance.models import Alliance, Level
    from alliance.roles import Role
    from alliance.services import alliance_create, tenant_create
    from members.models import User
    from members.services import role_assign

    district = Alliance.objects.filter(tenant__code=TENANT_CODE, depth=1).first()
    if district is None:
        root = User.objects.filter(username="bench_root").first() or User.objects.create_superuser(
            "bench_root", "bench_root@example.cn", "pw-Bench-2026")
        district = tenant_create(name="压测区党建共同体", code=TENANT_CODE)
        street = alliance_create(user=root, parent=district, name="压测街道党建共同体",
                                 level=Level.STREET, code=f"{TENANT_CODE}001")
        alliance_create(user=root, parent=street, name="压测社区党建共同体", level=Level.COMMUNITY,
                        code=f"{TENANT_CODE}001001")
        secretary = User.objects.create_user("bench_secretary", "bench_secretary@example.cn",
                                              "pw-Bench-2026", name="街道书记")
        role_assign(user=root, target=secretary, alliance=street, role=Role.SECRETARY)
    street = Alliance.objects.get(tenant_id=district.tenant_id, depth=2)
    community = Alliance.objects.get(tenant_id=district.tenant_id, depth=3)
    return district, street, community


def insert_overdue_items(community, n: int) -> None:
    """Replace every item with n open ones at the community, a day overdue (what item_create sets)."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from tasks.models import Category, Item, ItemSource, Status

    with connection.cursor() as cursor:  # a scratch database: start from no items at all
        cursor.execute("TRUNCATE tasks_item, tasks_itemevent, tasks_rating, tasks_notification CASCADE")
    due = timezone.now() - dt.timedelta(days=1)
    categories = list(Category.values)
    tag = uuid.uuid4().hex[:6]
    chunk = 5000
    for start in range(0, n, chunk):
        Item.objects.bulk_create([
            Item(tenant_id=community.tenant_id, alliance=community, alliance_path=community.path,
                 origin=community, origin_path=community.path, title=f"压测事项 {i}",
                 category=categories[i % len(categories)], source=ItemSource.GRID, status=Status.NEW,
                 due_at=due - dt.timedelta(seconds=i), reference=f"B{tag}-{i:07d}")
            for i in range(start, min(n, start + chunk))
        ])
    with connection.cursor() as cursor:  # fresh statistics, as a table that has been live for a while has
        cursor.execute("ANALYZE tasks_item")
        cursor.execute("ANALYZE tasks_itemevent")


class Worker:
    """One `celery worker` process group; `kill` SIGKILLs the group, `start` starts a fresh one."""

    def __init__(self, name: str, *, run: str, queue: str, concurrency: int, env: dict[str, str],
                 log_dir: Path):
        self.name, self.run, self.queue, self.concurrency = name, run, queue, concurrency
        self.env, self.log_dir = env, log_dir
        self.generation = 0
        self.popen: subprocess.Popen | None = None
        self.log: Path | None = None
        self.logs: list[Path] = []
        self.started_at = 0.0
        self.startup_seconds: list[float] = []  # from start to "ready.", one per generation
        self.lock = threading.Lock()  # the killer thread restarts it while the main one watches

    def start(self) -> None:
        with self.lock:
            self._start()

    def _start(self) -> None:
        self.generation += 1
        self.log = self.log_dir / f"{self.name}.{self.generation}.log"
        self.logs.append(self.log)
        launcher = ["-m", "celery"]
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, *launcher, "-A", "config", "worker", "-l", "info",
                 "-c", str(self.concurrency), "-P", "prefork", "-Q", self.queue,
                 "-n", f"{self.name}-{self.run}@%h", "--without-gossip", "--without-mingle",
                 "--without-heartbeat"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.started_at = time.monotonic()

    @property
    def ready(self) -> bool:
        with self.lock:
            if self.popen is None or self.popen.poll() is not None:
                return False
            if len(self.startup_seconds) == self.generation:
                return True
            if " ready." in self.log.read_text(errors="replace"):
                self.startup_seconds.append(time.monotonic() - self.started_at)
                return True
            return False

    def kill(self) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def kill_a_pool_process(self) -> bool:
        """SIGKILL one prefork child: the parent sees the worker lost and requeues its task."""
        children = [pid for threads in Path(f"/proc/{self.popen.pid}/task").glob("*/children")
                    for pid in threads.read_text().split()]
        if not children:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(children[0]), signal.SIGKILL)
        return True

    def text(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs)


class Killer(threading.Thread):
    """SIGKILL a ready worker each time `every` more batches have committed; restart it at once."""

    def __init__(self, workers: list[Worker], *, every: int, batch_size: int, what: str):
        super().__init__(daemon=True)
        self.workers, self.every, self.batch_size, self.what = workers, every, batch_size, what
        self.stop = threading.Event()
        self.kills = 0

    def run(self) -> None:
        from django.db import connection

        from tasks.models import EventKind, ItemEvent

        last = 0
        turn = 0
        try:
            while not self.stop.wait(0.05):
                if not self.every:
                    continue
                batches = ItemEvent.objects.filter(kind=EventKind.ESCALATED).count() // self.batch_size
                if batches - last < self.every:
                    continue
                victims = [w for w in self.workers[turn:] + self.workers[:turn] if w.ready]
                if not victims:
                    continue  # both are starting up: a crash now would crash no batch
                victim = victims[0]
                if self.what == "child":
                    if not victim.kill_a_pool_process():
                        continue
                else:
                    victim.kill()
                    victim.start()
                self.kills += 1
                last = batches
                turn = (self.workers.index(victim) + 1) % len(self.workers)
        finally:
            connection.close()


class Beat(threading.Thread):
    """What beat does: send the sweep every `interval` seconds."""

    def __init__(self, send, interval: float):
        super().__init__(daemon=True)
        self.send, self.interval = send, interval
        self.stop = threading.Event()
        self.sent = 0

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.send()
            self.sent += 1


def clean_redis(*, run: str, queue: str, task_ids: set[str]) -> None:
    """Delete what the run left in Redis: queue, bindings, pidbox queues, unacked keys, results."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = {queue, f"_kombu.binding.{queue}", *(f"{queue}\x06\x16{p}" for p in (3, 6, 9))}
    keys |= {k.decode() for k in client.scan_iter(match=f"*{run}*")}
    keys |= {f"celery-task-meta-{task_id}" for task_id in task_ids}
    client.delete(*keys)
    for binding in client.scan_iter(match="_kombu.binding*", _type="SET"):
        stale = [m for m in client.smembers(binding) if run.encode() in m]
        if stale:
            client.srem(binding, *stale)


def run_workers(args, street, community, *, run: str, queue: str) -> bool:
    from django.db.models import Count
    from django.utils import timezone

    from config.celery_app import app
    from tasks.models import OPEN_STATUSES, EventKind, Item, ItemEvent

    log_dir = Path(f"/tmp/escalation_bench_{run}")
    log_dir.mkdir()
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_EAGER": "0",
        "CELERY_QUEUE": queue, "ITEM_SWEEP_BATCH_SIZE": str(args.batch_size),
        "CELERY_VISIBILITY_TIMEOUT": str(args.visibility_timeout),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1", "CELERY_UNACKED_KEY_PREFIX": f"bench-{run}-",
        "PYTHONUNBUFFERED": "1",
    }
    workers = [Worker(f"w{i}", run=run, queue=queue, concurrency=args.concurrency, env=env,
                      log_dir=log_dir)
               for i in range(args.workers)]
    task_ids: set[str] = set()

    def send() -> None:
        task_ids.add(app.send_task(SWEEP, kwargs={"batch_size": args.batch_size,
                                                  "max_batches": args.max_batches}, queue=queue).id)

    killer = Killer(workers, every=args.kill_every, batch_size=args.batch_size, what=args.kill)
    beat = Beat(send, args.beat_interval)
    try:
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 60
        while not all(w.ready for w in workers):
            if time.monotonic() > deadline:
                sys.exit("workers did not become ready in 60 s; logs in " + str(log_dir))
            time.sleep(0.1)

        overdue_before = timezone.now()
        started = time.monotonic()
        for _ in range(args.tasks):
            send()
        killer.start()
        beat.start()
        remaining = Item.objects.filter(alliance_id=community.pk, status__in=OPEN_STATUSES,
                                        overdue_at_root=False, due_at__lt=overdue_before)
        timeout = started + args.timeout
        while remaining.exists():
            for worker in workers:
                _ = worker.ready  # notes when a restarted worker comes up
            if time.monotonic() > timeout:
                print(f"gave up after {args.timeout:.0f} s; logs in {log_dir}")
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
    finally:
        killer.stop.set()
        beat.stop.set()
        killer.join(timeout=15)
        beat.join(timeout=5)
        for worker in workers:
            worker.kill()
        logs = "".join(w.text() for w in workers)
        task_ids |= set(re.findall(r"\[([0-9a-f-]{36})\] received", logs))
        clean_redis(run=run, queue=queue, task_ids=task_ids)

    escalated = ItemEvent.objects.filter(kind=EventKind.ESCALATED)
    events = escalated.count()
    handled = Item.objects.filter(tenant_id=community.tenant_id)
    wrong_count = handled.exclude(escalations=1).count() + handled.exclude(alliance=street).count()
    duplicates = escalated.values("item_id", "deadline").annotate(n=Count("pk")).filter(n__gt=1).count()
    committed = -(-events // args.batch_size)
    succeeded = [float(x) for x in re.findall(
        rf"{re.escape(SWEEP)}\[[0-9a-f-]{{36}}\] succeeded in ([\d.]+)s: [1-9]", logs)]
    rows = [int(x) for x in re.findall(rf"{re.escape(SWEEP)}\[[0-9a-f-]{{36}}\] succeeded in [\d.]+s: (\d+)", logs)]
    per_batch = (sum(succeeded) / (sum(rows) / args.batch_size)) if rows and sum(rows) else 0.0
    kills_per = committed / killer.kills if killer.kills else float("inf")

    ok_time = elapsed <= TARGET_SECONDS
    ok_events = events == args.n
    checks = [ok_time, ok_events, wrong_count == 0, duplicates == 0]
    mark = {True: "PASS", False: "FAIL"}
    print()
    print(f"items                              {args.n:,}")
    print(f"workers                            {args.workers} × prefork -c {args.concurrency}, "
          f"batch size {args.batch_size}, max_batches {args.max_batches}, "
          f"{args.tasks} sweeps sent at once + one every {args.beat_interval:g} s ({beat.sent} sent)")
    print(f"batches committed                  {committed}")
    what = ("SIGKILL of a worker's process group, then a restart" if args.kill == "group"
            else "SIGKILL of one pool process; the worker requeues its task")
    print(f"kills                              {killer.kills} (one per {kills_per:.1f} committed batches): {what}")
    restarts = [t for w in workers for t in w.startup_seconds[1:]]
    if restarts:
        print(f"restart to ready                   {sum(restarts) / len(restarts):.1f} s mean, "
              f"{max(restarts):.1f} s max ({len(restarts)} restarts seen ready; "
              f"{sum(restarts):.0f} worker-seconds down)")
    print(f"elapsed                            {elapsed:.1f} s  {mark[ok_time]} (target ≤ {TARGET_SECONDS:g} s)")
    print(f"throughput                         {args.n / elapsed:,.0f} items/s; "
          f"a full batch takes {per_batch * 1000:.0f} ms in a worker (mean, from the task logs)")
    print(f"escalated events                   {events:,}  {mark[ok_events]}")
    print(f"items with escalations != 1 or not at the street  {wrong_count}  {mark[wrong_count == 0]}")
    print(f"duplicate (item, deadline) events  {duplicates}  {mark[duplicates == 0]}")
    print(f"IntegrityError in worker logs      {logs.count('IntegrityError')}")
    print(f"worker logs                        {log_dir}")
    return all(checks)


def profile(args, street, community) -> None:
    """Run batches in this process and split a batch's time into its parts."""
    from django.db import connection

    import tasks.notifications
    import tasks.services
    from tasks.models import ItemEvent
    from tasks.services import escalate_overdue_batch

    spent: dict[str, float] = defaultdict(float)
    queries: dict[str, int] = defaultdict(int)

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent[name] += time.perf_counter() - t
        return wrapper

    def sql_timer(execute, sql, params, many, context):
        kind = ("select … for update skip locked" if "SKIP LOCKED" in sql
                else "parent alliances" if '"alliance_alliance"."path" IN' in sql
                else "items (one UPDATE per parent and deadline)" if sql.startswith('UPDATE "tasks_item"')
                else "  of which the INSERT statement in PostgreSQL" if sql.startswith('INSERT INTO "tasks_itemevent"')
                else None)
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if kind:
                spent[kind] += time.perf_counter() - t
            queries["all"] += 1

    patches = [
        (tasks.services, "deadline_for", "deadline computation (deadline_for)"),
        (tasks.notifications, "notify_escalations", "notifications (notify_escalations)"),
        (ItemEvent.objects, "bulk_create", "events (ItemEvent bulk_create)"),
    ]
    saved = [(obj, attr, getattr(obj, attr)) for obj, attr, _ in patches]
    for obj, attr, name in patches:
        setattr(obj, attr, timed(name, getattr(obj, attr)))
    batches, total = 0, 0.0
    try:
        with connection.execute_wrapper(sql_timer):
            for _ in range(args.profile_batches):
                t = time.perf_counter()
                handled = escalate_overdue_batch(batch_size=args.batch_size)
                total += time.perf_counter() - t
                batches += 1
                if handled < args.batch_size:
                    break
    finally:
        for obj, attr, original in saved:
            if isinstance(obj, types.ModuleType):
                setattr(obj, attr, original)
            else:  # a manager: drop the instance attribute, the class's method shows again
                del obj.__dict__[attr]

    print(f"\nprofile: {batches} batches of {args.batch_size} in this process, one connection, "
          f"{queries['all'] / batches:.0f} queries a batch")
    print(f"  {'whole batch':44} {total / batches * 1000:8.1f} ms")
    accounted = 0.0
    for name in ["select … for update skip locked", "parent alliances",
                 "items (one UPDATE per parent and deadline)", *(name for _, _, name in patches)]:
        accounted += spent[name]
        print(f"  {name:44} {spent[name] / batches * 1000:8.1f} ms  {spent[name] / total:5.0%}")
        sub = {"events (ItemEvent bulk_create)": "  of which the INSERT statement in PostgreSQL"}.get(name)
        if sub:
            print(f"  {sub:44} {spent[sub] / batches * 1000:8.1f} ms")
    rest = total - accounted
    print(f"  {'the rest (loop, _event(), commit)':44} {rest / batches * 1000:8.1f} ms  {rest / total:5.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=100_000, help="overdue items")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes per worker")
    parser.add_argument("--kill-every", type=int, default=10, help="committed batches between kills (0: none)")
    parser.add_argument("--kill", choices=["group", "child"], default="child",
                        help="SIGKILL a worker's process group and restart it, or one pool process")
    parser.add_argument("--tasks", type=int, default=8, help="sweep tasks sent at the start")
    parser.add_argument("--max-batches", type=int, default=4, help="batches per task before it re-enqueues")
    parser.add_argument("--beat-interval", type=float, default=1.0, help="seconds between further sweeps")
    parser.add_argument("--visibility-timeout", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds")
    parser.add_argument("--profile", action="store_true", help="profile batches in this process instead")
    parser.add_argument("--profile-batches", type=int, default=20)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"], who="escalation_bench")
    # A queue of the run's own, also for what this process sends (the notification e-mails of
    # --profile); whatever is left on it is deleted at the end.
    run = uuid.uuid4().hex[:10]
    queue = os.environ["CELERY_QUEUE"] = f"bench-sweep-{run}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs; "
          f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}")
    _district, street, community = build_tree()
    n = args.profile_batches * args.batch_size if args.profile else args.n
    t = time.perf_counter()
    insert_overdue_items(community, n)
    print(f"inserted {n:,} overdue items in {time.perf_counter() - t:.1f} s")
    if args.profile:
        try:
            profile(args, street, community)
        finally:
            clean_redis(run=run, queue=queue, task_ids=set())
        return 0
    ok = run_workers(args, street, community, run=run, queue=queue)
    load = os.getloadavg()
    print(f"load average after the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
