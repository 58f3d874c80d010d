"""Registering, rotating and revoking clients: the service rules and the district admin's pages."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from alliance.roles import Role
from integrations.models import ApiClient
from integrations.services import api_client_create, api_client_revoke, api_client_rotate
from members.models import RoleAssignment, User

pytestmark = pytest.mark.django_db


def test_a_district_admin_registers_a_client_with_a_service_user(tree):
    client, token = api_client_create(user=tree.district_admin, alliance=tree.street_a, name="12345热线",
                                      scopes=["items:write", "items:read"], rate_limit_per_minute=120)
    assert client.scopes == ["items:read", "items:write"] and client.rate_limit_per_minute == 120
    service_user = client.user
    assert service_user.username == f"api-{client.token_prefix}" and not service_user.has_usable_password()
    assert service_user.tenant_id == tree.district.tenant_id
    assert RoleAssignment.objects.get(user=service_user).role == Role.STAFF
    assert token.startswith(client.token_prefix + ".") and client.token_hash not in token


def test_a_read_only_client_is_an_observer(tree):
    client, _token = api_client_create(user=tree.district_admin, alliance=tree.street_a, name="数据平台",
                                       scopes=["stats:read"])
    assert RoleAssignment.objects.get(user=client.user).role == Role.OBSERVER


def test_only_a_district_admin_registers(tree):
    with pytest.raises(PermissionDenied):
        api_client_create(user=tree.secretary_a, alliance=tree.street_a, name="越权", scopes=["items:read"])
    with pytest.raises(Http404):
        api_client_create(user=tree.other_tenant_admin, alliance=tree.street_a, name="越界", scopes=["items:read"])
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": " ", "scopes": ["items:read"]}, "name"),
    ({"name": "系统", "scopes": []}, "scopes"),
    ({"name": "系统", "scopes": ["admin:all"]}, "scopes"),
    ({"name": "系统", "scopes": ["items:read"], "rate_limit_per_minute": 0}, "rate_limit_per_minute"),
])
def test_bad_input_is_refused_with_a_message_and_writes_nothing(tree, fields, field):
    with pytest.raises(ValidationError) as refused:
        api_client_create(user=tree.district_admin, alliance=tree.street_a, **fields)
    assert field in refused.value.message_dict
    assert not ApiClient.objects.exists() and not User.objects.filter(username__startswith="api-").exists()


def test_a_revoked_client_cannot_be_rotated(tree):
    client, _token = api_client_create(user=tree.district_admin, alliance=tree.street_a, name="系统",
                                       scopes=["items:read"])
    api_client_revoke(user=tree.district_admin, client=client)
    with pytest.raises(ValidationError):
        api_client_rotate(user=tree.district_admin, client=client)


# --- pages -----------------------------------------------------------------------------------

def test_register_page_shows_the_token_once(tree, client):
    client.force_login(tree.district_admin)
    url = reverse("api-client-create", kwargs={"pk": tree.street_a.pk})
    assert client.get(url).status_code == 200
    page = client.post(url, {"name": "网格化管理系统", "scopes": ["items:read", "items:write"],
                             "rate_limit_per_minute": "300"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    body = page.content.decode()
    created = ApiClient.objects.get()
    assert "只显示这一次" in body and f"{created.token_prefix}." in body
    listing = client.get(reverse("api-client-list", kwargs={"pk": tree.district.pk})).content.decode()
    assert "网格化管理系统" in listing and "从未使用" in listing
    assert f"{created.token_prefix}." in listing and "只显示这一次" not in listing


def test_register_page_shows_the_services_message(tree, client):
    client.force_login(tree.district_admin)
    page = client.post(reverse("api-client-create", kwargs={"pk": tree.street_a.pk}),
                       {"name": "  ", "scopes": ["items:read"], "rate_limit_per_minute": "10"})
    assert page.status_code == 200 and not ApiClient.objects.exists()


def test_rotate_and_revoke_pages(tree, client, register, bearer):
    api_client, old = register(tree.street_a, "items:read")
    client.force_login(tree.district_admin)
    rotate = reverse("api-client-rotate", kwargs={"pk": api_client.pk})
    assert client.get(rotate).status_code == 200
    assert client.post(rotate, {}).status_code == 200  # unconfirmed: the form again
    assert bearer(old).get(reverse("api:item-list")).status_code == 200
    page = client.post(rotate, {"confirm": "on"})
    api_client.refresh_from_db()
    assert page.status_code == 200 and f"{api_client.token_prefix}." in page.content.decode()
    assert bearer(old).get(reverse("api:item-list")).status_code == 401
    revoke = reverse("api-client-revoke", kwargs={"pk": api_client.pk})
    assert client.post(revoke, {"confirm": "on"}).status_code == 302
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert "已吊销" in client.get(reverse("api-client-list", kwargs={"pk": tree.street_a.pk})).content.decode()


@pytest.mark.parametrize("who", ["secretary_b", "community_secretary_a2", "other_tenant_admin"])
def test_neighbours_get_404_on_every_page(tree, client, register, who):
    api_client, _token = register(tree.street_a, "items:read")
    client.force_login(getattr(tree, who))
    for url in (reverse("api-client-list", kwargs={"pk": tree.street_a.pk}),
                reverse("api-client-create", kwargs={"pk": tree.street_a.pk}),
                reverse("api-client-rotate", kwargs={"pk": api_client.pk}),
                reverse("api-client-revoke", kwargs={"pk": api_client.pk})):
        assert client.get(url).status_code == 404
        assert client.post(url, {"confirm": "on", "name": "x", "scopes": ["items:read"],
                                 "rate_limit_per_minute": "5"}).status_code == 404
    fresh = ApiClient.objects.get(pk=api_client.pk)
    assert fresh.revoked_at is None and fresh.token_hash == api_client.token_hash
    assert ApiClient.objects.count() == 1


def test_a_secretary_who_sees_the_alliance_gets_403_on_the_list(tree, client):
    client.force_login(tree.secretary_a)
    assert client.get(reverse("api-client-list", kwargs={"pk": tree.street_a.pk})).status_code == 403


def test_a_street_admin_sees_only_its_subtree_clients(tree, client, register):
    from tests import factories

    register(tree.street_a, "items:read", name="甲街道系统")
    register(tree.street_b, "items:read", name="乙街道系统")
    street_admin = factories.user_with_role(tree.street_a, Role.DISTRICT_ADMIN, username="street_admin_a")
    client.force_login(street_admin)
    body = client.get(reverse("api-client-list", kwargs={"pk": tree.street_a.pk})).content.decode()
    assert "甲街道系统" in body and "乙街道系统" not in body


def test_the_list_page_runs_a_fixed_number_of_queries(tree, client, register, django_assert_max_num_queries):
    client.force_login(tree.district_admin)
    url = reverse("api-client-list", kwargs={"pk": tree.district.pk})
    register(tree.street_a, "items:read", name="系统1")
    client.get(url)
    with django_assert_max_num_queries(14) as one:
        client.get(url)
    for n in range(2, 7):
        register(tree.street_b, "items:read", name=f"系统{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_alliance_page_links_district_admins_to_the_clients(tree, client):
    client.force_login(tree.district_admin)
    assert reverse("api-client-list", kwargs={"pk": tree.street_a.pk}) in client.get(
        reverse("alliance-detail", kwargs={"pk": tree.street_a.pk})).content.decode()


def test_the_admin_lists_clients_of_the_subtree_read_only(tree, client, register):
    api_client, _token = register(tree.street_a, "items:read", name="甲街道系统")
    client.force_login(tree.district_admin)
    listing = client.get(reverse("admin:integrations_apiclient_changelist")).content.decode()
    assert "甲街道系统" in listing
    page = client.get(reverse("admin:integrations_apiclient_change", args=[api_client.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert api_client.token_hash not in body and api_client.token_hash[:8] in body
    client.force_login(tree.other_tenant_admin)
    assert "甲街道系统" not in client.get(reverse("admin:integrations_apiclient_changelist")).content.decode()
