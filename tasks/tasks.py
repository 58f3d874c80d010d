"""Celery entry points. Thin: they take ids, call services, and are safe to run twice at once."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification
from .notifications import EscalationTally, notify_escalations
from .services import close_unrated_batch, escalate_overdue_batch


@shared_task(acks_late=True)
def escalate_overdue_items_task(batch_size: int | None = None, max_batches: int = 20) -> int:
    """The beat sweep: a bounded number of batches, then it re-enqueues itself for the rest. Each
    batch commits on its own; the receiving secretaries are notified once for the whole run, with
    what every committed batch sent them (also when a later batch fails)."""
    batch_size = batch_size or settings.ITEM_SWEEP_BATCH_SIZE
    total, more = 0, True
    tally = EscalationTally()
    try:
        for _ in range(max_batches):
            handled = escalate_overdue_batch(batch_size=batch_size, tally=tally)
            total += handled
            if handled < batch_size:
                more = False
                break
    finally:
        if tally:
            with transaction.atomic():
                notify_escalations(tally=tally)
    if more:
        transaction.on_commit(lambda: escalate_overdue_items_task.delay(batch_size, max_batches))
    return total


@shared_task(acks_late=True)
def close_unrated_items_task(batch_size: int = 500) -> int:
    after = dt.timedelta(days=settings.ITEM_RATING_WINDOW_DAYS)
    total = 0
    while True:
        handled = close_unrated_batch(after=after, batch_size=batch_size)
        total += handled
        if handled < batch_size:
            return total


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_emails_task(notification_ids: list[int]) -> int:
    """E-mail each notification once: the conditional update claims it before sending."""
    sent = 0
    for notification in Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True) \
            .select_related("user"):
        if not notification.user.email:
            continue
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True) \
            .update(emailed_at=timezone.now())
        if not claimed:
            continue
        body = notification.body
        if notification.url:
            body += f"\n\n{settings.SITE_URL.rstrip('/')}{notification.url}"
        send_mail(notification.title, body, None, [notification.user.email])
        sent += 1
    return sent
