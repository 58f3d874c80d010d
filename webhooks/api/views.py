"""/api/v1/webhook-subscriptions/ and /api/v1/webhook-deliveries/.

A client calling with its own token sees and manages its own subscriptions only; a district admin
those of the clients it manages. Both come from the selectors; every change goes through a service.
"""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from alliance.api.base import ScopedViewSetMixin
from integrations.models import ApiClient
from integrations.selectors import api_client_get_for_user
from webhooks import selectors, services
from webhooks.models import DeliveryStatus, EventKind, WebhookDelivery, WebhookSubscription

from .serializers import (
    DeliverySerializer,
    SubscriptionCreatedSerializer,
    SubscriptionCreateSerializer,
    SubscriptionSerializer,
    SubscriptionUpdateSerializer,
)


def _valid(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class SubscriptionFilter(django_filters.FilterSet):
    client = django_filters.NumberFilter(field_name="client_id")

    class Meta:
        model = WebhookSubscription
        fields = ["client"]


class WebhookSubscriptionViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                                 mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin,
                                 viewsets.GenericViewSet):
    """Event subscriptions (事件订阅). The secret is in the answer to the create, and nowhere else."""

    # Any API client may manage its own subscriptions, whatever its scopes (the selector shows it
    # nothing else, and the service refuses events whose read scope it lacks): no `client_scopes`.
    permission_classes = [IsAuthenticated]
    scoped_selector = staticmethod(selectors.subscription_list)
    serializer_class = SubscriptionSerializer
    filterset_class = SubscriptionFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _answer(self, subscription, code=status.HTTP_200_OK):
        subscription = selectors.subscription_get_for_user(user=self.request.user, pk=subscription.pk)
        return Response(SubscriptionSerializer(subscription).data, status=code)

    @extend_schema(request=SubscriptionCreateSerializer, responses={201: SubscriptionCreatedSerializer})
    def create(self, request, *args, **kwargs):
        values = _valid(SubscriptionCreateSerializer, request)
        client_pk = values.pop("client", None)
        if isinstance(request.auth, ApiClient):
            client = request.auth
            if client_pk is not None and client_pk != client.pk:
                raise ValidationError({"client": [_("对接系统只能为自己订阅事件。")]})
        elif client_pk is None:
            raise ValidationError({"client": [_("请指定对接系统。")]})
        else:
            client = api_client_get_for_user(user=request.user, pk=client_pk)
        subscription, secret = services.subscription_create(user=request.user, client=client, **values)
        subscription = selectors.subscription_get_for_user(user=request.user, pk=subscription.pk)
        subscription.secret = secret
        return Response(SubscriptionCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SubscriptionUpdateSerializer, responses={200: SubscriptionSerializer})
    def partial_update(self, request, *args, **kwargs):
        subscription = self.get_object()
        values = _valid(SubscriptionUpdateSerializer, request)
        return self._answer(services.subscription_update(user=request.user, subscription=subscription, **values))

    def update(self, request, *args, **kwargs):  # pragma: no cover - PUT is not offered
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.subscription_delete(user=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: SubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop deliveries until the subscription is resumed."""
        return self._answer(services.subscription_pause(user=request.user, subscription=self.get_object()))

    @extend_schema(request=None, responses={200: SubscriptionSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Resume a subscription stopped by hand or paused after repeated failure."""
        return self._answer(services.subscription_resume(user=request.user, subscription=self.get_object()))


class DeliveryFilter(django_filters.FilterSet):
    subscription = django_filters.NumberFilter(field_name="subscription_id")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_kind = django_filters.ChoiceFilter(choices=EventKind.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["subscription", "status", "event_kind"]


class WebhookDeliveryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """What was sent to each subscription, with the last attempt's answer; failed ones may be replayed."""

    permission_classes = [IsAuthenticated]  # a client reads its own deliveries (see above)
    scoped_selector = staticmethod(selectors.delivery_list)
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """重新发送: the same event id and body again, with a fresh round of retries."""
        delivery = services.delivery_replay(user=request.user, delivery=self.get_object())
        delivery = selectors.delivery_get_for_user(user=request.user, pk=delivery.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
