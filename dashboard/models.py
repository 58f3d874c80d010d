"""Export jobs: the dashboard's .xlsx and quarterly PDF, made by a Celery worker for big subtrees."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.models import Alliance, TenantOwned


class ExportKind(models.TextChoices):
    XLSX = "xlsx", _("Excel 数据表")
    PDF = "pdf", _("季度报告 PDF")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class ExportJob(TenantOwned):
    """One export asked for by one user: only that user, while the alliance is still in its scope,
    sees the job and downloads its file (stored under MEDIA_ROOT, served by a scoped view only)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.CASCADE,
                              related_name="+")
    alliance = models.ForeignKey(Alliance, verbose_name=_("党建共同体"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=8, choices=ExportKind.choices)
    quarter = models.CharField(_("季度"), max_length=6, help_text="2026Q4")
    status = models.CharField(_("状态"), max_length=8, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-pk"]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["owner", "created_at"], name="exportjob_owner_time"),
            models.Index(fields=["created_at"], name="exportjob_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="exportjob_progress_max_100"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quarter} #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)
