"""The dashboard's exports: its tables as an .xlsx workbook and the quarterly report (季度报告) as
a PDF. One report dict feeds both (and the job that makes them in the background), so the page,
the workbook and the PDF say the same.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from agreements.selectors import points_ranking
from alliance.models import Alliance
from alliance.pdf import render_pdf
from alliance.roles import VIEW_ALL_UNITS
from alliance.selectors import user_scope

from . import charts
from .comparison import COLUMNS, Quarter, children_comparison
from .models import ExportJob
from .selectors import dashboard_figures

RANKING_ROWS = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')

Progress = Callable[[int], None]


def _noop(_value: int) -> None:
    return None


def dashboard_report(*, user, alliance: Alliance, quarter: Quarter, today: dt.date | None = None,
                     progress: Progress = _noop) -> dict:
    """Everything an export shows, for users who may open the dashboard (checked by the selector).
    A fixed number of queries: the dashboard's, the comparison's and one for the ranking."""
    today = today or timezone.localdate()
    figures = dashboard_figures(user=user, alliance=alliance, today=quarter.report_day(today))
    progress(30)
    comparison = children_comparison(alliance=alliance, figures=figures, quarter=quarter, today=today)
    progress(50)
    ranking = [
        {"rank": rank, "name": unit.name, "points": unit.total_points or 0, "entries": unit.entries}
        for rank, unit in enumerate(points_ranking(user=user, alliance=alliance)[:RANKING_ROWS], start=1)
    ]
    progress(60)
    return {"alliance": alliance, "quarter": quarter, "figures": figures, "comparison": comparison,
            "ranking": ranking, "generated_at": timezone.localtime()}


def _number_or_blank(value):
    return "" if value is None else value


def summary_rows(report: dict) -> list[tuple[str, object]]:
    """The summary figures as (label, value) pairs; values stay numbers."""
    f = report["figures"]
    items, rating = f["items"], f["rating"]
    return [
        (_("党建共同体"), report["alliance"].name),
        (_("季度"), report["quarter"].label),
        (_("数据截至"), report["comparison"]["report_day"]),
        (_("党建共同体数"), f["alliances"]["total"]),
        (_("成员单位"), f["units"]["registered"]),
        (_("在册成员关系"), f["units"]["active_memberships"]),
        (_("共建协议"), f["agreements"]["total"]),
        (_("承诺已到期"), f["commitments"]["due"]),
        (_("承诺已履行"), f["commitments"]["fulfilled"]),
        (_("承诺已逾期"), f["commitments"]["overdue"]),
        (_("本季度召开会议"), f["meetings"]["held_this_quarter"]),
        (_("本季度未开会的社区"), f["meetings"]["communities_without_meeting"]),
        (_("事项总数"), items["opened"]),
        (_("办理中"), items["open"]),
        (_("已办结"), items["resolved"]),
        (_("已超期"), items["overdue"]),
        (_("曾上报"), items["escalated"]),
        (_("社区办结占比(%)"), _number_or_blank(items["share_community"])),
        (_("街道办结占比(%)"), _number_or_blank(items["share_street"])),
        (_("平均评分"), _number_or_blank(rating["average"])),
        (_("评价次数"), rating["count"]),
        (_("落后的下级共同体"), report["comparison"]["laggards"]),
    ]


def trend_headers() -> list[str]:
    return [_("月份"), _("新增事项"), _("办结事项"), _("签订协议"), _("召开会议")]


def comparison_headers() -> list[str]:
    return [str(label) for _key, label in COLUMNS] + [_("是否落后"), _("落后原因")]


def comparison_values(row: dict) -> list:
    return [_number_or_blank(row[key]) for key, _label in COLUMNS] + [
        _("落后") if row["laggard"] else "", ";".join(row["laggard_reasons"])]


def export_job_get_for_user(*, user, pk) -> ExportJob:
    """An export job for its owner only, and only while its alliance is still in the owner's scope
    (with the right to open the dashboard); anyone else, and a missing job, get the same 404."""
    scope = user_scope(user)
    job = ExportJob.objects.select_related("alliance").filter(pk=pk, owner_id=scope.user_id).first() \
        if scope.user_id is not None and str(pk).isdigit() else None
    if job is None or not scope.allows(VIEW_ALL_UNITS, job.alliance_path):
        raise Http404(_("没有找到该导出任务。"))
    return job


# --- .xlsx ------------------------------------------------------------------------------------


def _width(value) -> int:
    """Display width of a cell: CJK characters take two columns."""
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet(wb, title: str, headers: list[str], rows: list[list]):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(headers)
    for row in rows:
        ws.append(row)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F0F0F0")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    ws.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        widest = max([_width(header)] + [_width(r[index - 1]) for r in rows if index - 1 < len(r)])
        ws.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 8), 60)
    return ws


def build_xlsx(report: dict, *, progress: Progress = _noop) -> bytes:
    """One sheet per table of the dashboard: summary, monthly trend, children, points ranking."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, _("汇总"), [_("指标"), _("数值")], [list(pair) for pair in summary_rows(report)])
    _sheet(wb, _("月度趋势"), trend_headers(), [
        [row["month"], row["items_opened"], row["items_resolved"], row["agreements_signed"], row["meetings_held"]]
        for row in report["figures"]["trend"]])
    progress(70)
    ws = _sheet(wb, _("下级对比"), comparison_headers(),
                [comparison_values(row) for row in report["comparison"]["rows"]])
    from openpyxl.styles import Font

    laggard_col = len(COLUMNS) + 1
    for r, row in enumerate(report["comparison"]["rows"], start=2):
        if row["laggard"]:
            ws.cell(row=r, column=laggard_col).font = Font(bold=True, color="A40000")
    _sheet(wb, _("积分排行"), [_("名次"), _("成员单位"), _("积分"), _("记分次数")],
           [[row["rank"], row["name"], row["points"], row["entries"]] for row in report["ranking"]])
    progress(90)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- the quarterly report PDF -----------------------------------------------------------------


