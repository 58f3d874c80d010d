"""Shapes only: the rules (https, private addresses, events the client may receive) are the services'."""

from rest_framework import serializers

from webhooks.models import WebhookDelivery, WebhookSubscription


class SubscriptionSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.name", read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "client", "client_name", "url", "events", "is_active", "paused_at", "pause_reason",
                  "consecutive_failures", "created_at", "updated_at"]
        read_only_fields = fields


class SubscriptionCreatedSerializer(SubscriptionSerializer):
    """The answer to a create: the one time the signing secret is shown."""

    secret = serializers.CharField(read_only=True)

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionCreateSerializer(serializers.Serializer):
    client = serializers.IntegerField(required=False, help_text="The client's id: for district admins only; "
                                      "a client calling with its own token subscribes itself.")
    url = serializers.CharField(max_length=1000)
    events = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=True, max_length=20)


class SubscriptionUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=1000, required=False)
    events = serializers.ListField(child=serializers.CharField(max_length=40), required=False, allow_empty=True,
                                   max_length=20)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "subscription", "event_kind", "event_id", "payload", "status", "attempts",
                  "last_status_code", "last_error", "next_attempt_at", "delivered_at", "created_at"]
        read_only_fields = fields
