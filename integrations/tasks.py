"""Celery entry points of the integrations app (thin)."""

from celery import shared_task

from .idempotency import idempotency_records_expire


@shared_task
def idempotency_records_expire_task() -> int:
    """Forget idempotency keys older than a day (beat, hourly); safe to run twice at once."""
    return idempotency_records_expire()
