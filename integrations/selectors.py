"""Reads of API clients, scoped like everything else: a district admin sees the clients of its subtree."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from alliance.roles import MANAGE_TREE
from alliance.selectors import user_scope

from .models import ApiClient


def api_client_list(*, user, alliance=None) -> QuerySet[ApiClient]:
    """The clients registered under the subtrees the user manages (optionally under `alliance`)."""
    qs = user_scope(user).scope_queryset(ApiClient.objects.all(), MANAGE_TREE)
    if alliance is not None:
        qs = qs.filter(alliance_path__startswith=alliance.path, tenant_id=alliance.tenant_id)
    return qs.select_related("alliance", "created_by").order_by("alliance_path", "name", "pk")


def api_client_get_for_user(*, user, pk) -> ApiClient:
    """Missing and not yours are the same 404."""
    try:
        return api_client_list(user=user).get(pk=pk)
    except (ApiClient.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该对接系统。")) from None
