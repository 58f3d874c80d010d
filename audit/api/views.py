from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend

from alliance.api.base import ScopedViewSetMixin
from alliance.api.pagination import DefaultCursorPagination

from ..forms import AuditFilterForm
from ..selectors import audit_alliance_get_for_user, audit_event_filter, audit_event_list_for_user
from .serializers import AuditEventSerializer


class AuditFilterBackend(BaseFilterBackend):
    """?alliance=&kind=&action=&user=&since=&until=&object_id= — the page's filters, the same form."""

    def filter_queryset(self, request, queryset, view):
        form = AuditFilterForm(request.query_params)
        if not form.is_valid():
            raise ValidationError({"non_field_errors" if name == "__all__" else name: list(errors)
                                   for name, errors in form.errors.items()})
        alliance = None
        raw = request.query_params.get("alliance", "").strip()
        if raw:
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
                raise ValidationError({"alliance": [_("请填写有效的党建共同体编号。")]})
            alliance = audit_alliance_get_for_user(user=request.user, pk=int(raw))
        return audit_event_filter(queryset, alliance=alliance, filters=form.filters())


class AuditCursorPagination(DefaultCursorPagination):
    ordering = ("-pgh_created_at", "-pgh_slug")


@extend_schema(parameters=[
    OpenApiParameter("alliance", int, description="只看该党建共同体及其下级"),
    OpenApiParameter("kind", str, enum=["alliance", "membership", "agreement", "commitment", "proposal", "vote",
                                        "resolution", "item", "role"]),
    OpenApiParameter("action", str, enum=["insert", "update", "delete"]),
    OpenApiParameter("user", int), OpenApiParameter("object_id", int),
    OpenApiParameter("since", str, description="YYYY-MM-DD"), OpenApiParameter("until", str, description="YYYY-MM-DD"),
])
class AuditEventViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail (read only): district admins and observers, their subtree's events."""

    scoped_selector = audit_event_list_for_user
    serializer_class = AuditEventSerializer
    filter_backends = [AuditFilterBackend]
    pagination_class = AuditCursorPagination
