"""Retries with a real Celery worker on Redis: the countdowns are real, the receiver is real."""

from __future__ import annotations

import pytest

from tests.tasks.test_workers import (
    ON_POSTGRES,
    REDIS_URL,
    CeleryProcesses,
    wait_until,
    worker_database_url,
)
from webhooks import services
from webhooks.models import WebhookDelivery

TASK = "webhooks.tasks.webhook_deliver_task"

pytestmark = [
    pytest.mark.skipif(not (REDIS_URL and ON_POSTGRES), reason="needs REDIS_URL and a PostgreSQL DATABASE_URL"),
    pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored"),
]


@pytest.fixture
def celery_processes(transactional_db, tmp_path):
    """Workers on a queue and Redis keys of the test's own, killed at the end (tests/tasks/test_workers.py)."""
    processes = CeleryProcesses(tmp_path, database_url=worker_database_url())
    yield processes
    processes.close()


def test_a_worker_retries_with_back_off_until_the_receiver_answers(tree, register, subscribe, receiver,
                                                                    celery_processes, monkeypatch):
    from config.celery_app import app

    cp = celery_processes
    worker = cp.worker("hooks", concurrency=1, WEBHOOKS_ALLOW_HTTP=1, WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=1,
                       WEBHOOK_RETRY_BASE_SECONDS=0.5)
    cp.wait_ready(worker)
    # The test process is eager: send the deliveries to the worker's queue instead.
    monkeypatch.setattr(services, "_enqueue", lambda ids: [app.send_task(TASK, args=[pk], queue=cp.queue)
                                                           for pk in ids])
    client, _token = register(tree.street_a, "items:read")
    subscription, _secret = subscribe(client, receiver.url, "item.created")
    receiver.answer(500, 500)
    from tasks.services import item_create

    item_create(user=tree.root, alliance=tree.community_a1, title="楼道堆放杂物", source="grid")  # commits
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    wait_until(lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="succeeded").exists(), timeout=60,
               what="the delivery to succeed", processes=cp.processes)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (3, 200)
    first, second, third = (r.at for r in receiver.requests)
    # 0.5 s, then 1 s: exponential back-off through Celery's countdown (ETA), not at once.
    assert second - first >= 0.45 and third - second >= 0.95
    assert len({r.json()["id"] for r in receiver.requests}) == 1
