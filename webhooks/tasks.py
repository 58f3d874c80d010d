"""Celery entry points. Thin: they take ids, call services, and are safe to run twice at once."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .services import deliveries_requeue_stale, delivery_attempt


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver_task(self, delivery_id: int):
    """Send one delivery; on failure retry with exponential back-off (WEBHOOK_RETRY_BASE_SECONDS ×
    2^n) up to WEBHOOK_MAX_ATTEMPTS attempts in all. A replay starts a new round of retries."""
    retries = self.request.retries or 0
    attempt = delivery_attempt(delivery_id=delivery_id, retries=retries,
                               last_try=retries + 1 >= settings.WEBHOOK_MAX_ATTEMPTS)
    if attempt.retry:
        if self.request.is_eager:
            # No broker (the embedded demo, tests): Celery's apply() runs a returned retry at once,
            # without the countdown; raising it would propagate out of the eager call instead.
            return self.retry(countdown=attempt.countdown, throw=False)
        raise self.retry(countdown=attempt.countdown)
    return None


@shared_task(acks_late=True)
def webhook_requeue_stale_task() -> int:
    """Beat: pending deliveries whose message was lost are sent again (bounded per run)."""
    return deliveries_requeue_stale()
