"""Registering, rotating and revoking the API clients of other systems (#7)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.models import Alliance
from alliance.roles import MANAGE_TREE, Role
from alliance.selectors import forget_scope
from alliance.services import require_permission
from members.models import User
from members.services import role_assign

from .models import ApiClient, Scope

MAX_RATE_LIMIT = 100_000


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_split(token: str) -> tuple[str, str] | None:
    """`<prefix>.<secret>` → (prefix, secret), or None for anything else."""
    prefix, sep, secret = (token or "").partition(".")
    if not sep or not prefix or not secret or len(prefix) > 16:
        return None
    return prefix, secret


def token_matches(client: ApiClient, secret: str) -> bool:
    """Constant-time comparison of the hashes, so timing tells nothing about the secret."""
    return hmac.compare_digest(client.token_hash, _hash(secret))


def _new_token() -> tuple[str, str, str]:
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return prefix, secret, f"{prefix}.{secret}"


def _clean(*, name: str, scopes, rate_limit_per_minute: int) -> tuple[str, list[str], int]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("请填写对接系统的名称。")]
    elif len(name) > 100:
        errors["name"] = [_("名称最长100个字符。")]
    scopes = list(dict.fromkeys(scopes or []))
    if not scopes:
        errors["scopes"] = [_("请至少选择一项权限范围。")]
    elif any(s not in Scope.values for s in scopes):
        errors["scopes"] = [_("未知的权限范围。")]
    try:
        rate = int(rate_limit_per_minute)
    except (TypeError, ValueError):
        rate = 0
    if not 1 <= rate <= MAX_RATE_LIMIT:
        errors["rate_limit_per_minute"] = [_("每分钟请求上限应在1到%(max)s之间。") % {"max": MAX_RATE_LIMIT}]
    if errors:
        raise ValidationError(errors)
    return name, [s for s in Scope.values if s in scopes], rate


@transaction.atomic
def api_client_create(*, user, alliance: Alliance, name: str, scopes, rate_limit_per_minute: int = 600
                      ) -> tuple[ApiClient, str]:
    """Register a client on `alliance` (district admins only); the plaintext token is returned once.

    The client acts as a service user holding STAFF (with items:write) or OBSERVER on the alliance,
    so the subtree rule limits it like any person.
    """
    require_permission(user=user, alliance=alliance, perm=MANAGE_TREE)
    name, scopes, rate = _clean(name=name, scopes=scopes, rate_limit_per_minute=rate_limit_per_minute)
    prefix, secret, token = _new_token()
    service_user = User(username=f"api-{prefix}", name=(_("%(name)s(对接系统)") % {"name": name})[:60],
                        tenant_id=alliance.tenant_id)
    service_user.set_unusable_password()
    service_user.save()
    role = Role.STAFF if Scope.ITEMS_WRITE in scopes else Role.OBSERVER
    role_assign(user=user, target=service_user, alliance=alliance, role=role)
    client = ApiClient.objects.create(
        tenant_id=alliance.tenant_id, alliance=alliance, alliance_path=alliance.path, name=name,
        user=service_user, scopes=scopes, token_prefix=prefix, token_hash=_hash(secret),
        rate_limit_per_minute=rate, created_by=user if user.is_authenticated else None,
    )
    return client, token


def _require_manager(*, user, client: ApiClient) -> None:
    require_permission(user=user, alliance=client.alliance, perm=MANAGE_TREE)
    if client.revoked_at is not None:
        raise ValidationError(_("该对接系统的令牌已经吊销。"))


@transaction.atomic
def api_client_rotate(*, user, client: ApiClient) -> tuple[ApiClient, str]:
    """A new token; the old one stops working at once. The plaintext is returned once."""
    client = ApiClient.objects.select_for_update().select_related("alliance").get(pk=client.pk)
    _require_manager(user=user, client=client)
    prefix, secret, token = _new_token()
    client.token_prefix, client.token_hash, client.rotated_at = prefix, _hash(secret), timezone.now()
    client.save(update_fields=["token_prefix", "token_hash", "rotated_at"])
    return client, token


@transaction.atomic
def api_client_revoke(*, user, client: ApiClient) -> ApiClient:
    """The token is refused from now on and the service user can no longer act."""
    client = ApiClient.objects.select_for_update().select_related("alliance", "user").get(pk=client.pk)
    _require_manager(user=user, client=client)
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    service_user = client.user
    service_user.is_active = False
    service_user.save(update_fields=["is_active"])
    forget_scope(service_user)
    return client
