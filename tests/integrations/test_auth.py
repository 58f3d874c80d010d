"""Client tokens: the subtree of the client's alliance, its scopes, rotation, revocation, last use."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import ApiClient
from integrations.services import api_client_revoke, api_client_rotate
from tasks.models import Item
from tasks.services import item_create

pytestmark = pytest.mark.django_db


def _item(tree, alliance, title="楼道灯不亮"):
    return item_create(user=tree.root, alliance=alliance, title=title, source="grid")[0]


def test_a_client_of_street_a_sees_street_a_items_not_street_b(tree, register, bearer):
    mine, theirs = _item(tree, tree.community_a1), _item(tree, tree.community_b1, "井盖松动")
    _client, token = register(tree.street_a, "items:read")
    api = bearer(token)
    listed = api.get(reverse("api:item-list"))
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]
    assert api.get(reverse("api:item-detail", kwargs={"pk": mine.pk})).status_code == 200
    hidden = api.get(reverse("api:item-detail", kwargs={"pk": theirs.pk}))
    assert hidden.status_code == 404 and hidden.json()["code"] == "not_found"


def test_a_stats_only_client_cannot_list_items(tree, register, bearer):
    _client, token = register(tree.street_a, "stats:read")
    api = bearer(token)
    refused = api.get(reverse("api:item-list"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope" and refused.json()["message"]
    assert api.get(reverse("api:stats-detail", kwargs={"alliance_id": tree.street_a.pk})).status_code == 200
    assert api.get(reverse("api:stats-detail", kwargs={"alliance_id": tree.street_b.pk})).status_code == 404


def test_a_read_only_client_cannot_push_items(tree, register, bearer):
    _client, token = register(tree.street_a, "items:read")
    refused = bearer(token).post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "越权"},
                                 format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
    assert not Item.objects.exists()


def test_a_writing_client_pushes_inside_its_subtree_only(tree, register, bearer):
    _client, token = register(tree.street_a, "items:read", "items:write")
    api = bearer(token)
    pushed = api.post(reverse("api:item-list"), {"alliance": tree.community_a1.pk, "title": "路灯不亮"},
                      format="json")
    assert pushed.status_code == 201 and pushed.json()["source"] == "api"
    outside = api.post(reverse("api:item-list"), {"alliance": tree.community_b1.pk, "title": "越界"},
                       format="json")
    assert outside.status_code == 404
    assert list(Item.objects.values_list("title", flat=True)) == ["路灯不亮"]


def test_clients_never_write_where_no_write_scope_exists(tree, register, bearer):
    """Deny by default: a view that declares no write scope refuses every client write."""
    _client, token = register(tree.district, *[s for s in ("items:read", "items:write", "stats:read",
                                                           "agreements:read", "meetings:read", "alliances:read")])
    api = bearer(token)
    moved = api.post(reverse("api:alliance-move", kwargs={"pk": tree.community_a1.pk}),
                     {"parent": tree.street_b.pk}, format="json")
    assert moved.status_code == 403 and moved.json()["code"] == "insufficient_scope"
    renamed = api.patch(reverse("api:member-unit-detail", kwargs={"pk": tree.unit_a1.pk}), {"name": "改名"},
                        format="json")
    assert renamed.status_code == 403
    assert api.get(reverse("api:alliance-list")).status_code == 200


def test_an_undeclared_view_is_refused_to_clients(tree, register, bearer, monkeypatch):
    from alliance.api.views import AllianceViewSet

    _client, token = register(tree.district, "alliances:read")
    monkeypatch.delattr(AllianceViewSet, "client_scopes")
    refused = bearer(token).get(reverse("api:alliance-list"))
    assert refused.status_code == 403


def test_people_are_not_affected_by_scopes(tree, api):
    assert api(tree.secretary_a).get(reverse("api:item-list")).status_code == 200
    assert api(tree.secretary_a).get(reverse("api:stats-detail", kwargs={"alliance_id": tree.street_a.pk})
                                     ).status_code == 200


def test_a_revoked_token_is_refused_with_a_clear_message(tree, register, bearer):
    client, token = register(tree.street_a, "items:read")
    api = bearer(token)
    assert api.get(reverse("api:item-list")).status_code == 200
    api_client_revoke(user=tree.district_admin, client=client)
    refused = bearer(token).get(reverse("api:item-list"))
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_revoked" and "吊销" in refused.json()["message"]
    assert refused["WWW-Authenticate"].startswith("Bearer")
    client.user.refresh_from_db()
    assert not client.user.is_active


def test_a_rotated_token_replaces_the_old_one_at_once(tree, register, bearer):
    client, old = register(tree.street_a, "items:read")
    _client, new = api_client_rotate(user=tree.district_admin, client=client)
    assert new != old
    refused = bearer(old).get(reverse("api:item-list"))
    assert refused.status_code == 401 and refused.json()["code"] == "authentication_failed"
    assert bearer(new).get(reverse("api:item-list")).status_code == 200


@pytest.mark.parametrize("header", ["Bearer", "Bearer nodot", "Bearer abc.def", "Bearer a.b c",
                                    "Bearer " + "x" * 40 + ".secret"])
def test_malformed_or_unknown_tokens_are_401(tree, header, db):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    response = api.get(reverse("api:item-list"))
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_token_with_a_wrong_secret_is_refused(tree, register, bearer):
    _client, token = register(tree.street_a, "items:read")
    prefix, _dot, secret = token.partition(".")
    assert bearer(f"{prefix}.{secret[:-1]}x" if secret[-1] != "x" else f"{prefix}.{secret[:-1]}y").get(
        reverse("api:item-list")).status_code == 401


def test_no_credentials_is_a_401(db):
    from rest_framework.test import APIClient

    response = APIClient().get(reverse("api:item-list"))
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_the_token_is_stored_hashed(tree, register):
    client, token = register(tree.street_a, "items:read")
    row = ApiClient.objects.get(pk=client.pk)
    secret = token.split(".", 1)[1]
    assert secret not in row.token_hash and token.startswith(row.token_prefix + ".")
    assert len(row.token_hash) == 64


def test_last_use_is_written_at_most_once_a_minute(tree, register, bearer, django_assert_max_num_queries):
    client, token = register(tree.street_a, "items:read")
    api = bearer(token)
    assert ApiClient.objects.get(pk=client.pk).last_used_at is None
    api.get(reverse("api:item-list"))
    first = ApiClient.objects.get(pk=client.pk).last_used_at
    assert first is not None
    api.get(reverse("api:item-list"))
    assert ApiClient.objects.get(pk=client.pk).last_used_at == first
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    api.get(reverse("api:item-list"))
    assert ApiClient.objects.get(pk=client.pk).last_used_at > first


def test_a_client_request_costs_a_fixed_number_of_queries(tree, register, bearer, django_assert_max_num_queries):
    for n in range(5):
        _item(tree, tree.community_a1, f"事项{n}")
    _client, token = register(tree.street_a, "items:read")
    api = bearer(token)
    api.get(reverse("api:item-list"))  # last use written
    with django_assert_max_num_queries(6):
        assert api.get(reverse("api:item-list")).status_code == 200
