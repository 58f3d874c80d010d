"""The REST API as another government system would use it: token auth, filters, cursors, errors."""

from django.urls import reverse
from rest_framework.authtoken.models import Token

from alliance.models import Alliance
from members.models import MemberUnit

from . import factories


def test_token_authentication_and_anonymous_refusal(tree, client):
    token = Token.objects.create(user=tree.secretary_a)
    assert client.get(reverse("api:alliance-list")).status_code in (401, 403)
    response = client.get(reverse("api:alliance-list"), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {
        tree.street_a.pk, tree.community_a1.pk, tree.community_a2.pk}


def test_alliances_filter_by_level_and_parent(tree, api):
    client = api(tree.district_admin)
    rows = client.get(reverse("api:alliance-list"), {"level": "community"}).json()["results"]
    assert len(rows) == 4
    rows = client.get(reverse("api:alliance-list"), {"parent": tree.street_b.pk}).json()["results"]
    assert {r["id"] for r in rows} == {tree.community_b1.pk, tree.community_b2.pk}
    assert {r["parent"] for r in rows} == {tree.street_b.pk}


def test_cursor_pagination_walks_every_row_once(tree, api):
    client = api(tree.district_admin)
    seen, url = [], reverse("api:alliance-list") + "?page_size=2"
    while url:
        body = client.get(url).json()
        assert "count" not in body  # a cursor, not an OFFSET page
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7


def test_create_a_child_alliance_and_get_the_rules_as_messages(tree, api):
    client = api(tree.district_admin)
    ok = client.post(reverse("api:alliance-list"), {
        "parent": tree.street_a.pk, "name": "新社区党建共同体", "level": "community", "code": "500104001050",
    }, format="json")
    assert ok.status_code == 201, ok.content
    assert ok.json()["parent"] == tree.street_a.pk
    duplicate = client.post(reverse("api:alliance-list"), {
        "parent": tree.street_a.pk, "name": "重复", "level": "community", "code": "500104001050",
    }, format="json")
    assert duplicate.status_code == 400
    assert "已被使用" in duplicate.json()["errors"]["code"][0]
    assert Alliance.objects.filter(code="500104001050").count() == 1


def test_moving_into_a_cycle_is_a_400(tree, api):
    response = api(tree.district_admin).post(
        reverse("api:alliance-move", kwargs={"pk": tree.street_a.pk}), {"parent": tree.community_a1.pk},
        format="json")
    assert response.status_code == 400
    assert "循环" in response.json()["errors"]["parent"][0]


def test_a_secretary_gets_403_for_tree_changes_it_may_see(tree, api):
    response = api(tree.secretary_a).post(reverse("api:alliance-move", kwargs={"pk": tree.community_a2.pk}),
                                          {"parent": tree.street_a.pk}, format="json")
    assert response.status_code == 403


def test_register_a_unit_with_a_bad_code_then_a_good_one(tree, api):
    client = api(tree.community_secretary_a1)
    payload = {"alliance": tree.community_a1.pk, "name": "锦霞便民超市", "category": "private_enterprise",
               "credit_code": "91350100M000100Y44"}
    bad = client.post(reverse("api:member-unit-list"), payload, format="json")
    assert bad.status_code == 400 and "校验位" in bad.json()["errors"]["credit_code"][0]
    assert not MemberUnit.objects.filter(name="锦霞便民超市").exists()
    payload["credit_code"] = factories.credit_code(7001)
    good = client.post(reverse("api:member-unit-list"), payload, format="json")
    assert good.status_code == 201
    assert good.json()["alliance"] == tree.community_a1.pk


def test_units_filter_by_subtree_and_category(tree, api):
    client = api(tree.district_admin)
    rows = client.get(reverse("api:member-unit-list"), {"under": tree.street_a.pk}).json()["results"]
    assert {r["id"] for r in rows} == {tree.unit_a1.pk, tree.unit_a1_other.pk, tree.unit_a2.pk}
    rows = client.get(reverse("api:member-unit-list"), {"category": "property_management"}).json()["results"]
    assert [r["id"] for r in rows] == [tree.unit_a1.pk]
    # `under` an alliance outside the scope is a 404, like every other way to name it.
    assert api(tree.secretary_b).get(reverse("api:member-unit-list"), {"under": tree.street_a.pk}).status_code == 404


def test_join_a_street_alliance_and_end_it(tree, api):
    client = api(tree.secretary_a)
    created = client.post(reverse("api:membership-list"), {
        "unit": tree.unit_a2.pk, "alliance": tree.street_a.pk, "role": "chair"}, format="json")
    assert created.status_code == 201, created.content
    again = client.post(reverse("api:membership-list"), {
        "unit": tree.unit_a2.pk, "alliance": tree.street_a.pk}, format="json")
    assert again.status_code == 400
    pk = created.json()["id"]
    ended = client.patch(reverse("api:membership-detail", kwargs={"pk": pk}), {"left_on": "2000-01-01"},
                         format="json")
    assert ended.status_code == 400 and "早于" in ended.json()["errors"]["left_on"][0]


def test_the_schema_documents_the_endpoints(tree, client):
    client.force_login(tree.secretary_a)
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/v1/alliances/", "/api/v1/member-units/", "/api/v1/memberships/",
                 "/api/v1/alliances/{id}/move/"):
        assert path in schema["paths"]
    assert client.get(reverse("swagger-ui")).status_code == 200


def test_the_subtree_comes_whole_with_parent_ids(tree, api):
    rows = api(tree.secretary_a).get(reverse("api:alliance-descendants", kwargs={"pk": tree.street_a.pk})).json()
    assert [(r["id"], r["parent"]) for r in rows] == [
        (tree.community_a1.pk, tree.street_a.pk), (tree.community_a2.pk, tree.street_a.pk)]


def test_id_filters_do_not_tell_other_tenants_ids_from_missing_ones(tree, api):
    client = api(tree.district_admin)
    for name, param, other in (
        ("api:member-unit-list", "alliance", tree.other_tenant.pk),
        ("api:alliance-list", "tenant", tree.other_tenant.tenant_id),
        ("api:membership-list", "unit", tree.unit_other_tenant.pk),
        ("api:item-list", "alliance", tree.other_tenant.pk),
    ):
        elsewhere = client.get(reverse(name), {param: other})
        missing = client.get(reverse(name), {param: 999999})
        assert (elsewhere.status_code, elsewhere.json()["results"]) == (missing.status_code, missing.json()["results"])
        assert elsewhere.status_code == 200


def test_a_parent_outside_the_scope_shows_as_null(tree, api):
    row = api(tree.community_secretary_a1).get(reverse("api:alliance-detail", kwargs={"pk": tree.community_a1.pk}))
    assert row.json()["parent"] is None


def test_the_api_docs_need_a_login(tree, client):
    assert client.get(reverse("schema")).status_code in (401, 403)
    client.force_login(tree.secretary_a)
    assert client.get(reverse("swagger-ui")).status_code == 200


def test_the_schema_validates_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
