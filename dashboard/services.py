"""Writes of the dashboard app: export jobs (asked for, run by the worker, purged when old)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance

from .comparison import Quarter
from .models import ExportJob, ExportKind, ExportStatus
from .selectors import dashboard_require_access

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)
EXPORT_JOB_KEEP_DAYS = 7


@transaction.atomic
def export_job_create(*, user, alliance: Alliance, kind: str, quarter: str | None) -> ExportJob:
    """Ask for an export of a dashboard the user may open; the worker makes it after commit.
    The same export still queued or running for the same user is answered instead of a second one."""
    dashboard_require_access(user=user, alliance=alliance)
    if kind not in ExportKind.values:
        raise ValidationError({"kind": [_("请选择导出类型(Excel 或 PDF)。")]})
    try:
        parsed = Quarter.parse(quarter)
    except ValidationError as exc:
        raise ValidationError({"quarter": exc.messages}) from None
    pending = ExportJob.objects.filter(owner=user, alliance=alliance, kind=kind, quarter=parsed.code,
                                       status__in=ACTIVE_STATUSES).first()
    if pending is not None:
        return pending
    job = ExportJob.objects.create(tenant_id=alliance.tenant_id, alliance_path=alliance.path, owner=user,
                                   alliance=alliance, kind=kind, quarter=parsed.code)
    from .tasks import dashboard_export_task

    transaction.on_commit(lambda: dashboard_export_task.delay(job.pk))
    return job


def _set_progress(job_id: int, value: int) -> None:
    """Progress only moves forward, and only while the job runs (a finished job is left alone)."""
    ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING, progress__lt=value).update(progress=value)


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Make the file of a queued (or interrupted) job as its owner, if the owner still may.

    Safe to run twice, also at once: each run claims the job with a conditional update and only the
    first to finish stores its file; a run that finds the job finished does nothing.
    """
    from .exports import build_pdf, build_xlsx, dashboard_report, export_filename

    claimed = ExportJob.objects.filter(pk=job_id, status__in=ACTIVE_STATUSES).update(status=ExportStatus.RUNNING)
    if not claimed:
        return None
    _set_progress(job_id, 5)
    job = ExportJob.objects.select_related("owner", "alliance").get(pk=job_id)
    try:
        quarter = Quarter.parse(job.quarter)
        report = dashboard_report(user=job.owner, alliance=job.alliance, quarter=quarter,
                                  progress=lambda value: _set_progress(job_id, value))
        build = build_pdf if job.kind == ExportKind.PDF else build_xlsx
        content = build(report, progress=lambda value: _set_progress(job_id, value))
    except (Http404, PermissionDenied):
        return _fail(job_id, _("您已无权查看该党建共同体的数据,导出已取消。"))
    except ValidationError as exc:
        return _fail(job_id, " ".join(exc.messages))
    except Exception:
        # Logged with its traceback; the owner sees a plain message and may ask again.
        logger.exception("dashboard export job %s failed", job_id)
        return _fail(job_id, _("生成文件时出错,请稍后重试。"))
    filename, _ascii = export_filename(job.alliance, quarter, job.kind)
    return _store(job, content, filename)


def _fail(job_id: int, message: str) -> ExportJob | None:
    ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error=message, finished_at=timezone.now())
    return ExportJob.objects.filter(pk=job_id).first()


def _store(job: ExportJob, content: bytes, filename: str) -> ExportJob:
    """Write the file, then mark the job done if it is still running; a run that lost the race
    deletes the file it wrote, so one file is kept per job."""
    stored = job.file.storage.save(
        job.file.field.generate_filename(job, f"{uuid.uuid4().hex}.{job.kind}"), ContentFile(content))
    done = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, progress=100, file=stored, file_name=filename[:200], error="",
        finished_at=timezone.now())
    if not done:
        job.file.storage.delete(stored)
    return ExportJob.objects.get(pk=job.pk)


def export_jobs_purge(*, older_than: dt.timedelta = dt.timedelta(days=EXPORT_JOB_KEEP_DAYS),
                      batch_size: int = 500) -> int:
    """Delete jobs older than `older_than` with their files (a bounded batch; answer how many)."""
    cutoff = timezone.now() - older_than
    old = list(ExportJob.objects.filter(created_at__lt=cutoff).order_by("pk").values_list("pk", "file")[:batch_size])
    if not old:
        return 0
    storage = ExportJob._meta.get_field("file").storage
    deleted, _counts = ExportJob.objects.filter(pk__in=[pk for pk, _name in old]).delete()
    for _pk, name in old:
        if name:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete export file %s", name)
    return deleted
