"""API clients registered through the service, and HTTP clients that call with their token."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from integrations.services import api_client_create


@pytest.fixture(autouse=True)
def _clear_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def register(tree):
    """register(alliance, *scopes, rate=600) -> (ApiClient, token), registered by the district admin."""
    def _register(alliance, *scopes, rate: int = 600, name: str = "12345热线"):
        return api_client_create(user=tree.district_admin, alliance=alliance, name=name, scopes=list(scopes),
                                 rate_limit_per_minute=rate)
    return _register


@pytest.fixture
def bearer(db):
    def _bearer(token: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client
    return _bearer
