"""The filtered trail as an .xlsx workbook, at most EXPORT_LIMIT events (the newest)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .selectors import EXPORT_LIMIT, audit_rows

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2_000


def audit_xlsx(events) -> bytes:
    """Write-only workbook: rows stream to the file, a chunk of events at a time."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("审计日志"))
    sheet.append([_("时间"), _("操作"), _("类型"), _("对象ID"), _("对象"), _("用户"), _("用户名"), _("IP 地址"),
                  _("来源(网址或任务)"), _("变更")])
    written = 0
    batch: list = []

    def flush():
        for row in audit_rows(batch):
            sheet.append([
                timezone.localtime(row["when"]).strftime("%Y-%m-%d %H:%M:%S"),
                str(row["action_label"]), str(row["kind_label"]), row["object_id"], row["object"],
                row["user"] or "", row["username"] or "", row["ip"] or "", row["where"] or "",
                "\n".join(f"{c['field']}: {c['before']} → {c['after']}" for c in row["changes"]),
            ])
        batch.clear()

    # One query, read through a server-side cursor; rows are presented a chunk at a time.
    for event in events[:EXPORT_LIMIT].iterator(chunk_size=CHUNK):
        batch.append(event)
        written += 1
        if len(batch) == CHUNK:
            flush()
    flush()
    if written >= EXPORT_LIMIT:
        sheet.append([_("仅导出最新的 %(n)s 条记录,请缩小筛选范围。") % {"n": EXPORT_LIMIT}])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
