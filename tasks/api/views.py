import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alliance.api.base import ScopedViewSetMixin
from alliance.models import Level
from alliance.selectors import alliance_get_for_user
from members.selectors import member_unit_get_for_user
from tasks import selectors, services
from tasks.models import OPEN_STATUSES, Category, Item, ItemSource, Status

from .serializers import (
    ITEM_LIST_VALUES,
    AppealDecisionSerializer,
    ClaimSerializer,
    ConfirmSerializer,
    ItemCreateSerializer,
    ItemEventSerializer,
    ItemListSerializer,
    ItemSerializer,
    NoteSerializer,
    RateSerializer,
    RatingSerializer,
)


class ItemFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    source = django_filters.ChoiceFilter(choices=ItemSource.choices)
    level = django_filters.ChoiceFilter(field_name="alliance__level", choices=Level.choices,
                                        label="Level of the alliance handling it now")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past its deadline")
    escalated = django_filters.BooleanFilter(method="filter_escalated")
    alliance = django_filters.NumberFilter(field_name="alliance_id")
    origin = django_filters.NumberFilter(field_name="origin_id")
    assignee_unit = django_filters.NumberFilter(field_name="assignee_unit_id")

    class Meta:
        model = Item
        fields = ["status", "category", "source", "alliance", "origin", "assignee_unit", "level", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = Q(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_escalated(self, queryset, name, value):
        return queryset.filter(escalations__gt=0) if value else queryset.filter(escalations=0)


class ItemViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                  mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Items (事项): other systems push demands in and follow them; transitions are actions."""

    client_scopes = {"read": "items:read", "write": "items:write"}  # API clients (integrations)
    scoped_selector = staticmethod(selectors.item_list)
    serializer_class = ItemSerializer
    filterset_class = ItemFilter

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def filter_queryset(self, queryset):
        if self.action == "list" and not any(name in self.request.query_params for name in ItemFilter.base_filters):
            # No filter asked for: skip building the FilterSet (a deep copy of its filters and a form
            # per request), which would filter nothing.
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # The same JSON as `ItemSerializer`'s, through the fast path: the page is read with `.values()`
        # (the handling and origin alliances' name and level joined, no model instances) and
        # `ItemListSerializer` builds each item as one dict (bench/items_throughput_bench.py).
        # No docstring here: it would become the operation's description in the OpenAPI schema.
        rows = self.filter_queryset(self.get_queryset()).select_related(None).values(*ITEM_LIST_VALUES)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ItemListSerializer(page, context=self.get_serializer_context()).data)

    def _answer(self, item, code=status.HTTP_200_OK):
        item = selectors.item_get_for_user(user=self.request.user, pk=item.pk)
        return Response(self.get_serializer(item).data, status=code)

    @extend_schema(
        request=ItemCreateSerializer, responses={201: ItemSerializer, 200: ItemSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def create(self, request, *args, **kwargs):
        """Raise an item. A retry with the same idempotency key answers 200 with the first item."""
        body = dict(request.data.items())
        if request.headers.get("Idempotency-Key") and not body.get("idempotency_key"):
            body["idempotency_key"] = request.headers["Idempotency-Key"]  # validated like the field
        data = ItemCreateSerializer(data=body)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        alliance = alliance_get_for_user(user=request.user, pk=values.pop("alliance"))
        item, created = services.item_create(user=request.user, alliance=alliance, **values)
        return self._answer(item, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _act(self, request, serializer_class, call):
        item = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(call(item, data.validated_data))

    @extend_schema(request=ClaimSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """接单: take a new item for a unit (a liaison's own) or for oneself."""
        def call(item, data):
            unit = member_unit_get_for_user(user=request.user, pk=data["unit"]) if data["unit"] else None
            return services.item_claim(user=request.user, item=item, unit=unit, note=data["note"])
        return self._act(request, ClaimSerializer, call)

    @extend_schema(request=NoteSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._act(request, NoteSerializer,
                         lambda item, d: services.item_start(user=request.user, item=item, note=d["note"]))

    @extend_schema(request=NoteSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._act(request, NoteSerializer,
                         lambda item, d: services.item_resolve(user=request.user, item=item, note=d["note"]))

    @extend_schema(request=NoteSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(request, NoteSerializer,
                         lambda item, d: services.item_reject(user=request.user, item=item, reason=d["note"]))

    @extend_schema(request=NoteSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        return self._act(request, NoteSerializer,
                         lambda item, d: services.item_escalate(user=request.user, item=item, reason=d["note"]))

    @extend_schema(request=NoteSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        return self._act(request, NoteSerializer, lambda item, d: services.item_send_back(
            user=request.user, item=item, instructions=d["note"]))

    @extend_schema(request=ConfirmSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self._act(request, ConfirmSerializer, lambda item, d: services.item_confirm(
            user=request.user, item=item, solved=d["solved"], note=d["note"]))

    @extend_schema(request=RateSerializer, responses={200: ItemSerializer})
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        def call(item, data):
            services.item_rate(user=request.user, item=item, score=data["score"], comment=data["comment"])
            return item
        return self._act(request, RateSerializer, call)

    @extend_schema(request=NoteSerializer, responses={200: RatingSerializer})
    @action(detail=True, methods=["post"], url_path="rating/appeal")
    def appeal(self, request, pk=None):
        """The handler appeals the rating it got (reason in `note`)."""
        item = self.get_object()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.rating_appeal(user=request.user, rating=self._rating(item), reason=data.validated_data["note"])
        return Response(RatingSerializer(rating).data)

    @extend_schema(request=AppealDecisionSerializer, responses={200: RatingSerializer})
    @action(detail=True, methods=["post"], url_path="rating/decide")
    def decide(self, request, pk=None):
        """The level above the rated one upholds or voids an appealed rating."""
        item = self.get_object()
        data = AppealDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = services.rating_decide(user=request.user, rating=self._rating(item), **data.validated_data)
        return Response(RatingSerializer(rating).data)

    def _rating(self, item):
        from django.http import Http404

        from tasks.models import Rating
        try:
            return Rating.objects.get(item=item)
        except Rating.DoesNotExist:
            raise Http404 from None

    @extend_schema(responses={200: ItemEventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The timeline: every change, oldest first."""
        item = self.get_object()
        return Response(ItemEventSerializer(selectors.item_events(item=item), many=True).data)
