import io
import re
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from members import importing
from members.importing import ImportRejected, member_unit_import
from members.models import Membership, MemberUnit

from .. import factories
from ..conftest import fresh

HEADER = ["单位名称", "单位类别", "统一社会信用代码", "党组织形式", "党员人数", "地址", "联系人", "联系电话"]


def xlsx(rows, header=HEADER) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def rewrite(buffer: io.BytesIO, parts: dict[str, bytes | None]) -> io.BytesIO:
    """A copy of the .xlsx in `buffer` with some of its parts replaced (bytes) or left out (None)."""
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = parts.get(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    out.seek(0)
    return out


SHEET = "xl/worksheets/sheet1.xml"


def sheet_xml(buffer: io.BytesIO) -> str:
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read(SHEET).decode()


def good_rows(n, start=5000):
    return [[f"导入单位{i}", "物业企业", factories.credit_code(start + i), "党支部", 4, "春晖路", "张三",
             "023-68800000"] for i in range(n)]


def counts():
    return MemberUnit.objects.count(), Membership.objects.count()


def test_a_good_file_goes_in_whole(tree):
    units = member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                               file=xlsx(good_rows(25)))
    assert len(units) == 25
    assert MemberUnit.objects.filter(alliance=tree.community_a1, name__startswith="导入单位").count() == 25
    assert Membership.objects.filter(alliance=tree.community_a1, unit__in=units).count() == 25


def test_every_bad_row_is_reported_with_its_number_and_nothing_goes_in(tree):
    rows = good_rows(4)
    rows[1][2] = "91350100M000100Y44"  # file row 3: wrong check character
    rows[2][1] = "银行"  # file row 4: unknown category
    rows[3][2] = rows[0][2]  # file row 5: same code as row 2
    before = counts()
    with pytest.raises(ImportRejected) as exc:
        member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1, file=xlsx(rows))
    found = {(e.row, e.field) for e in exc.value.row_errors}
    assert found == {(3, "credit_code"), (4, "category"), (5, "credit_code")}
    assert "第2行" in next(e.message for e in exc.value.row_errors if e.row == 5)
    assert counts() == before


def test_a_code_already_registered_is_reported(tree):
    rows = good_rows(2)
    rows[1][2] = tree.unit_b1.credit_code
    with pytest.raises(ImportRejected) as exc:
        member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1, file=xlsx(rows))
    assert [(e.row, e.field) for e in exc.value.row_errors] == [(3, "credit_code")]


def test_a_broken_file_gets_a_clear_message(tree):
    before = counts()
    with pytest.raises(ImportRejected) as exc:
        member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                           file=io.BytesIO(b"PK\x03\x04 this is not a workbook"))
    assert "无法读取" in exc.value.row_errors[0].message
    assert counts() == before


def test_a_missing_column_is_named(tree):
    with pytest.raises(ImportRejected) as exc:
        member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                           file=xlsx([["某单位", "机关"]], header=["单位名称", "单位类别"]))
    assert "统一社会信用代码" in exc.value.row_errors[0].message


def test_the_page_lists_the_bad_rows(tree, client):
    client.force_login(tree.community_secretary_a1)
    rows = good_rows(3)
    rows[2][2] = "123"
    upload = SimpleUploadedFile("units.xlsx", xlsx(rows).getvalue())
    before = counts()
    response = client.post(reverse("unit-import", kwargs={"pk": tree.community_a1.pk}), {"file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert "未导入任何数据" in page and "18位" in page and "<td>4</td>" in page
    assert counts() == before


def test_the_page_imports_and_the_template_round_trips(tree, client):
    client.force_login(tree.community_secretary_a1)
    template = client.get(reverse("unit-import-template", kwargs={"pk": tree.community_a1.pk}))
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).active
    assert [c.value for c in sheet[1]] == HEADER
    # The example row of the template is itself a valid unit.
    upload = SimpleUploadedFile("template.xlsx", template.content)
    response = client.post(reverse("unit-import", kwargs={"pk": tree.community_a1.pk}), {"file": upload})
    assert response.status_code == 302
    assert MemberUnit.objects.filter(alliance=tree.community_a1, name__contains="示例物业").count() == 1


def test_a_chinese_file_imports_while_the_page_speaks_english(tree):
    from django.utils import translation

    with translation.override("en"):
        units = member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                                   file=xlsx(good_rows(2)))
    assert len(units) == 2 and units[0].category == "property_management"


def refused(tree, file) -> list:
    before = counts()
    with pytest.raises(ImportRejected) as exc:
        member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1, file=file)
    assert counts() == before
    return exc.value.row_errors


def test_a_truncated_sheet_is_an_unreadable_file(tree):
    # The XML breaks off in the middle of the rows: openpyxl only finds out while the rows are read.
    good = xlsx(good_rows(50))
    xml = sheet_xml(good)
    broken = rewrite(good, {SHEET: xml[: xml.index("<row r=\"30\"") + 20].encode()})
    errors = refused(tree, broken)
    assert [(e.row, e.field) for e in errors] == [(0, "file")]
    assert errors[0].message == "文件无法读取,请上传 .xlsx 格式的 Excel 文件。"


def test_a_sheet_cut_before_its_dimension_is_an_unreadable_file(tree):
    good = xlsx(good_rows(2))
    errors = refused(tree, rewrite(good, {SHEET: b"<worksheet xmlns=\"http://schemas.openxmlformats.org"}))
    assert "无法读取" in errors[0].message


