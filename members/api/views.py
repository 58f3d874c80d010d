import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from alliance.api.base import ScopedViewSetMixin
from alliance.selectors import alliance_get_for_user
from members import selectors, services
from members.models import Category, Membership, MembershipRole, MemberUnit, PartyOrgForm

from .serializers import (
    MembershipCreateSerializer,
    MembershipSerializer,
    MembershipUpdateSerializer,
    MemberUnitSerializer,
    MemberUnitUpdateSerializer,
    MemberUnitWriteSerializer,
)


class UnderAllianceFilterMixin:
    """`?under=<alliance id>`: rows whose alliance lies in that alliance's subtree."""

    def filter_under(self, queryset, name, value):
        alliance = alliance_get_for_user(user=self.request.user, pk=value)
        return queryset.filter(tenant_id=alliance.tenant_id, alliance_path__startswith=alliance.path)


class MemberUnitFilter(UnderAllianceFilterMixin, django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=Category.choices)
    party_org_form = django_filters.ChoiceFilter(choices=PartyOrgForm.choices)
    name = django_filters.CharFilter(lookup_expr="icontains")
    credit_code = django_filters.CharFilter(lookup_expr="iexact")
    under = django_filters.NumberFilter(method="filter_under", label="Registered in this alliance's subtree")
    # Plain numbers: a model-choice filter would tell ids elsewhere from ids that do not exist.
    alliance = django_filters.NumberFilter(field_name="alliance_id")

    class Meta:
        model = MemberUnit
        fields = ["category", "party_org_form", "name", "credit_code", "alliance"]


class MembershipFilter(UnderAllianceFilterMixin, django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=MembershipRole.choices)
    active = django_filters.BooleanFilter(field_name="left_on", lookup_expr="isnull")
    under = django_filters.NumberFilter(method="filter_under", label="In this alliance's subtree")
    unit = django_filters.NumberFilter(field_name="unit_id")
    alliance = django_filters.NumberFilter(field_name="alliance_id")

    class Meta:
        model = Membership
        fields = ["role", "unit", "alliance", "active"]


class MemberUnitViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    client_scopes = {"read": "alliances:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.member_unit_list)
    serializer_class = MemberUnitSerializer
    filterset_class = MemberUnitFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=MemberUnitWriteSerializer, responses={201: MemberUnitSerializer})
    def create(self, request, *args, **kwargs):
        data = MemberUnitWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        alliance = alliance_get_for_user(user=request.user, pk=values.pop("alliance"))
        unit = services.member_unit_create(user=request.user, alliance=alliance, **values)
        return Response(self.get_serializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberUnitUpdateSerializer, responses={200: MemberUnitSerializer})
    def partial_update(self, request, *args, **kwargs):
        unit = self.get_object()
        data = MemberUnitUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = services.member_unit_update(user=request.user, unit=unit, **data.validated_data)
        return Response(self.get_serializer(unit).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


class MembershipViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    client_scopes = {"read": "alliances:read"}  # API clients may read (integrations); no client writes
    scoped_selector = staticmethod(selectors.membership_list)
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=MembershipCreateSerializer, responses={201: MembershipSerializer})
    def create(self, request, *args, **kwargs):
        data = MembershipCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        alliance = alliance_get_for_user(user=request.user, pk=values.pop("alliance"))
        unit = selectors.member_unit_get_for_user(user=request.user, pk=values.pop("unit"))
        membership = services.membership_create(user=request.user, unit=unit, alliance=alliance, **values)
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MembershipUpdateSerializer, responses={200: MembershipSerializer})
    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_update(user=request.user, membership=membership, **data.validated_data)
        return Response(self.get_serializer(membership).data)

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


