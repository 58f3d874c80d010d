import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

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
