"""One error shape across the API, documented in the schema."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _shape(response, status, code):
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"code", "message", "errors"} and body["code"] == code and body["message"]
    return body


def test_field_errors(tree, api):
    body = _shape(api(tree.secretary_a).post(reverse("api:item-list"), {"alliance": tree.community_a1.pk,
                                                                        "title": " ", "category": "weather"},
                                             format="json"), 400, "invalid")
    assert "category" in body["errors"]


def test_a_services_message_is_the_message(tree, api):
    response = api(tree.district_admin).post(reverse("api:alliance-move", kwargs={"pk": tree.street_a.pk}),
                                             {"parent": tree.community_a1.pk}, format="json")
    body = _shape(response, 400, "invalid")
    assert "循环" in body["errors"]["parent"][0]


def test_a_body_that_does_not_parse(tree, api):
    response = api(tree.secretary_a).post(reverse("api:item-list"), "{not json", content_type="application/json")
    _shape(response, 400, "parse_error")


def test_not_found_permission_denied_and_method(tree, api):
    _shape(api(tree.secretary_b).get(reverse("api:alliance-detail", kwargs={"pk": tree.community_a1.pk})),
           404, "not_found")
    _shape(api(tree.secretary_a).post(reverse("api:alliance-move", kwargs={"pk": tree.community_a2.pk}),
                                      {"parent": tree.street_a.pk}, format="json"), 403, "permission_denied")
    _shape(api(tree.secretary_a).delete(reverse("api:item-list")), 405, "method_not_allowed")


def test_unsupported_media_type(tree, api):
    response = api(tree.secretary_a).post(reverse("api:item-list"), "title=x", content_type="text/plain")
    _shape(response, 415, "unsupported_media_type")


def test_not_authenticated(db):
    from rest_framework.test import APIClient

    _shape(APIClient().get(reverse("api:item-list")), 401, "not_authenticated")


def test_the_schema_documents_the_error_shape_and_the_bearer_scheme(tree, api):
    schema = api(tree.secretary_a).get(reverse("schema"), {"format": "json"}).json()
    assert schema["components"]["schemas"]["Error"]["required"] == ["code", "message", "errors"]
    assert schema["components"]["securitySchemes"]["clientToken"]["scheme"] == "bearer"
    items = schema["paths"]["/api/v1/items/"]
    assert items["get"]["responses"]["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "Retry-After" in items["get"]["responses"]["429"]["headers"]
    assert any(p["name"] == "Idempotency-Key" for p in items["post"]["parameters"])
    move = schema["paths"]["/api/v1/alliances/{id}/move/"]["post"]
    assert "422" in move["responses"] and any(p["name"] == "Idempotency-Key" for p in move["parameters"])


def test_the_interactive_docs_open_for_a_client_token(tree, register, bearer):
    _client, token = register(tree.street_a, "items:read")
    assert bearer(token).get(reverse("schema")).status_code == 200
