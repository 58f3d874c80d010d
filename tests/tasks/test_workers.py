"""The escalation sweep with real Celery workers and beats, on real Redis and PostgreSQL.

Each item is escalated once with several workers at once; a worker killed mid-batch loses
nothing (acks_late and the visibility timeout bring its task back, the batch rolls back);
items at the root are never picked up again; two beats send the sweep no more often than one.
The workers and beats are subprocesses on a queue of their own, and all of them are killed
at the end of each test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from alliance.models import Alliance
from tasks.models import Category, EventKind, Item, ItemEvent, ItemSource, Status

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
SWEEP = "tasks.tasks.escalate_overdue_items_task"
BATCH = 100

pytestmark = [
    pytest.mark.skipif(
        not (REDIS_URL and ON_POSTGRES),
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL: a worker in another process "
               "cannot see SQLite's test database",
    ),
    # send_task always goes to the broker; the test process itself stays eager.
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]

TASK_LINE = re.compile(r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]{36})\] (?P<what>received|succeeded|raised)"
                       r"(?: in (?P<secs>[\d.]+)s: (?P<result>.*))?")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and its pool, as a crash would."""
        with contextlib.suppress(ProcessLookupError):  # the group may be gone already
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


@dataclass
class CeleryProcesses:
    """Workers and beats for one test, on a queue and Redis keys named after the run."""

    tmp_path: Path
    database_url: str | None
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    processes: list[Process] = field(default_factory=list)

    @property
    def queue(self) -> str:
        return f"test-sweep-{self.run}"

    @property
    def redis(self):
        import redis

        return redis.Redis.from_url(REDIS_URL)

    def _start(self, name: str, args: list[str], env: dict[str, object]) -> Process:
        full_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "CELERY_EAGER": "0",
            "REDIS_URL": REDIS_URL,
            "CELERY_QUEUE": self.queue,
            "ITEM_SWEEP_BATCH_SIZE": str(BATCH),
            # Look for unacknowledged messages every second, in keys of the run's own, so that
            # no other run's killed worker can hold up the restores (config/settings/test.py).
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_KEY_PREFIX": f"test-{self.run}-",
            "PYTHONUNBUFFERED": "1",
            **({"DATABASE_URL": self.database_url} if self.database_url else {}),
            **{key: str(value) for key, value in env.items()},
        }
        log = self.tmp_path / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=full_env,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def worker(self, name: str, *, concurrency: int = 2, **env: object) -> Process:
        # -l info (not warning): the "ready." line and each task's "succeeded ...: <rows>".
        return self._start(name, [
            "worker", "-l", "info", "-c", str(concurrency), "-P", "prefork", "-Q", self.queue,
            "-n", f"{name}-{self.run}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ], env)

    def beat(self, name: str, *, key_prefix: str, queue: str, interval: int = 1) -> Process:
        return self._start(name, [
            "beat", "-l", "info", "-S", "redbeat.RedBeatScheduler", "--max-interval", "1",
        ], {"REDBEAT_KEY_PREFIX": key_prefix, "CELERY_QUEUE": queue, "ITEM_SWEEP_INTERVAL": interval})

    def wait_ready(self, *workers: Process, timeout: float = 30) -> None:
        for worker in workers:
            wait_until(lambda w=worker: " ready." in w.text(), timeout=timeout,
                       what=f"worker {worker.name} to be ready", processes=self.processes)

    def send_sweep(self, **kwargs: object) -> str:
        from config.celery_app import app

        return app.send_task(SWEEP, kwargs={"batch_size": BATCH, **kwargs}, queue=self.queue).id

    def task_lines(self) -> list[re.Match]:
        return [m for p in self.processes for m in TASK_LINE.finditer(p.text())]

    def finished(self, task_id: str) -> re.Match | None:
        return next((m for m in self.task_lines() if m["id"] == task_id and m["what"] != "received"), None)

    def quiet(self) -> bool:
        """Nothing waiting in the queue and every task a worker received has finished."""
        lines = self.task_lines()
        received = {m["id"] for m in lines if m["what"] == "received"}
        done = {m["id"] for m in lines if m["what"] != "received"}
        return self.redis.llen(self.queue) == 0 and received <= done

    def logs(self) -> str:
        return "\n".join(f"----- {p.name} -----\n{p.text()}" for p in self.processes)

    def close(self) -> None:
        for process in self.processes:
            process.kill()
        self.clean_redis()

    def clean_redis(self) -> None:
        """Delete what this run left in Redis: queues, bindings, pidbox queues, unacked, results."""
        client = self.redis
        keys = {self.queue, f"_kombu.binding.{self.queue}"}
        keys |= {f"{self.queue}\x06\x16{priority}" for priority in (3, 6, 9)}
        keys |= {k.decode() for k in client.scan_iter(match=f"*{self.run}*")}
        keys |= {f"celery-task-meta-{m['id']}" for m in self.task_lines()}
        client.delete(*keys)
        for binding in client.scan_iter(match="_kombu.binding*", _type="SET"):
            stale = [m for m in client.smembers(binding) if self.run.encode() in m]
            if stale:
                client.srem(binding, *stale)


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str,
               processes: Sequence[Process] = (), interval: float = 0.05):
    """Poll until `predicate` is truthy; fail with the logs after `timeout` s or when one crashed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        dead = [p for p in processes if p.popen.poll() is not None and p.popen.returncode > 0]
        if time.monotonic() > deadline or dead:
            logs = "\n".join(f"----- {p.name} (exit {p.popen.poll()}) -----\n{p.text()[-3000:]}"
                             for p in processes)
            why = f"{dead[0].name} exited" if dead else f"timed out after {timeout:.0f} s"
            pytest.fail(f"{why} waiting for {what}\n{logs}", pytrace=False)
        time.sleep(interval)


def worker_database_url() -> str:
    """The database pytest-django created, for the workers: same server and user, test name."""
    s = connection.settings_dict
    auth = quote(s.get("USER") or "") + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    return (f"postgres://{auth}{'@' if auth else ''}{s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}"
            f"/{quote(s['NAME'])}")


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    processes = CeleryProcesses(tmp_path, database_url=worker_database_url())
    yield processes
    processes.close()


def overdue_items(*, at: Alliance, origin: Alliance, n: int, escalations: int = 0) -> list[int]:
    """n open items handled at `at`, a day past their deadline, with what item_create sets."""
    tag = uuid.uuid4().hex[:8]
    due = timezone.now() - dt.timedelta(days=1)
    items = Item.objects.bulk_create([
        Item(tenant_id=at.tenant_id, alliance=at, alliance_path=at.path, origin=origin,
             origin_path=origin.path, title=f"楼道堆放杂物 {i}", category=Category.ENVIRONMENT,
             source=ItemSource.GRID, status=Status.NEW, due_at=due - dt.timedelta(seconds=i),
             escalations=escalations, reference=f"T{tag}-{i:06d}")
        for i in range(n)
    ], batch_size=1000)
    return [item.pk for item in items]


def sweeps_in(client, queue: str) -> int:
    """Sweep messages waiting in a queue (a Redis list named after it)."""
    messages = [json.loads(raw) for raw in client.lrange(queue, 0, -1)]
    return sum(1 for m in messages if m["headers"]["task"] == SWEEP)


def escalated_count() -> int:
    return ItemEvent.objects.filter(kind=EventKind.ESCALATED).count()


def half_moved(parent: Alliance) -> list[tuple]:
    """Items whose row and events disagree: escalations == 1 iff one escalated event iff at parent."""
    events = dict(ItemEvent.objects.filter(kind=EventKind.ESCALATED).values("item_id")
                  .annotate(n=Count("pk")).values_list("item_id", "n"))
    wrong = []
    for pk, escalations, alliance_id, path in Item.objects.values_list(
            "pk", "escalations", "alliance_id", "alliance_path"):
        state = (escalations, events.get(pk, 0), alliance_id == parent.pk and path == parent.path)
        if state not in {(0, 0, False), (1, 1, True)}:
            wrong.append((pk, *state))
    return wrong


def assert_each_escalated_once(ids: list[int], parent: Alliance) -> None:
    assert Item.objects.filter(pk__in=ids).count() == len(ids)
    assert not Item.objects.filter(pk__in=ids).exclude(escalations=1).exists()
    assert not Item.objects.filter(pk__in=ids).exclude(alliance=parent).exists()
    per_item = ItemEvent.objects.filter(item_id__in=ids, kind=EventKind.ESCALATED) \
        .values("item_id").annotate(n=Count("pk"))
    counts = {row["item_id"]: row["n"] for row in per_item}
    assert len(counts) == len(ids), f"{len(ids) - len(counts)} items have no escalated event"
    assert set(counts.values()) == {1}, "some items have more than one escalated event"
    assert half_moved(parent) == []


def test_two_workers_and_simultaneous_sweeps_escalate_each_item_once(tree, celery_processes):
    cp = celery_processes
    ids = overdue_items(at=tree.community_a1, origin=tree.community_a1, n=2000)
    workers = [cp.worker("w0", concurrency=2), cp.worker("w1", concurrency=2)]
    cp.wait_ready(*workers)

    started = time.monotonic()
    for _ in range(6):  # as if beat fired six times at once: every sweep competes for the same rows
        cp.send_sweep(max_batches=5)
    wait_until(lambda: escalated_count() >= len(ids), timeout=30, what="2,000 escalations",
               processes=cp.processes)
    wait_until(cp.quiet, timeout=15, what="the queue to drain", processes=cp.processes)
    print(f"2,000 items escalated by 2 workers x 2 in {time.monotonic() - started:.1f} s")

    assert_each_escalated_once(ids, tree.street_a)
    assert escalated_count() == len(ids)
    handled = [m for m in cp.task_lines() if m["name"] == SWEEP and m["what"] == "succeeded"]
    assert sum(int(m["result"]) for m in handled) == len(ids)  # no row was handled twice
    logs = cp.logs()
    assert "IntegrityError" not in logs and "Traceback" not in logs, logs[-5000:]


def test_a_worker_killed_mid_sweep_loses_nothing_and_escalates_nothing_twice(tree, celery_processes):
    cp = celery_processes
    visibility = 6
    env = {"CELERY_VISIBILITY_TIMEOUT": visibility}
    ids = overdue_items(at=tree.community_a1, origin=tree.community_a1, n=3000)
    first = cp.worker("first", concurrency=1, **env)
    cp.wait_ready(first)

    task_id = cp.send_sweep(max_batches=1000)  # one task for the whole sweep: nothing else can finish it
    sent = time.monotonic()
    at_kill = wait_until(lambda: escalated_count() or None, timeout=20, interval=0.005,
                         what="the first batch", processes=cp.processes)
    first.kill()
    killed = time.monotonic()
    assert at_kill < len(ids), "the sweep finished before the worker could be killed"

    # The batch in flight rolled back with the killed connection: only whole batches are there.
    time.sleep(0.5)
    done_before = escalated_count()
    assert 0 < done_before < len(ids)
    assert done_before % BATCH == 0
    assert half_moved(tree.street_a) == []
    assert sweeps_in(cp.redis, cp.queue) == 0  # held unacknowledged, not back in the queue yet

    second = cp.worker("second", concurrency=1, **env)
    wait_until(lambda: escalated_count() >= len(ids), timeout=visibility + 30,
               what="the unacknowledged task to come back to the second worker", processes=cp.processes)
    back = time.monotonic()
    wait_until(lambda: cp.finished(task_id), timeout=15, what="the redelivered task to finish",
               processes=cp.processes)
    print(f"killed {killed - sent:.2f} s after sending, at {done_before}/{len(ids)} escalated; "
          f"the rest done {back - killed:.1f} s after the kill (visibility timeout {visibility} s)")

    assert task_id in second.text(), "the second worker did not receive the original task"
    assert back - sent >= visibility - 1, "the task came back before its visibility timeout"
    assert_each_escalated_once(ids, tree.street_a)
    assert escalated_count() == len(ids)
    assert "IntegrityError" not in second.text()


def test_items_overdue_at_the_root_are_never_selected_again(tree, celery_processes):
    cp = celery_processes
    ids = overdue_items(at=tree.district, origin=tree.community_a1, n=3 * BATCH, escalations=2)
    worker = cp.worker("w0", concurrency=2)
    cp.wait_ready(worker)

    first = cp.send_sweep()
    line = wait_until(lambda: cp.finished(first), timeout=20, what="the first sweep",
                      processes=cp.processes)
    assert line["what"] == "succeeded" and int(line["result"]) == len(ids)
    items = Item.objects.filter(pk__in=ids)
    assert items.filter(overdue_at_root=True, escalations=2, alliance=tree.district).count() == len(ids)
    overdue = ItemEvent.objects.filter(kind=EventKind.OVERDUE)
    assert overdue.count() == len(ids) and not ItemEvent.objects.filter(kind=EventKind.ESCALATED).exists()
    events = ItemEvent.objects.count()

    again = cp.send_sweep()
    line = wait_until(lambda: cp.finished(again), timeout=10, what="the second sweep",
                      processes=cp.processes)
    print(f"second sweep: {line['result']} rows in {line['secs']} s")
    assert line["what"] == "succeeded" and int(line["result"]) == 0
    assert float(line["secs"]) < 2
    assert ItemEvent.objects.count() == events
    assert items.filter(overdue_at_root=True, escalations=2, alliance=tree.district).count() == len(ids)


@pytest.fixture
def beat_processes(tmp_path):
    processes = CeleryProcesses(tmp_path, database_url=None)
    yield processes
    processes.close()


def test_two_beats_send_the_sweep_as_often_as_one(beat_processes):
    cp = beat_processes
    interval, window = 1, 6.0
    pair_queue, single_queue = f"test-beat-pair-{cp.run}", f"test-beat-single-{cp.run}"
    pair = [cp.beat(f"beat-pair-{i}", key_prefix=f"test-redbeat-pair-{cp.run}:", queue=pair_queue,
                    interval=interval) for i in range(2)]
    single = cp.beat("beat-single", key_prefix=f"test-redbeat-single-{cp.run}:", queue=single_queue,
                     interval=interval)
    beats = [*pair, single]
    # Start-up takes seconds on a busy machine: count over a window in which all three run.
    wait_until(lambda: all("beat: Starting..." in p.text() for p in beats), timeout=30,
               what="three beats to start", processes=beats)
    before = sweeps_in(cp.redis, pair_queue), sweeps_in(cp.redis, single_queue)
    started = time.monotonic()
    time.sleep(window)
    after = sweeps_in(cp.redis, pair_queue), sweeps_in(cp.redis, single_queue)
    elapsed = time.monotonic() - started
    alive = [p.name for p in beats if p.popen.poll() is None]
    for process in beats:
        process.kill()
    # The queues and the RedBeat keys carry the run's name: the fixture deletes them.
    from_pair, from_single = after[0] - before[0], after[1] - before[1]
    print(f"in {elapsed:.1f} s: two beats sent {from_pair} sweeps, one beat sent {from_single}")

    assert len(alive) == 3, cp.logs()
    assert from_single >= 3, cp.logs()
    assert from_pair <= elapsed / interval + 2, cp.logs()
    assert from_pair <= from_single + 2, cp.logs()  # twice as many if both beats sent it
    # RedBeat's lock: one of the pair schedules, the other waits for the lock.
    assert sum("Acquired lock" in p.text() for p in pair) == 1, cp.logs()
