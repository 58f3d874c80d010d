"""Phones on pages and in API answers: in full for the role that must call back, masked for the rest."""

import pytest
from django.urls import reverse

from members.services import member_unit_update, membership_create
from tasks.services import item_create, item_escalate

PHONE = "13812345678"
MASKED = "138****5678"
UNIT_PHONE = "13900001111"
UNIT_MASKED = "139****1111"

# Who handles an item of community A1 (HANDLE_ITEMS there), and who only sees it.
FULL = ["district_admin", "secretary_a", "community_secretary_a1", "staff_a"]
MASKED_ROLES = ["observer", "liaison_a1"]


@pytest.fixture
def demand(tree):
    item, _created = item_create(user=None, alliance=tree.community_a1, title="楼道灯坏了", source="demand",
                                 requester_name="王阿姨", requester_phone=PHONE)
    return item


@pytest.mark.parametrize("role", FULL)
def test_handlers_see_the_residents_phone_on_the_page_and_in_the_api(role, tree, demand, client, api):
    user = getattr(tree, role)
    client.force_login(user)
    page = client.get(reverse("item-detail", kwargs={"pk": demand.pk})).content.decode()
    assert PHONE in page and "王阿姨" in page
    answer = api(user).get(reverse("api:item-detail", kwargs={"pk": demand.pk})).json()
    assert (answer["requester_phone"], answer["requester_name"]) == (PHONE, "王阿姨")
    listed = api(user).get(reverse("api:item-list")).json()["results"]
    assert [row["requester_phone"] for row in listed if row["id"] == demand.pk] == [PHONE]


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_observers_and_liaisons_see_it_masked(role, tree, demand, client, api):
    user = getattr(tree, role)
    client.force_login(user)
    response = client.get(reverse("item-detail", kwargs={"pk": demand.pk}))
    page = response.content.decode()
    assert response.status_code == 200
    assert PHONE not in page and "王阿姨" not in page
    assert MASKED in page and "王**" in page
    answer = api(user).get(reverse("api:item-detail", kwargs={"pk": demand.pk})).json()
    assert (answer["requester_phone"], answer["requester_name"]) == (MASKED, "王**")
    listed = api(user).get(reverse("api:item-list")).json()["results"]
    assert PHONE not in str(listed)


def test_the_community_sees_it_masked_once_the_street_handles_it(tree, demand, client, api):
    item_escalate(user=tree.community_secretary_a1, item=demand, reason="社区无法解决")
    client.force_login(tree.community_secretary_a1)
    page = client.get(reverse("item-detail", kwargs={"pk": demand.pk})).content.decode()
    assert PHONE not in page and MASKED in page
    assert api(tree.community_secretary_a1).get(
        reverse("api:item-detail", kwargs={"pk": demand.pk})).json()["requester_phone"] == MASKED
    client.force_login(tree.secretary_a)
    assert PHONE in client.get(reverse("item-detail", kwargs={"pk": demand.pk})).content.decode()


def test_the_neighbour_gets_404_and_the_public_page_shows_no_phone(tree, demand, client, api):
    client.force_login(tree.community_secretary_a2)
    assert client.get(reverse("item-detail", kwargs={"pk": demand.pk})).status_code == 404
    assert api(tree.secretary_b).get(reverse("api:item-detail", kwargs={"pk": demand.pk})).status_code == 404
    client.logout()
    public = client.get(reverse("public-follow", kwargs={"token": demand.follow_token}))
    assert public.status_code == 200
    body = public.content.decode()
    assert PHONE not in body and MASKED not in body
    assert api().get(reverse("api:item-detail", kwargs={"pk": demand.pk})).status_code in (401, 403)


@pytest.fixture
def unit_contact(tree):
    return member_unit_update(user=tree.root, unit=tree.unit_a1, contact_name="李经理", contact_phone=UNIT_PHONE)


@pytest.mark.parametrize("role,full", [
    ("district_admin", True), ("secretary_a", True), ("community_secretary_a1", True), ("staff_a", True),
    ("liaison_a1", True),  # the unit's own liaison
    ("observer", False),
])
def test_unit_contact_phone_per_role(role, full, tree, unit_contact, client, api):
    user = getattr(tree, role)
    expected = UNIT_PHONE if full else UNIT_MASKED
    client.force_login(user)
    page = client.get(reverse("unit-detail", kwargs={"pk": tree.unit_a1.pk})).content.decode()
    assert expected in page
    assert full or UNIT_PHONE not in page
    answer = api(user).get(reverse("api:member-unit-detail", kwargs={"pk": tree.unit_a1.pk})).json()
    assert answer["contact_phone"] == expected
    listed = api(user).get(reverse("api:member-unit-list")).json()["results"]
    assert [u["contact_phone"] for u in listed if u["id"] == tree.unit_a1.pk] == [expected]


def test_a_unit_from_another_street_shows_its_phone_masked_where_it_only_joined(tree, client, api):
    member_unit_update(user=tree.root, unit=tree.unit_b1, contact_phone=UNIT_PHONE)
    membership_create(user=tree.root, unit=tree.unit_b1, alliance=tree.community_a1)
    client.force_login(tree.community_secretary_a1)
    page = client.get(reverse("unit-detail", kwargs={"pk": tree.unit_b1.pk})).content.decode()
    assert UNIT_MASKED in page and UNIT_PHONE not in page
    client.force_login(tree.secretary_b)
    assert UNIT_PHONE in client.get(reverse("unit-detail", kwargs={"pk": tree.unit_b1.pk})).content.decode()
    assert api(tree.community_secretary_a2).get(
        reverse("api:member-unit-detail", kwargs={"pk": tree.unit_b1.pk})).status_code == 404


def test_masking_adds_no_query_per_row(tree, api, django_assert_max_num_queries):
    """The rule reads the scope already cached on the user: 1 demand or 20 cost the same."""
    for i in range(20):
        item_create(user=None, alliance=tree.community_a1, title=f"诉求{i}", source="demand",
                    requester_name="张先生", requester_phone=f"1390000{i:04d}")
    client = api(tree.observer)
    url = reverse("api:item-list")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as many:
        rows = client.get(url).json()["results"]
    assert all("****" in row["requester_phone"] for row in rows)
    item_create(user=None, alliance=tree.community_a1, title="再一个", source="demand", requester_phone=PHONE)
    with django_assert_max_num_queries(len(many.captured_queries)):
        client.get(url)
