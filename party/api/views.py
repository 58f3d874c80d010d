"""/api/v1/party-*: in-service party members, their reports, service posts and claims, orders on
residents' demands, points and the time bank. Scoped by party.selectors, changed only by
party.services; every object a body names is fetched through the scope too (404 outside it).

API clients (integrations) get none of it: these are personal data (client_scopes is empty).
"""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from alliance.api.base import ScopedViewSetMixin
from alliance.selectors import alliance_get_for_user
from members.selectors import member_unit_get_for_user
from party import selectors, services
from party.models import Order, PointEntry, Report, ServicePost, TimeBankEntry

from .serializers import (
    ClaimDecisionSerializer,
    ClaimHoursSerializer,
    ClaimRefSerializer,
    MemberRefSerializer,
    OrderNoteSerializer,
    OrderSerializer,
    OrderTakeSerializer,
    PartyMemberCreateSerializer,
    PartyMemberSerializer,
    PartyMemberUpdateSerializer,
    PointEntrySerializer,
    PointReversalSerializer,
    PostClaimSerializer,
    PostCreateSerializer,
    PostSerializer,
    RedeemSerializer,
    ReportInputSerializer,
    ReportSerializer,
    TimeBankSerializer,
)

NO_CLIENTS: dict[str, str] = {}  # personal data: API clients are denied (integrations' default)


