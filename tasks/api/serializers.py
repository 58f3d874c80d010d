from rest_framework import serializers

from tasks.models import Category, Item, ItemEvent, ItemSource, Rating


class ItemSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    origin_name = serializers.CharField(source="origin.name", read_only=True)
    level = serializers.CharField(source="alliance.level", read_only=True)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = [
            "id", "reference", "title", "description", "category", "source", "status", "status_display",
            "origin", "origin_name", "alliance", "alliance_name", "level", "assignee_unit", "assignee_user",
            "due_at", "is_overdue", "overdue_at_root", "escalations", "resolution_note", "rejected_reason",
            "created_at", "updated_at", "resolved_at", "confirmed_at", "closed_at",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj: Item) -> bool:
        return obj.is_open and obj.due_at < self.context["now"]


class ItemCreateSerializer(serializers.Serializer):
    alliance = serializers.IntegerField(help_text="Id of the alliance where the item is raised.")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)
    source = serializers.ChoiceField(choices=ItemSource.choices, default=ItemSource.API)
    requester_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    requester_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    idempotency_key = serializers.CharField(
        max_length=80, required=False, allow_blank=False, default=None,
        help_text="A key of the caller's (e.g. the 12345 ticket number): a retried create returns the "
                  "first item instead of a second one. May also be sent as the Idempotency-Key header.",
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ClaimSerializer(NoteSerializer):
    unit = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The member unit taking the item (a liaison's own unit).")


class ConfirmSerializer(NoteSerializer):
    solved = serializers.BooleanField()


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ItemEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ItemEvent
        fields = ["id", "kind", "kind_display", "actor", "actor_label", "from_status", "to_status",
                  "from_alliance", "to_alliance", "deadline", "note", "created_at"]
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Rating
        fields = ["id", "item", "score", "comment", "rated_alliance", "by_resident", "status", "appeal_reason",
                  "decision_reason", "created_at"]
        read_only_fields = fields


class AppealDecisionSerializer(serializers.Serializer):
    uphold = serializers.BooleanField()
    reason = serializers.CharField()
