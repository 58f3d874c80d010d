"""The agreements' beat tasks, run as the worker runs them (eagerly in tests)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from agreements.models import Agreement, CommitmentItem, PointEntry, Stage
from agreements.services import agreement_terminate, commitment_items_generate
from agreements.tasks import commitment_items_generate_task, points_award_task
from tasks.models import Item
from tasks.services import item_confirm, item_resolve, item_start

from ..conftest import fresh


def test_both_tasks_are_on_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"agreements.tasks.commitment_items_generate_task", "agreements.tasks.points_award_task"} <= tasks


def test_the_daily_task_generates_what_came_within_the_horizon_once(tree, agreement_performing):
    # As if the agreement had started performing 40 days ago: the next due dates are missing.
    CommitmentItem.objects.filter(commitment__agreement=agreement_performing, commitment__recurrence="monthly") \
        .filter(due_on__gt=timezone.localdate() + dt.timedelta(days=10)).delete()
    before = CommitmentItem.objects.count()
    made = commitment_items_generate_task.delay().get()
    assert made >= 1 and CommitmentItem.objects.count() == before + made
    assert commitment_items_generate_task.delay().get() == 0


def test_nothing_is_generated_for_an_agreement_no_longer_performing(tree, agreement_performing):
    agreement_terminate(user=fresh(tree.community_secretary_a1), agreement=agreement_performing, reason="退出。")
    CommitmentItem.objects.filter(commitment__agreement=agreement_performing, commitment__recurrence="monthly").delete()
    assert commitment_items_generate_task.delay().get() == 0


def test_the_hourly_task_awards_fulfilled_occurrences_once(tree, agreement_performing):
    occurrence = CommitmentItem.objects.filter(commitment__party__unit=tree.unit_a1).first()
    item = item_start(user=fresh(tree.community_secretary_a1), item=occurrence.item)
    item_resolve(user=fresh(tree.liaison_a1), item=item, note="完成。")
    item_confirm(user=fresh(tree.community_secretary_a1), item=item, solved=True)
    assert points_award_task.delay().get() == 1
    assert points_award_task.delay().get() == 0
    assert PointEntry.objects.get().points == 10


@pytest.mark.django_db(transaction=True)
def test_two_generations_at_once_make_each_item_once(tree, agreement_performing):
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    later = timezone.localdate() + dt.timedelta(days=100)
    items_before, occurrences_before = Item.objects.count(), CommitmentItem.objects.count()
    barrier = threading.Barrier(2)
    made: list[int] = []
    errors: list[Exception] = []

    def generate():
        from django.db import connection as thread_connection
        try:
            barrier.wait(timeout=10)
            made.append(commitment_items_generate(agreement=Agreement(pk=agreement_performing.pk), today=later))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(made)[0] == 0 and sum(made) >= 1
    assert CommitmentItem.objects.count() - occurrences_before == sum(made)
    assert Item.objects.count() - items_before == sum(made)  # no item without its occurrence
    assert Agreement.objects.get(pk=agreement_performing.pk).stage == Stage.PERFORMING
