"""Import of member units from an .xlsx file: every bad row is reported, and all or nothing goes in."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from contextlib import closing
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from alliance.models import Alliance
from alliance.roles import MANAGE_MEMBERSHIP
from alliance.services import require_permission

from .models import Category, Membership, MembershipRole, MemberUnit, PartyOrgForm
from .services import _clean_unit_fields
from .validators import credit_code_check_char

MAX_ROWS = 10_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_FILE_BYTES = 5 * 1024 * 1024
# A run of this many empty rows ends the data: a sheet may claim (or pad itself to) a million rows.
MAX_EMPTY_RUN = 100

# What openpyxl raises, at load or while rows are read lazily, for a file that is not a sound .xlsx.
_UNREADABLE = (InvalidFileException, zipfile.BadZipFile, zlib.error, EOFError, ParseError,
               KeyError, IndexError, OSError, ValueError, TypeError)

# (field, header, required)
COLUMNS = [
    ("name", gettext_lazy("单位名称"), True),
    ("category", gettext_lazy("单位类别"), True),
    ("credit_code", gettext_lazy("统一社会信用代码"), True),
    ("party_org_form", gettext_lazy("党组织形式"), False),
    ("party_member_count", gettext_lazy("党员人数"), False),
    ("address", gettext_lazy("地址"), False),
    ("contact_name", gettext_lazy("联系人"), False),
    ("contact_phone", gettext_lazy("联系电话"), False),
]


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


class ImportRejected(ValidationError):
    """The file was refused; `row_errors` says which rows and why. Nothing was written."""

    def __init__(self, row_errors: list[RowError]):
        self.row_errors = row_errors
        super().__init__([
            _("第%(row)d行:%(message)s") % {"row": e.row, "message": e.message} if e.row else e.message
            for e in row_errors
        ])


def _in_every_language(text) -> set[str]:
    """A header or label as written in any of the site's languages: a file may come from either."""
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(str(text).strip().lower())
    return names


