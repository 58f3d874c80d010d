from rest_framework import serializers

from alliance.models import Alliance, Kind, Level


class AllianceSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Alliance
        fields = [
            "id", "tenant", "name", "level", "level_display", "kind", "kind_display", "code",
            "initiating_organisation", "description", "is_active", "parent", "path", "depth",
            "numchild", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_parent(self, obj: Alliance) -> int | None:
        # The parent's id is resolved by the viewset in one query for the whole page.
        return self.context.get("parent_ids", {}).get(obj.path[: -Alliance.steplen]) if obj.depth > 1 else None


class AllianceCreateSerializer(serializers.Serializer):
    parent = serializers.IntegerField(help_text="Id of the parent alliance.")
    name = serializers.CharField(max_length=100)
    level = serializers.ChoiceField(choices=Level.choices)
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.REGIONAL)
    code = serializers.CharField(max_length=32)
    initiating_organisation = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class AllianceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    code = serializers.CharField(max_length=32, required=False)
    initiating_organisation = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class AllianceMoveSerializer(serializers.Serializer):
    parent = serializers.IntegerField(help_text="Id of the new parent alliance.")


class AllianceTreeRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    parent = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    code = serializers.CharField()
    depth = serializers.IntegerField()
    numchild = serializers.IntegerField()
    is_active = serializers.BooleanField()