def report_charts(report: dict) -> dict:
    rows = report["comparison"]["rows"]
    trend = report["figures"]["trend"]
    return {
        "resolved_share": charts.bar_chart_svg(
            [(row["name"], row["resolved_share"], "resolved_share" in row["laggard_flags"]) for row in rows],
            title=_("各下级共同体办结率"), max_value=100, suffix="%", empty_text=_("无新增事项")),
        "trend": charts.line_chart_svg(
            [row["month"] for row in trend],
            [(_("新增事项"), [row["items_opened"] for row in trend]),
             (_("办结事项"), [row["items_resolved"] for row in trend])],
            title=_("近12个月事项新增与办结")),
    }


def build_pdf(report: dict, *, progress: Progress = _noop) -> bytes:
    context = {**report, "charts": report_charts(report), "summary": summary_rows(report)[3:],
               "columns": COLUMNS, "top_ranking": report["ranking"][:10]}
    progress(70)
    content = render_pdf("pdf/dashboard_quarterly.html", context)
    progress(90)
    return content


# --- file names and responses -----------------------------------------------------------------


def export_filename(alliance: Alliance, quarter: Quarter, kind: str) -> tuple[str, str]:
    """(the Chinese file name, an ASCII fallback) of an export."""
    name = _UNSAFE_FILENAME.sub("_", alliance.name).strip() or "dashboard"
    if kind == "pdf":
        return (_("%(name)s%(quarter)s报告") % {"name": name, "quarter": quarter.label} + ".pdf",
                f"dashboard-{alliance.pk}-{quarter.code}.pdf")
    return (_("%(name)s数据看板%(quarter)s") % {"name": name, "quarter": quarter.code} + ".xlsx",
            f"dashboard-{alliance.pk}-{quarter.code}.xlsx")


def content_type(kind: str) -> str:
    return "application/pdf" if kind == "pdf" else XLSX_TYPE


def disposition(filename: str, ascii_fallback: str) -> str:
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(content: bytes, *, kind: str, filename: str, ascii_fallback: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type(kind))
    response["Content-Disposition"] = disposition(filename, ascii_fallback)
    response["Content-Length"] = str(len(content))
    return response