def _valid(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _member(request, pk):
    """The member a body names (through the scope), or the caller's own record."""
    if pk is None:
        member = selectors.own_member(request.user)
        if member is None:
            raise ValidationError({"member": [_("请指定党员。")]})
        return member
    return selectors.party_member_get_for_user(user=request.user, pk=pk)


class PartyMemberFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id")
    employer_unit = django_filters.NumberFilter(field_name="employer_unit_id")


def _id_filters(model, *fk_names: str, other: tuple[str, ...] = ()):
    """A FilterSet whose foreign keys filter by plain id: a ModelChoiceFilter would look the id up
    among all rows and so tell another tenant's user which ids exist (400 for a missing one)."""
    attrs = {name: django_filters.NumberFilter(field_name=f"{name}_id") for name in fk_names}
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": [*fk_names, *other]})
    return type(f"{model.__name__}IdFilter", (django_filters.FilterSet,), attrs)


class PartyMemberViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """In-service party members (在职党员). A unit's liaison lists its employees and where they
    reported; phone and ID numbers are masked except for secretaries and the member."""

    client_scopes = NO_CLIENTS
    scoped_selector = staticmethod(selectors.party_member_list)
    serializer_class = PartyMemberSerializer
    filterset_class = PartyMemberFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _answer(self, member, code=status.HTTP_200_OK):
        member = selectors.party_member_get_for_user(user=self.request.user, pk=member.pk)
        return Response(self.get_serializer(member).data, status=code)

    @extend_schema(request=PartyMemberCreateSerializer, responses={201: PartyMemberSerializer})
    def create(self, request, *args, **kwargs):
        values = _valid(PartyMemberCreateSerializer, request)
        community = alliance_get_for_user(user=request.user, pk=values.pop("community"))
        unit_pk = values.pop("employer_unit")
        unit = member_unit_get_for_user(user=request.user, pk=unit_pk) if unit_pk else None
        member = services.party_member_create(user=request.user, community=community, employer_unit=unit,
                                              **values)
        return self._answer(member, status.HTTP_201_CREATED)

    @extend_schema(request=PartyMemberUpdateSerializer, responses={200: PartyMemberSerializer})
    def partial_update(self, request, *args, **kwargs):
        member = self.get_object()
        values = _valid(PartyMemberUpdateSerializer, request)
        return self._answer(services.party_member_update(user=request.user, member=member, **values))

    @extend_schema(request=ReportInputSerializer, responses={201: ReportSerializer})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """报到: the member reports (self-service) or staff enter the report; `community` defaults to
        the member's home community."""
        member = self.get_object()
        values = _valid(ReportInputSerializer, request)
        community = None
        if values["community"] is not None:
            community = (alliance_get_for_user(user=request.user, pk=values["community"])
                         if member.user_id != request.user.pk else _tenant_community(member, values["community"]))
        report = services.report_create(user=request.user, member=member, community=community)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


def _tenant_community(member, pk):
    """A member reporting themself may pick any community of their tenant."""
    from django.http import Http404

    from alliance.models import Alliance, Level

    try:
        return Alliance.objects.get(pk=pk, tenant_id=member.tenant_id, level=Level.COMMUNITY, is_active=True)
    except (Alliance.DoesNotExist, ValueError, TypeError):
        raise Http404(_("没有找到该党建共同体。")) from None


class ReportViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Reports (报到) of the members the user sees."""

    client_scopes = NO_CLIENTS
    scoped_selector = staticmethod(selectors.report_list)
    serializer_class = ReportSerializer
    filterset_class = _id_filters(Report, "member", "community")


class PostViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  viewsets.GenericViewSet):
    """Service posts (设岗): members claim (认岗), the secretary confirms claims and hours."""

    client_scopes = NO_CLIENTS
    scoped_selector = staticmethod(selectors.post_list)
    serializer_class = PostSerializer
    filterset_class = _id_filters(ServicePost, "community", other=("kind", "status"))

    def _claim(self, post, pk):
        claim = selectors.claim_get_for_user(user=self.request.user, pk=pk)
        if claim.post_id != post.pk:
            raise ValidationError({"claim": [_("该认岗不属于此岗位。")]})
        return claim

    @extend_schema(request=PostCreateSerializer, responses={201: PostSerializer})
    def create(self, request, *args, **kwargs):
        values = _valid(PostCreateSerializer, request)
        community = alliance_get_for_user(user=request.user, pk=values.pop("community"))
        post = services.post_create(user=request.user, community=community, **values)
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PostClaimSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def claims(self, request, pk=None):
        post = self.get_object()
        rows = selectors.claim_list(user=request.user).filter(post=post).order_by("pk")[:500]
        return Response(PostClaimSerializer(rows, many=True).data)

    @extend_schema(request=MemberRefSerializer, responses={201: PostClaimSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        post = self.get_object()
        values = _valid(MemberRefSerializer, request)
        claim = services.post_claim(user=request.user, post=post, member=_member(request, values["member"]),
                                    note=values["note"])
        return Response(PostClaimSerializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClaimDecisionSerializer, responses={200: PostClaimSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        post = self.get_object()
        values = _valid(ClaimDecisionSerializer, request)
        claim = services.claim_decide(user=request.user, claim=self._claim(post, values["claim"]),
                                      confirm=values["confirm"], note=values["note"])
        return Response(PostClaimSerializer(claim).data)

    @extend_schema(request=ClaimHoursSerializer, responses={200: PostClaimSerializer})
    @action(detail=True, methods=["post"])
    def hours(self, request, pk=None):
        post = self.get_object()
        values = _valid(ClaimHoursSerializer, request)
        claim = services.claim_confirm_hours(user=request.user, claim=self._claim(post, values["claim"]),
                                             hours=values["hours"], note=values["note"])
        return Response(PostClaimSerializer(claim).data)

    @extend_schema(request=ClaimRefSerializer, responses={200: PostClaimSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        post = self.get_object()
        values = _valid(ClaimRefSerializer, request)
        claim = services.claim_withdraw(user=request.user, claim=self._claim(post, values["claim"]))
        return Response(PostClaimSerializer(claim).data)

    @extend_schema(request=None, responses={200: PostSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return Response(PostSerializer(services.post_close(user=request.user, post=self.get_object())).data)


class OrderViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """Orders (党员接单) on residents' demands: the member takes, the organisation confirms and resolves
    the item through the items workflow; the resident rates it on the follow link."""

    client_scopes = NO_CLIENTS
    scoped_selector = staticmethod(selectors.order_list)
    serializer_class = OrderSerializer
    filterset_class = _id_filters(Order, "member", other=("status",))

    def _answer(self, order, code=status.HTTP_200_OK):
        order = selectors.order_get_for_user(user=self.request.user, pk=order.pk)
        return Response(OrderSerializer(order).data, status=code)

    @extend_schema(request=OrderTakeSerializer, responses={201: OrderSerializer})
    def create(self, request, *args, **kwargs):
        values = _valid(OrderTakeSerializer, request)
        member = _member(request, values["member"])
        item = selectors.item_for_member(member=member, pk=values["item"])
        return self._answer(services.order_take(user=request.user, member=member, item=item),
                            status.HTTP_201_CREATED)

    def _move(self, request, fn, **extra):
        return self._answer(fn(user=request.user, order=self.get_object(), **extra))

    @extend_schema(request=OrderNoteSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._move(request, services.order_confirm, note=_valid(OrderNoteSerializer, request)["note"])

    @extend_schema(request=OrderNoteSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"], url_path="report", url_name="report")
    def report_back(self, request, pk=None):
        return self._move(request, services.order_report, note=_valid(OrderNoteSerializer, request)["note"])

    @extend_schema(request=OrderNoteSerializer, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._move(request, services.order_resolve, note=_valid(OrderNoteSerializer, request)["note"])

    @extend_schema(request=None, responses={200: OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._move(request, services.order_cancel)


class PointEntryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The points ledger (积分): append-only; a secretary reverses an entry with a new one."""

    client_scopes = NO_CLIENTS
    scoped_selector = staticmethod(selectors.point_entry_list)
    serializer_class = PointEntrySerializer
    filterset_class = _id_filters(PointEntry, "member", other=("kind",))

    @extend_schema(request=PointReversalSerializer, responses={201: PointEntrySerializer})
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        entry = services.point_entry_reverse(user=request.user, entry=self.get_object(),
                                             reason=_valid(PointReversalSerializer, request)["reason"])
        entry = selectors.point_entry_get_for_user(user=request.user, pk=entry.pk)
        return Response(PointEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class TimeBankViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The time bank (时间银行): hours banked from confirmed service, redeemed (POST) by staff."""

    client_scopes = NO_CLIENTS
    scoped_selector = staticmethod(selectors.timebank_list)
    serializer_class = TimeBankSerializer
    filterset_class = _id_filters(TimeBankEntry, "member")

    @extend_schema(request=RedeemSerializer, responses={201: TimeBankSerializer})
    def create(self, request, *args, **kwargs):
        values = _valid(RedeemSerializer, request)
        member = selectors.party_member_get_for_user(user=request.user, pk=values["member"])
        entry = services.timebank_redeem(user=request.user, member=member, hours=values["hours"],
                                         reason=values["reason"])
        return Response(TimeBankSerializer(entry).data, status=status.HTTP_201_CREATED)


