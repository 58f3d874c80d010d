"""Celery entry points of the dashboard. Thin: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def dashboard_export_task(job_id: int) -> str | None:
    """Make one export job's file; safe to run twice (the service claims the job conditionally)."""
    job = services.export_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(acks_late=True)
def dashboard_exports_purge_task() -> int:
    """Beat: delete export jobs and their files after EXPORT_JOB_KEEP_DAYS days, in batches."""
    total = 0
    while True:
        deleted = services.export_jobs_purge()
        total += deleted
        if deleted < 500:
            return total
