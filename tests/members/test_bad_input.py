"""Input no user would type, which must get an answer and never a 500 (on SQLite and PostgreSQL)."""

from django.urls import reverse

from members.models import MemberUnit

from .. import factories

HUGE = 10**20  # overflows the integer column, and even a 64-bit integer
TOO_BIG_FOR_THE_COLUMN = 3_000_000_000


def unit_payload(**overrides):
    payload = {"name": "锦霞便民超市", "category": "private_enterprise", "credit_code": factories.credit_code(8101),
               "party_org_form": "none", "party_member_count": 0}
    payload.update(overrides)
    return payload


def test_the_unit_form_answers_a_huge_party_member_count_with_a_message(tree, client):
    client.force_login(tree.community_secretary_a1)
    before = MemberUnit.objects.count()
    response = client.post(reverse("unit-create", kwargs={"pk": tree.community_a1.pk}),
                           unit_payload(party_member_count=HUGE))
    assert response.status_code == 200
    assert "party_member_count" in response.context["form"].errors
    assert "1000000" in response.content.decode()
    assert MemberUnit.objects.count() == before


def test_the_edit_form_answers_a_huge_party_member_count_with_a_message(tree, client):
    client.force_login(tree.community_secretary_a1)
    unit = tree.unit_a1
    response = client.post(reverse("unit-edit", kwargs={"pk": unit.pk}), unit_payload(
        name=unit.name, category=unit.category, credit_code=unit.credit_code, party_member_count=HUGE))
    assert response.status_code == 200
    assert "party_member_count" in response.context["form"].errors
    unit.refresh_from_db()
    assert unit.party_member_count != HUGE


def test_the_api_answers_a_party_member_count_beyond_the_column_with_400(tree, api):
    client = api(tree.community_secretary_a1)
    payload = unit_payload(alliance=tree.community_a1.pk, party_member_count=TOO_BIG_FOR_THE_COLUMN)
    response = client.post(reverse("api:member-unit-list"), payload, format="json")
    assert response.status_code == 400
    assert "party_member_count" in response.json()["errors"]
    assert not MemberUnit.objects.filter(name="锦霞便民超市").exists()
    response = client.patch(reverse("api:member-unit-detail", kwargs={"pk": tree.unit_a1.pk}),
                            {"party_member_count": HUGE}, format="json")
    assert response.status_code == 400
    assert "party_member_count" in response.json()["errors"]


def test_the_unit_list_search_ignores_nul_characters(tree, client):
    client.force_login(tree.community_secretary_a1)
    url = reverse("alliance-unit-list", kwargs={"pk": tree.community_a1.pk})
    assert client.get(url + "?q=%00").status_code == 200
    response = client.get(url, {"q": "锦霞\x00物业", "category": "property_management\x00"})
    assert response.status_code == 200
    # The NUL is dropped, the rest of the search still applies.
    assert [u.pk for u in response.context["page"]] == [tree.unit_a1.pk]
    response = client.get(url, {"q": "\x00", "category": "\x00"})
    assert response.status_code == 200
    assert {u.pk for u in response.context["page"]} == {tree.unit_a1.pk, tree.unit_a1_other.pk}
