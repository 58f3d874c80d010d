"""Each client has its own per-minute limit; beyond it, 429 with Retry-After. People are not limited."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_client_over_its_limit_gets_429_with_retry_after(tree, register, bearer):
    _client, token = register(tree.street_a, "items:read", rate=3)
    api = bearer(token)
    answers = [api.get(reverse("api:item-list")) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["code"] == "throttled" and "秒后重试" in refused.json()["message"]


def test_limits_are_per_client(tree, register, bearer):
    _a, token_a = register(tree.street_a, "items:read", rate=1, name="甲系统")
    _b, token_b = register(tree.street_a, "items:read", rate=1, name="乙系统")
    assert bearer(token_a).get(reverse("api:item-list")).status_code == 200
    assert bearer(token_a).get(reverse("api:item-list")).status_code == 429
    assert bearer(token_b).get(reverse("api:item-list")).status_code == 200


def test_people_are_not_throttled(tree, api):
    client = api(tree.secretary_a)
    assert all(client.get(reverse("api:item-list")).status_code == 200 for _ in range(5))
