"""数据看板 pages: thin; the figures come from `dashboard.selectors`, the comparison from
`dashboard.comparison`, the files from `dashboard.exports` and the jobs from `dashboard.services`."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance.models import Level
from alliance.selectors import alliance_breadcrumb, alliance_get_for_user

from . import exports, selectors, services
from .comparison import COLUMNS, Quarter, children_comparison, recent_quarters, sort_rows
from .models import ExportJob, ExportKind, ExportStatus

# Nodes whose exports go through a background job (a district or a city: the biggest subtrees);
# below them the page links to the files directly.
JOB_LEVELS = frozenset({Level.CITY, Level.DISTRICT})
RECENT_JOBS = 5
# A first click sorts a column worst first: the name A→Z, figures from the highest.
_ASCENDING_FIRST = frozenset({"name"})


def _quarter(request) -> tuple[Quarter, str]:
    """The quarter of `?quarter=`, or the current one with the reason the given one was refused."""
    try:
        return Quarter.parse(request.GET.get("quarter")), ""
    except ValidationError as exc:
        return Quarter.containing(timezone.localdate()), " ".join(exc.messages)


def _headers(quarter: Quarter, key: str, direction: str) -> list[dict]:
    headers = []
    for column, label in COLUMNS:
        if column == key:
            next_dir = "asc" if direction == "desc" else "desc"
            aria = "ascending" if direction == "asc" else "descending"
        else:
            next_dir, aria = ("asc" if column in _ASCENDING_FIRST else "desc"), "none"
        query = urlencode({"quarter": quarter.code, "sort": column, "dir": next_dir})
        headers.append({"key": column, "label": label, "url": f"?{query}#dash-compare", "aria_sort": aria,
                        "numeric": column not in _ASCENDING_FIRST})
    return headers


@login_required
@require_GET
def alliance_dashboard(request, pk):
    """The figures of one alliance's subtree as cards, charts with their tables, and its children
    compared for a quarter (`?quarter=2026Q4&sort=<column>&dir=asc|desc`)."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    quarter, quarter_error = _quarter(request)
    today = timezone.localdate()
    figures = selectors.dashboard_figures(user=request.user, alliance=alliance, today=quarter.report_day(today))
    comparison = children_comparison(alliance=alliance, figures=figures, quarter=quarter, today=today)
    rows, sort_key, sort_dir = sort_rows(comparison["rows"], request.GET.get("sort"), request.GET.get("dir"))
    charts = {
        "trend": figures["trend"],
        "stages": figures["agreements"]["by_stage"],
        "levels": figures["alliances"]["by_level"],
    }
    use_jobs = alliance.level in JOB_LEVELS
    jobs = list(ExportJob.objects.filter(owner=request.user, alliance=alliance).order_by("-created_at", "-pk")
                [:RECENT_JOBS]) if use_jobs else []
    return render(request, "dashboard/dashboard.html", {
        "alliance": alliance, "breadcrumb": alliance_breadcrumb(user=request.user, alliance=alliance),
        "f": figures, "charts": charts, "quarter": quarter, "quarter_error": quarter_error,
        "quarters": recent_quarters(today), "comparison": comparison, "rows": rows,
        "headers": _headers(quarter, sort_key, sort_dir), "sort_key": sort_key, "sort_dir": sort_dir,
        "use_jobs": use_jobs, "jobs": jobs, "export_kinds": ExportKind.choices,
    })


def _export(request, pk, kind: str):
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    selectors.dashboard_require_access(user=request.user, alliance=alliance)
    try:
        quarter = Quarter.parse(request.GET.get("quarter"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("alliance-dashboard", pk=alliance.pk)
    report = exports.dashboard_report(user=request.user, alliance=alliance, quarter=quarter)
    content = exports.build_pdf(report) if kind == ExportKind.PDF else exports.build_xlsx(report)
    filename, ascii_fallback = exports.export_filename(alliance, quarter, kind)
    return exports.download_response(content, kind=kind, filename=filename, ascii_fallback=ascii_fallback)


@login_required
@require_GET
def dashboard_xlsx(request, pk):
    """The dashboard's tables as an .xlsx workbook (`?quarter=2026Q4`, the current one by default)."""
    return _export(request, pk, ExportKind.XLSX)


@login_required
@require_GET
def dashboard_pdf(request, pk):
    """The quarterly report (季度报告) as a PDF (`?quarter=2026Q4`, the current one by default)."""
    return _export(request, pk, ExportKind.PDF)


@login_required
@require_POST
def export_job_create(request, pk):
    """Ask for an export made in the background; then follow it on the job's page."""
    alliance = alliance_get_for_user(user=request.user, pk=pk)
    try:
        job = services.export_job_create(user=request.user, alliance=alliance, kind=request.POST.get("kind", ""),
                                         quarter=request.POST.get("quarter"))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("alliance-dashboard", pk=alliance.pk)
    return redirect("dashboard-export-detail", pk=job.pk)


def _status(job: ExportJob) -> dict:
    return {
        "id": job.pk, "status": job.status, "status_label": job.get_status_display(), "progress": job.progress,
        "finished": job.finished, "error": job.error,
        "download_url": reverse("dashboard-export-download", kwargs={"pk": job.pk})
        if job.status == ExportStatus.DONE else None,
    }


@login_required
@require_GET
def export_job_detail(request, pk):
    """A job's progress: the bar refreshes itself (script polling the status, or the page reloading
    itself without script) until the file can be downloaded."""
    job = exports.export_job_get_for_user(user=request.user, pk=pk)
    return render(request, "dashboard/export_job.html", {
        "job": job, "alliance": job.alliance, "status": _status(job),
        "quarter_label": _quarter_label(job.quarter),
    })


def _quarter_label(code: str) -> str:
    try:
        return Quarter.parse(code).label
    except ValidationError:
        return code


@login_required
@require_GET
def export_job_status(request, pk):
    """The job's state as JSON, for the page's polling script."""
    job = exports.export_job_get_for_user(user=request.user, pk=pk)
    return JsonResponse(_status(job))


@login_required
@require_GET
def export_job_download(request, pk):
    """The job's file, only for its owner while in scope (never from MEDIA_URL)."""
    job = exports.export_job_get_for_user(user=request.user, pk=pk)
    if job.status != ExportStatus.DONE or not job.file:
        raise Http404(_("文件尚未生成。"))
    try:
        handle = job.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("文件已过期或已删除,请重新导出。")) from None
    response = FileResponse(handle, as_attachment=True, content_type=exports.content_type(job.kind))
    _filename, ascii_fallback = exports.export_filename(job.alliance, Quarter.parse(job.quarter), job.kind)
    response["Content-Disposition"] = exports.disposition(job.file_name or ascii_fallback, ascii_fallback)
    return response
