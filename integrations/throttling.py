"""Per-client rate limit: `ApiClient.rate_limit_per_minute` in fixed one-minute windows.

The counter is one atomic INCR in the cache (Redis in production), so concurrent requests of a
client on several web processes share it. People are not throttled here.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .models import ApiClient

WINDOW = 60


class ApiClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        now = time.time()
        window = int(now // WINDOW)
        key = f"apiclient-rate:{client.pk}:{window}"
        cache.add(key, 0, WINDOW + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, WINDOW + 5)
            count = 1
        if count <= client.rate_limit_per_minute:
            return True
        self._wait = (window + 1) * WINDOW - now
        return False

    def wait(self) -> float:
        return max(1.0, getattr(self, "_wait", WINDOW))
