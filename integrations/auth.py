"""`Authorization: Bearer <prefix>.<secret>`: an API client acts as its service user.

`request.user` is the client's service user (so the subtree rule applies unchanged) and
`request.auth` the ApiClient (so scopes and rate limits can see the client).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .models import ApiClient
from .services import token_matches, token_split

KEYWORD = b"bearer"
# last_used_at is written at most this often per client: a busy client costs no write per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
_DUMMY = ApiClient(token_hash="0" * 64)


class TokenRevoked(exceptions.AuthenticationFailed):
    default_detail = _("该令牌已被吊销,请联系区委组织部重新登记或轮换令牌。")
    default_code = "token_revoked"


class ApiClientAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 头应为“Bearer <令牌>”。"))
        try:
            split = token_split(parts[1].decode("ascii"))
        except UnicodeDecodeError:
            split = None
        if split is None:
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        prefix, secret = split
        client = ApiClient.objects.select_related("user").filter(token_prefix=prefix).first()
        # Compare even when nothing matched, so the answer takes the same time either way.
        if not token_matches(client or _DUMMY, secret) or client is None:
            raise exceptions.AuthenticationFailed(_("令牌无效。"))
        if client.revoked_at is not None or not client.user.is_active:
            raise TokenRevoked()
        self._touch(client)
        return client.user, client

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

    @staticmethod
    def _touch(client: ApiClient) -> None:
        now = timezone.now()
        cutoff = now - LAST_USED_RESOLUTION
        if client.last_used_at is not None and client.last_used_at >= cutoff:
            return
        # Conditional: of several requests in the same minute, one writes.
        ApiClient.objects.filter(pk=client.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=cutoff)
        ).update(last_used_at=now)
        client.last_used_at = now
