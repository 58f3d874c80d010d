"""The browser pages: login, home, the alliance page, forms with their messages, language."""

from django.urls import reverse

from alliance.models import Alliance
from members.models import MemberUnit

from . import factories


def test_login_lands_on_home_with_the_users_alliances(tree, client):
    response = client.post(reverse("login"), {"username": "secretary_a", "password": "pw-Test-2026"})
    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert tree.street_a.name in page
    assert tree.street_b.name not in page


def test_anonymous_users_are_sent_to_login(tree, client):
    response = client.get(reverse("alliance-detail", kwargs={"pk": tree.street_a.pk}))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_alliance_page_shows_breadcrumb_children_units_and_counts(tree, client):
    client.force_login(tree.district_admin)
    page = client.get(reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})).content.decode()
    for text in (tree.district.name, tree.street_a.name, tree.unit_a1.name, tree.unit_a1_other.name):
        assert text in page
    page = client.get(reverse("alliance-detail", kwargs={"pk": tree.street_a.pk})).content.decode()
    assert tree.community_a1.name in page and tree.community_a2.name in page


def test_the_breadcrumb_does_not_link_above_the_users_scope(tree, client):
    client.force_login(tree.community_secretary_a1)
    page = client.get(reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert tree.street_a.name in page
    assert reverse("alliance-detail", kwargs={"pk": tree.street_a.pk}) not in page


def test_the_unit_form_shows_the_credit_code_message_and_writes_nothing(tree, client):
    client.force_login(tree.community_secretary_a1)
    before = MemberUnit.objects.count()
    response = client.post(reverse("unit-create", kwargs={"pk": tree.community_a1.pk}), {
        "name": "锦霞便民超市", "category": "private_enterprise", "credit_code": "91350100M000100Y44",
        "party_org_form": "none", "party_member_count": 0,
    })
    assert response.status_code == 200
    assert "校验位错误" in response.content.decode()
    assert MemberUnit.objects.count() == before


def test_the_unit_form_registers_a_unit(tree, client):
    client.force_login(tree.community_secretary_a1)
    response = client.post(reverse("unit-create", kwargs={"pk": tree.community_a1.pk}), {
        "name": "锦霞便民超市", "category": "private_enterprise", "credit_code": factories.credit_code(8001),
        "party_org_form": "branch", "party_member_count": 3, "contact_phone": "13800000000",
    })
    unit = MemberUnit.objects.get(name="锦霞便民超市")
    assert response.status_code == 302 and response["Location"] == reverse("unit-detail", kwargs={"pk": unit.pk})


def test_the_child_form_refuses_a_duplicate_code(tree, client):
    client.force_login(tree.district_admin)
    response = client.post(reverse("alliance-child-create", kwargs={"pk": tree.street_a.pk}), {
        "name": "新社区", "level": "community", "kind": "regional", "code": tree.community_b1.code,
    })
    assert response.status_code == 200 and "已被使用" in response.content.decode()
    assert Alliance.objects.filter(name="新社区").count() == 0


def test_editing_an_alliance(tree, client):
    client.force_login(tree.secretary_a)
    response = client.post(reverse("alliance-edit", kwargs={"pk": tree.street_a.pk}), {
        "name": "春晖路街道党建共同体(更名)", "level": "street", "kind": "regional", "code": tree.street_a.code,
        "initiating_organisation": "春晖路街道党工委“大工委”",
    })
    assert response.status_code == 302
    assert Alliance.objects.get(pk=tree.street_a.pk).name == "春晖路街道党建共同体(更名)"


def test_adding_an_existing_unit_to_a_street_alliance(tree, client):
    client.force_login(tree.secretary_a)
    url = reverse("membership-create", kwargs={"pk": tree.street_a.pk})
    page = client.get(url).content.decode()
    assert tree.unit_a1.name in page and tree.unit_b1.name not in page
    response = client.post(url, {"unit": tree.unit_a1.pk, "role": "committee", "representative": "王经理"})
    assert response.status_code == 302
    assert tree.unit_a1.memberships.filter(alliance=tree.street_a, role="committee").exists()


def test_chinese_by_default_english_on_request(tree, client):
    client.force_login(tree.secretary_a)
    page = client.get(reverse("home")).content.decode()
    assert 'lang="zh-hans"' in page and "我的党建共同体" in page
    client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    page = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in page and "My alliances" in page


def test_healthz_reports_database_and_redis(db, client, settings):
    body = client.get(reverse("healthz")).json()
    assert body["database"] == "ok" and body["status"] == "ok"
    assert body["redis"] == ("ok" if settings.REDIS_URL else "not configured")


def test_the_counts_add_up(tree, client):
    from members.services import membership_create

    membership_create(user=tree.root, unit=tree.unit_a2, alliance=tree.street_a, role="chair")
    client.force_login(tree.secretary_a)
    page = client.get(reverse("alliance-detail", kwargs={"pk": tree.street_a.pk})).content.decode()
    compact = "".join(page.split())
    assert "<b>2</b><span>直属下级</span>" in compact
    assert "<b>1</b><span>本级成员单位</span>" in compact
    assert "<b>3</b><span>辖区成员单位</span>" in compact
    assert "<b>1</b><span>兼职委员/轮值主席</span>" in compact


def test_the_unit_list_pages_keep_the_filters(tree, client):
    for i in range(35):
        factories.unit(tree.community_a1, by=tree.root, name=f"物业{i:02d}", category="property_management")
    client.force_login(tree.secretary_a)
    url = reverse("alliance-unit-list", kwargs={"pk": tree.street_a.pk})
    first = client.get(url, {"category": "property_management"}).content.decode()
    assert "category=property_management&amp;page=2" in first
    second = client.get(url, {"category": "property_management", "page": 2}).content.decode()
    assert "物业34" in second or "物业30" in second


def test_a_unit_from_another_street_keeps_its_home_to_itself(tree, client, api):
    from members.services import membership_create

    membership_create(user=tree.root, unit=tree.unit_b1, alliance=tree.street_a)
    client.force_login(tree.secretary_a)
    page = client.get(reverse("unit-detail", kwargs={"pk": tree.unit_b1.pk})).content.decode()
    assert tree.unit_b1.name in page and tree.community_b1.name not in page
    row = api(tree.secretary_a).get(reverse("api:member-unit-detail", kwargs={"pk": tree.unit_b1.pk})).json()
    assert row["alliance_name"] is None
    assert api(tree.secretary_b).get(reverse("api:member-unit-detail", kwargs={"pk": tree.unit_b1.pk})).json()[
        "alliance_name"] == tree.community_b1.name


def test_a_liaison_sees_no_unit_counts(tree, client):
    client.force_login(tree.liaison_a1)
    page = client.get(reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})).content.decode()
    assert "本级成员单位" not in page and tree.unit_a1.name in page and tree.unit_a1_other.name not in page
