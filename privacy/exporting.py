"""A person's data export written out: one JSON document, and an .xlsx with one sheet per kind."""

from __future__ import annotations

import io
import json

from openpyxl import Workbook

from .selectors import SECTIONS


def export_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def export_xlsx(data: dict) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "说明"
    summary.append(["subject", json.dumps(data["subject"], ensure_ascii=False)])
    for key in ("tenant", "generated_at", "generated_by"):
        summary.append([key, data.get(key, "")])
    for kind, rows in data["sections"].items():
        sheet = book.create_sheet(title=SECTIONS.get(kind, kind)[:31])
        columns: list[str] = []
        for row in rows:
            columns += [c for c in row if c not in columns]
        sheet.append(columns or ["(无)"])
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def export_filename(data: dict, ext: str) -> str:
    subject = data["subject"]
    who = f"user{subject['user_id']}" if subject.get("user_id") else f"phone{subject.get('phone', '')[-4:]}"
    return f"person-data-{who}.{ext}"