def _choice_lookup(choices) -> dict[str, str]:
    """Accept the Chinese label, the English label or the stored value."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[value.lower()] = value
        for name in _in_every_language(label):
            lookup[name] = value
    return lookup


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _unreadable() -> ImportRejected:
    return ImportRejected([RowError(0, "file", _("文件无法读取,请上传 .xlsx 格式的 Excel 文件。"))])


def _file_size(file) -> int:
    size = getattr(file, "size", None)  # Django's uploaded files know it
    if size is None:
        position = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(position)
    return size


def _check_size(file) -> None:
    too_big = ImportRejected([RowError(0, "file", _("文件不能超过%(mb)d MB,请分成几个文件导入。")
                                       % {"mb": MAX_FILE_BYTES // (1024 * 1024)})])
    if _file_size(file) > MAX_FILE_BYTES:
        raise too_big
    # A small .xlsx may unpack to gigabytes (a zip bomb): read-only openpyxl still loads the
    # shared strings whole. Refuse what would unpack past the limit before opening it.
    try:
        position = file.tell()
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        file.seek(position)
    except (zipfile.BadZipFile, OSError, ValueError):
        file.seek(0)
        return  # not a zip at all: load_workbook says it cannot read it
    if unpacked > MAX_UNPACKED_BYTES:
        raise too_big


def _sheet_rows(sheet, **bounds):
    """The sheet's rows as values. The XML is parsed as the rows are read, so a broken file
    may only fail here: it is refused like any other unreadable file."""
    rows = sheet.iter_rows(values_only=True, **bounds)
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except _UNREADABLE:
                raise _unreadable() from None
            yield row
    finally:
        rows.close()  # closes the sheet's XML stream when the caller stops early


def _read_rows(file) -> list[tuple[int, dict]]:
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except _UNREADABLE:
        raise _unreadable() from None
    try:
        if not workbook.worksheets:
            raise _unreadable()
        return _read_sheet(workbook.worksheets[0])
    finally:
        workbook.close()


def _read_sheet(sheet) -> list[tuple[int, dict]]:
    # The <dimension> of the file is not trusted: "A1:XFD1048576" would pad every row to 16,384
    # cells. Rows are read as far as their cells go, and no further than the last known column.
    sheet.reset_dimensions()
    with closing(_sheet_rows(sheet, max_row=1)) as first_row:
        header = next(first_row, None)
    if header is None:
        raise ImportRejected([RowError(0, "file", _("文件是空的。"))])
    header_text = [_cell_text(h).lower() for h in header]
    positions: dict[str, int] = {}
    missing = []
    for field, label, required in COLUMNS:
        names = _in_every_language(label) | {field}
        index = next((i for i, h in enumerate(header_text) if h in names), None)
        if index is None:
            if required:
                missing.append(str(label))
        else:
            positions[field] = index
    if missing:
        raise ImportRejected([RowError(1, "header", _("缺少列:%(cols)s。") % {"cols": _("、").join(missing)})])
    width = max(positions.values()) + 1
    parsed: list[tuple[int, dict]] = []
    empty_run = 0
    with closing(_sheet_rows(sheet, min_row=2, max_col=width)) as rows:
        for number, row in enumerate(rows, start=2):
            values = {field: _cell_text(row[index]) if index < len(row) else ""
                      for field, index in positions.items()}
            if not any(values.values()):
                empty_run += 1
                if empty_run >= MAX_EMPTY_RUN:
                    break
                continue
            empty_run = 0
            if len(parsed) >= MAX_ROWS:
                raise ImportRejected([RowError(number, "file", _("一次最多导入%(n)d行。") % {"n": MAX_ROWS})])
            parsed.append((number, values))
    if not parsed:
        raise ImportRejected([RowError(0, "file", _("文件中没有数据行。"))])
    return parsed


@transaction.atomic
def member_unit_import(*, user, alliance: Alliance, file, joined_on: dt.date | None = None) -> list[MemberUnit]:
    """Register every row as a unit of `alliance` and make it a member, or refuse the whole file."""
    require_permission(user=user, alliance=alliance, perm=MANAGE_MEMBERSHIP)
    _check_size(file)
    rows = _read_rows(file)
    errors: list[RowError] = []
    categories = _choice_lookup(Category.choices)
    org_forms = _choice_lookup(PartyOrgForm.choices)
    cleaned_rows: list[tuple[int, dict]] = []
    seen_codes: dict[str, int] = {}
    for number, values in rows:
        row_errors = []
        if "category" in values:
            raw = values["category"]
            values["category"] = categories.get(raw.lower(), raw or "?")
        if "party_org_form" in values:
            raw = values["party_org_form"]
            values["party_org_form"] = org_forms.get(raw.lower(), raw) if raw else PartyOrgForm.NONE
        try:
            cleaned = _clean_unit_fields(tenant_id=alliance.tenant_id, fields=values, check_unique=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                row_errors.extend(RowError(number, field, m) for m in messages)
        else:
            code = cleaned["credit_code"]
            if code in seen_codes:
                row_errors.append(RowError(number, "credit_code", _(
                    "统一社会信用代码“%(code)s”与第%(other)d行重复。") % {"code": code, "other": seen_codes[code]}))
            else:
                seen_codes[code] = number
                cleaned_rows.append((number, cleaned))
        errors.extend(row_errors)
    # One query for the clashes with units already registered in the tenant.
    existing = set(
        MemberUnit.objects.filter(tenant_id=alliance.tenant_id, credit_code__in=list(seen_codes))
        .values_list("credit_code", flat=True)
    )
    for code in sorted(existing, key=seen_codes.get):
        errors.append(RowError(seen_codes[code], "credit_code", _(
            "统一社会信用代码“%(code)s”已登记在其他成员单位。") % {"code": code}))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.row, e.field)))
    units = MemberUnit.objects.bulk_create([
        MemberUnit(tenant_id=alliance.tenant_id, alliance=alliance, alliance_path=alliance.path, **cleaned)
        for _number, cleaned in cleaned_rows
    ], batch_size=1000)
    joined = joined_on or timezone.localdate()
    Membership.objects.bulk_create([
        Membership(tenant_id=alliance.tenant_id, alliance=alliance, alliance_path=alliance.path, unit=unit,
                   role=MembershipRole.MEMBER, joined_on=joined)
        for unit in units
    ], batch_size=1000)
    return units


_EXAMPLE_BODY = "91500104MA5U7A1B2"
_EXAMPLE_CODE = _EXAMPLE_BODY + credit_code_check_char(_EXAMPLE_BODY)


def import_template() -> bytes:
    """An empty workbook with the expected headers, an example row and drop-down lists."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(_("成员单位"))
    sheet.append([str(label) for _field, label, _required in COLUMNS])
    sheet.append(["重庆市大渡口区示例物业服务有限公司", str(Category.PROPERTY_MANAGEMENT.label),
                  _EXAMPLE_CODE, str(PartyOrgForm.BRANCH.label), 5, "大渡口区春晖路街道",
                  "张三", "023-68800000"])
    for column, choices in (("B", Category.choices), ("D", PartyOrgForm.choices)):
        listing = ",".join(str(label) for _value, label in choices)
        validation = DataValidation(type="list", formula1=f'"{listing}"', allow_blank=True)
        sheet.add_data_validation(validation)
        validation.add(f"{column}2:{column}{MAX_ROWS + 1}")
    for column, width in zip("ABCDEFGH", (36, 14, 24, 14, 10, 36, 12, 16), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
