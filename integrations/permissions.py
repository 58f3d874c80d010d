"""What an API client may call: the view declares the scope it needs; no declaration, no access."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiClient


def required_scope(view, request) -> str | None:
    """`client_scopes` maps an action name, or "read" (safe methods) / "write", to a scope."""
    declared = getattr(view, "client_scopes", None) or {}
    action = getattr(view, "action", None)
    if action and action in declared:
        return declared[action]
    return declared.get("read" if request.method in SAFE_METHODS else "write")


class ClientScopePermission(BasePermission):
    """People (session or user token) pass; an API client needs the view's scope."""

    message = _("该对接系统没有调用此接口的权限范围。")
    code = "insufficient_scope"

    def has_permission(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        needed = required_scope(view, request)
        return needed is not None and needed in client.scopes
