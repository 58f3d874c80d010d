"""GET /api/v1/stats/{alliance_id}/: the dashboard's figures for other systems."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from alliance.selectors import alliance_get_for_user
from dashboard import selectors

from .serializers import StatsSerializer


# Not a ScopedViewSetMixin: the figures are an aggregate over one alliance, not rows of a list.
# The alliance comes through `alliance_get_for_user` (404 outside the scope) and the selector
# checks VIEW_ALL_UNITS on it (403 for a liaison who sees the alliance).
class StatsViewSet(viewsets.GenericViewSet):
    client_scopes = {"read": "stats:read"}  # API clients may read (integrations); no client writes
    serializer_class = StatsSerializer
    filter_backends: list = []
    pagination_class = None
    lookup_url_kwarg = "alliance_id"
    lookup_value_regex = "[0-9]+"

    @extend_schema(parameters=[OpenApiParameter("alliance_id", int, OpenApiParameter.PATH,
                                                description="The alliance whose subtree is summed up.")],
                   responses={200: StatsSerializer})
    def retrieve(self, request, alliance_id=None):
        """The figures of an alliance and everything below it (the same as its dashboard page)."""
        alliance = alliance_get_for_user(user=request.user, pk=alliance_id)
        figures = selectors.dashboard_figures(user=request.user, alliance=alliance)
        return Response(StatsSerializer(figures).data)
