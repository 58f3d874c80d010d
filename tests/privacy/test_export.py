"""A person's data export: the district admin only, everything held, read back as JSON and .xlsx."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from privacy.selectors import person_data_export, tenant_root

from ..conftest import fresh
from .conftest import PHONE


def _export(client, tree, **data):
    return client.post(reverse("privacy-export", kwargs={"pk": tree.district.pk}), data)


def test_the_export_holds_everything_about_the_person(tree, person):
    data = person_data_export(actor=fresh(tree.district_admin), user=person.user)
    text = json.dumps(data, ensure_ascii=False)
    s = data["sections"]
    assert s["user"][0]["username"] == "liaison_a1" and s["user"][0]["phone"] == PHONE
    assert "password" not in text and "pbkdf2" not in text and "md5$" not in text
    assert [r["alliance__name"] for r in s["roles"]] == [tree.community_a1.name]
    assert {r["unit__name"] for r in s["liaison_memberships"]} == {tree.unit_a1.name}
    titles = {r["title"] for r in s["items"]}
    assert titles == {"小区路灯不亮"}  # raised with her phone (the one her unit took is in item_events)
    assert [r["agreement__title"] for r in s["agreements_signed"]] == [person.agreement.title]
    assert [r["resident_phone"] for r in s["agreement_evaluations"]] == [PHONE]
    assert [r["title"] for r in s["notifications"]] == ["新的事项待接单"]
    assert any(r["item__reference"] == person.claimed.reference for r in s["item_events"])
    # The demand she took carries another resident's contact: not hers to receive.
    assert "钱大爷" not in text and "13600009999" not in text


def test_a_resident_without_an_account_is_found_by_phone(tree, person):
    data = person_data_export(actor=fresh(tree.district_admin), phone="137 0000 1234",
                              root=tenant_root(tree.district.tenant_id))
    s = data["sections"]
    assert [r["title"] for r in s["items"]] == ["小区路灯不亮"]
    assert len(s["agreement_evaluations"]) == 1


def test_the_page_downloads_json_and_xlsx(tree, person, client):
    client.force_login(tree.district_admin)
    assert client.get(reverse("privacy-export", kwargs={"pk": tree.district.pk})).status_code == 200
    response = _export(client, tree, username="liaison_a1", format="json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["sections"]["user"][0]["email"] == "zhaomin@example.cn"

    response = _export(client, tree, username="", phone=PHONE, format="xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert {"账号", "角色", "事项", "协议评价", "签署的协议", "通知"} <= set(book.sheetnames)
    cells = [c for row in book["账号"].iter_rows(values_only=True) for c in row]
    assert "liaison_a1" in cells and PHONE in cells
    items = [c for row in book["事项"].iter_rows(values_only=True) for c in row]
    assert "小区路灯不亮" in items


@pytest.mark.parametrize("data,message", [
    ({"username": "", "phone": ""}, "请填写用户名或手机号。"),
    ({"username": "nobody"}, "本区没有该用户名的账号。"),
    ({"username": "other_admin"}, "本区没有该用户名的账号。"),  # the other tenant's account
    ({"phone": "abc"}, "请填写正确的手机号或座机号。"),
])
def test_bad_input_gets_a_message(tree, person, client, data, message):
    client.force_login(tree.district_admin)
    response = _export(client, tree, format="json", **data)
    assert response.status_code == 200
    assert message in response.content.decode()


@pytest.mark.parametrize("role", ["secretary_a", "staff_a", "community_secretary_a1", "observer", "liaison_a1",
                                  "other_tenant_admin"])
def test_only_the_district_admin_may_export(role, tree, person, client):
    client.force_login(getattr(tree, role))
    for name in ("privacy-export", "privacy-erase"):
        url = reverse(name, kwargs={"pk": tree.district.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"username": "liaison_a1", "format": "json"}).status_code == 404


def test_the_district_admin_gets_404_below_the_root_and_in_another_tenant(tree, person, client):
    client.force_login(tree.district_admin)
    for pk in (tree.street_a.pk, tree.other_tenant.pk):
        assert client.get(reverse("privacy-export", kwargs={"pk": pk})).status_code == 404
    client.force_login(tree.other_tenant_admin)
    response = client.post(reverse("privacy-export", kwargs={"pk": tree.other_tenant.pk}),
                           {"username": "liaison_a1", "format": "json"})
    assert response.status_code == 200 and "本区没有该用户名的账号。" in response.content.decode()


def test_the_management_command_writes_both_files(tree, person, tmp_path):
    call_command("export_person_data", actor="district_admin", username="liaison_a1", out=str(tmp_path))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"person-data-user{person.user.pk}.json", f"person-data-user{person.user.pk}.xlsx"]
    data = json.loads((tmp_path / files[0]).read_text(encoding="utf-8"))
    assert data["sections"]["user"][0]["phone"] == PHONE
    load_workbook(tmp_path / files[1])
    with pytest.raises(CommandError):
        call_command("export_person_data", actor="secretary_a", username="liaison_a1", out=str(tmp_path))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trail is written by PostgreSQL triggers")
def test_the_export_holds_what_the_trail_recorded_of_the_person(tree, client):
    secretary = tree.community_secretary_a1
    client.force_login(secretary)
    created = client.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "楼道堆物清理"},
                          content_type="application/json", REMOTE_ADDR="10.1.2.3")
    assert created.status_code == 201, created.content
    data = person_data_export(actor=fresh(tree.district_admin), user=fresh(secretary))
    mine = [r for r in data["sections"]["audit_events"] if str(r["object_id"]) == str(created.json()["id"])]
    assert {r["action"] for r in mine} >= {"新建"} and all(r["ip"] == "10.1.2.3" for r in mine)
    # Someone else's action is not in this person's export.
    other = person_data_export(actor=fresh(tree.district_admin), user=fresh(tree.staff_a))
    assert all(str(r["object_id"]) != str(created.json()["id"]) for r in other["sections"]["audit_events"])