def test_a_workbook_without_worksheets_is_an_unreadable_file(tree):
    good = xlsx(good_rows(2))
    parts = zipfile.ZipFile(io.BytesIO(good.getvalue()))
    no_sheets = rewrite(good, {
        SHEET: None,
        "xl/workbook.xml": re.sub(rb"<sheet [^>]*/>", b"", parts.read("xl/workbook.xml")),
        "xl/_rels/workbook.xml.rels": re.sub(rb"<Relationship [^>]*worksheet\"[^>]*/>", b"",
                                             parts.read("xl/_rels/workbook.xml.rels")),
        "[Content_Types].xml": re.sub(rb"<Override PartName=\"/xl/worksheets/sheet1.xml\"[^>]*/>", b"",
                                      parts.read("[Content_Types].xml")),
    })
    assert "无法读取" in refused(tree, no_sheets)[0].message
    # Only the sheet's part missing, the workbook still naming it.
    assert "无法读取" in refused(tree, rewrite(good, {SHEET: None}))[0].message


def test_a_huge_claimed_dimension_is_not_read_cell_by_cell(tree):
    # A few KB claiming 16,384 columns by 16,000 rows, with its last row really at 16,000: openpyxl
    # padded every row in between to 16,384 cells (13 s).
    good = xlsx(good_rows(3))
    xml = sheet_xml(good)
    assert '<dimension ref="A1:H4"' in xml
    xml = xml.replace("A1:H4", "A1:XFD16000").replace("</sheetData>", '<row r="16000" /></sheetData>')
    started = time.perf_counter()
    units = member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                               file=rewrite(good, {SHEET: xml.encode()}))
    assert time.perf_counter() - started < 1
    assert len(units) == 3


def test_an_understated_dimension_does_not_hide_rows(tree):
    good = xlsx(good_rows(3))
    small = rewrite(good, {SHEET: sheet_xml(good).replace("A1:H4", "A1:B2").encode()})
    units = member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1, file=small)
    assert len(units) == 3


def test_a_far_away_cell_and_a_last_row_far_below_are_cheap(tree):
    # One cell in the last column, and a row at the bottom of the sheet: neither pads the rows read.
    good = xlsx(good_rows(3))
    xml = sheet_xml(good)
    far = '<c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>'
    last = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>最后一行</t></is></c></row></sheetData>'
    xml = xml.replace("</row>", far, 2).replace(far, "</row>", 1)  # only row 2 gets the far cell
    xml = xml.replace("</sheetData>", last).replace("A1:H4", "A1:XFD1048576")
    started = time.perf_counter()
    units = member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                               file=rewrite(good, {SHEET: xml.encode()}))
    assert time.perf_counter() - started < 1
    assert len(units) == 3


def test_reading_stops_after_a_long_run_of_empty_rows(tree):
    rows = good_rows(4)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(rows[0])
    sheet.append(rows[1])
    gap = importing.MAX_EMPTY_RUN - 1  # still read after this many empty rows
    for column, value in enumerate(rows[2], start=1):
        sheet.cell(row=3 + gap + 1, column=column, value=value)
    far = 3 + gap + 1 + importing.MAX_EMPTY_RUN + 1  # never read
    for column, value in enumerate(rows[3], start=1):
        sheet.cell(row=far, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    units = member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1, file=buffer)
    assert sorted(u.credit_code for u in units) == sorted(r[2] for r in rows[:3])


def test_rows_beyond_the_limit_refuse_the_file(tree, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    errors = refused(tree, xlsx(good_rows(4)))
    assert [(e.row, e.field) for e in errors] == [(5, "file")]
    assert "3" in errors[0].message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tree, monkeypatch):
    oversized = io.BytesIO(b"\0" * (importing.MAX_FILE_BYTES + 1))
    errors = refused(tree, oversized)
    assert [(e.row, e.field) for e in errors] == [(0, "file")]
    assert "5 MB" in errors[0].message
    # Not read at all, and a file of exactly the limit is read (and found unreadable).
    monkeypatch.setattr(importing, "load_workbook", lambda *a, **k: pytest.fail("read"))
    refused(tree, io.BytesIO(b"\0" * (importing.MAX_FILE_BYTES + 1)))
    monkeypatch.undo()
    assert "无法读取" in refused(tree, io.BytesIO(b"\0" * importing.MAX_FILE_BYTES))[0].message


def test_the_page_refuses_an_oversized_file_with_the_reason(tree, client):
    client.force_login(tree.community_secretary_a1)
    upload = SimpleUploadedFile("units.xlsx", b"\0" * (importing.MAX_FILE_BYTES + 1))
    before = counts()
    response = client.post(reverse("unit-import", kwargs={"pk": tree.community_a1.pk}), {"file": upload})
    assert response.status_code == 400
    assert "文件不能超过5 MB" in response.content.decode()
    assert counts() == before


def test_the_page_refuses_a_truncated_file_with_the_reason(tree, client):
    client.force_login(tree.community_secretary_a1)
    good = xlsx(good_rows(50))
    xml = sheet_xml(good)
    upload = SimpleUploadedFile("units.xlsx", rewrite(good, {SHEET: xml[: len(xml) // 2].encode()}).getvalue())
    before = counts()
    response = client.post(reverse("unit-import", kwargs={"pk": tree.community_a1.pk}), {"file": upload})
    assert response.status_code == 400
    assert "文件无法读取" in response.content.decode()
    assert counts() == before


def test_a_zip_bomb_is_refused_before_it_is_opened(tree):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(xlsx(good_rows(1)), "r") as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, source.read(info.filename))
        out.writestr("xl/padding.bin", b"\0" * (120 * 1024 * 1024))
    assert len(buffer.getvalue()) < 5 * 1024 * 1024
    buffer.seek(0)
    with pytest.raises(ImportRejected) as exc:
        member_unit_import(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1, file=buffer)
    assert "不能超过" in exc.value.row_errors[0].message
