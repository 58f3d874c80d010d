import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alliance import selectors, services
from alliance.models import Alliance, Kind, Level

from .base import ScopedViewSetMixin
from .pagination import PathCursorPagination
from .serializers import (
    AllianceCreateSerializer,
    AllianceMoveSerializer,
    AllianceSerializer,
    AllianceTreeRowSerializer,
    AllianceUpdateSerializer,
)


class AllianceFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    kind = django_filters.ChoiceFilter(choices=Kind.choices)
    is_active = django_filters.BooleanFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")
    code = django_filters.CharFilter()
    # Plain numbers, not model choices: a choice filter answers "invalid" for ids that exist
    # elsewhere and so tells them apart from ids that do not.
    tenant = django_filters.NumberFilter(field_name="tenant_id")
    under = django_filters.NumberFilter(method="filter_under", label="Descendants of this alliance id")
    parent = django_filters.NumberFilter(method="filter_parent", label="Children of this alliance id")

    class Meta:
        model = Alliance
        fields = ["level", "kind", "is_active", "name", "code", "tenant"]

    def _anchor(self, queryset, value):
        return queryset.filter(pk=value).values_list("path", "depth").first()

    def filter_under(self, queryset, name, value):
        anchor = self._anchor(queryset, value)
        if anchor is None:
            return queryset.none()
        return queryset.filter(path__startswith=anchor[0], depth__gt=anchor[1])

    def filter_parent(self, queryset, name, value):
        anchor = self._anchor(queryset, value)
        if anchor is None:
            return queryset.none()
        return queryset.filter(path__startswith=anchor[0], depth=anchor[1] + 1)


class AllianceViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The alliance tree as the user may see it: its subtrees, nothing above or beside."""

    client_scopes = {"read": "alliances:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.alliance_list)
    serializer_class = AllianceSerializer
    filterset_class = AllianceFilter
    pagination_class = PathCursorPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["parent_ids"] = getattr(self, "_parent_ids", {})
        return context

    def _remember_parents(self, rows) -> None:
        """Resolve the parents' ids of a page of alliances in one query; a parent outside the
        user's scope shows as null, like the breadcrumb that does not link it."""
        paths = {a.path[: -Alliance.steplen] for a in rows if a.depth > 1}
        self._parent_ids = (
            dict(self.get_queryset().filter(path__in=paths).values_list("path", "id")) if paths else {}
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._remember_parents(page if page is not None else queryset)
        return page

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self._remember_parents([instance])
        return Response(self.get_serializer(instance).data)

    @extend_schema(request=AllianceCreateSerializer, responses={201: AllianceSerializer})
    def create(self, request, *args, **kwargs):
        data = AllianceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        parent = selectors.alliance_get_for_user(user=request.user, pk=values.pop("parent"))
        alliance = services.alliance_create(user=request.user, parent=parent, **values)
        self._remember_parents([alliance])
        return Response(self.get_serializer(alliance).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AllianceUpdateSerializer, responses={200: AllianceSerializer})
    def partial_update(self, request, *args, **kwargs):
        alliance = self.get_object()
        data = AllianceUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        alliance = services.alliance_update(user=request.user, alliance=alliance, **data.validated_data)
        return Response(self.get_serializer(alliance).data)

    def update(self, request, *args, **kwargs):
        kwargs["partial"] = True
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=AllianceMoveSerializer, responses={200: AllianceSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the alliance, with its whole subtree, under another parent."""
        alliance = self.get_object()
        data = AllianceMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_parent = selectors.alliance_get_for_user(user=request.user, pk=data.validated_data["parent"])
        alliance = services.alliance_move(user=request.user, alliance=alliance, new_parent=new_parent)
        self._remember_parents([alliance])
        return Response(self.get_serializer(alliance).data)

    @extend_schema(responses={200: AllianceSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def ancestors(self, request, pk=None):
        """The alliance's ancestors that the user may see, root first (a breadcrumb)."""
        alliance = self.get_object()
        rows = list(self.get_queryset().filter(path__in=selectors.alliance_ancestor_paths(alliance.path)))
        self._remember_parents(rows)
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(responses={200: AllianceTreeRowSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def descendants(self, request, pk=None):
        """The whole subtree below the alliance in tree order, unpaginated, with parent ids."""
        alliance = self.get_object()
        rows = selectors.alliance_tree_rows(alliance=alliance)
        return Response(AllianceTreeRowSerializer(rows, many=True).data)
