from django.db import connection
from pghistory.middleware import HistoryMiddleware


class AuditContextMiddleware(HistoryMiddleware):
    """pghistory's middleware (user and URL, also when DRF authenticates later) plus the client's
    address. REMOTE_ADDR is the address we trust: the deployment makes it the client's (see
    agreements/views.py); X-Forwarded-For can be written by anyone and is not recorded."""

    def get_context(self, request):
        return {**super().get_context(request), "ip": request.META.get("REMOTE_ADDR") or None,
                "method": request.method}

    def __call__(self, request):
        if connection.vendor != "postgresql":  # no triggers, nothing to attach the context to
            return self.get_response(request)
        return super().__call__(request)
