from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework import serializers

from tasks.models import OPEN_STATUSES, Category, Item, ItemEvent, ItemSource, Rating, Status
from tasks.selectors import item_requester, item_requester_masker


class ItemSerializer(serializers.ModelSerializer):
    # Not `source="get_status_display"`: DRF inspects that callable and Django rebuilds the choices
    # on every row; the labels are translated once per serializer instead.
    status_display = serializers.SerializerMethodField()
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    origin_name = serializers.CharField(source="origin.name", read_only=True)
    level = serializers.CharField(source="alliance.level", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    requester_name = serializers.SerializerMethodField(
        help_text="The resident's name: in full for the level handling the item, masked (王**) otherwise.")
    requester_phone = serializers.SerializerMethodField(
        help_text="The resident's phone: in full for the level handling the item, masked (138****5678) otherwise.")

    class Meta:
        model = Item
        fields = [
            "id", "reference", "title", "description", "category", "source", "status", "status_display",
            "origin", "origin_name", "alliance", "alliance_name", "level", "assignee_unit", "assignee_user",
            "due_at", "is_overdue", "overdue_at_root", "escalations", "resolution_note", "rejected_reason",
            "requester_name", "requester_phone",
            "created_at", "updated_at", "resolved_at", "confirmed_at", "closed_at",
        ]
        read_only_fields = fields

    def get_status_display(self, obj: Item) -> str:
        labels = self.context.get("status_labels")
        if labels is None:
            labels = self.context["status_labels"] = {value: str(label) for value, label in Status.choices}
        return labels.get(obj.status, obj.status)

    def get_is_overdue(self, obj: Item) -> bool:
        return obj.is_open and obj.due_at < self.context["now"]

    def _requester(self, obj: Item) -> tuple[str, str]:
        request = self.context.get("request")
        return item_requester(user=getattr(request, "user", None) or AnonymousUser(), item=obj)

    def get_requester_name(self, obj: Item) -> str:
        return self._requester(obj)[0]

    def get_requester_phone(self, obj: Item) -> str:
        return self._requester(obj)[1]


# The columns the list's fast path reads (`.values()`): `pk` is the cursor's position.
ITEM_LIST_VALUES = (
    "pk", "alliance_path", "reference", "title", "description", "category", "source", "status",
    "origin_id", "origin__name", "alliance_id", "alliance__name", "alliance__level", "assignee_unit_id",
    "assignee_user_id", "due_at", "overdue_at_root", "escalations", "resolution_note", "rejected_reason",
    "requester_name", "requester_phone", "created_at", "updated_at", "resolved_at", "confirmed_at", "closed_at",
)


class ItemListSerializer(serializers.ListSerializer):
    """The item list's fast path: rows of `ITEM_LIST_VALUES` to exactly what `ItemSerializer` gives.

    DRF's field-by-field machinery (a `get_attribute` and a `to_representation` per field, 30 fields
    per item) cost most of a page's time; here each row is one dict literal. The status labels are
    translated once per page, the requester is masked through `item_requester_masker` (the same rule
    as `item_contact_visible`), and datetimes are formatted as DRF's `DateTimeField` does: in the
    current time zone, ISO 8601, `Z` for UTC. tests/tasks/test_api.py checks it against `ItemSerializer`.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("child", ItemSerializer())
        super().__init__(*args, **kwargs)

    def to_representation(self, data):
        request = self.context.get("request")
        requester = item_requester_masker(getattr(request, "user", None) or AnonymousUser())
        now = self.context.get("now") or timezone.now()
        labels = {value: str(label) for value, label in Status.choices}
        zone = timezone.get_current_timezone()

        def when(value):
            if not value:
                return None
            text = value.astimezone(zone).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        results = []
        append = results.append
        for row in data:
            status = row["status"]
            name, phone = requester(row["alliance_path"], row["requester_name"], row["requester_phone"])
            append({
                "id": row["pk"],
                "reference": row["reference"],
                "title": row["title"],
                "description": row["description"],
                "category": row["category"],
                "source": row["source"],
                "status": status,
                "status_display": labels.get(status, status),
                "origin": row["origin_id"],
                "origin_name": row["origin__name"],
                "alliance": row["alliance_id"],
                "alliance_name": row["alliance__name"],
                "level": row["alliance__level"],
                "assignee_unit": row["assignee_unit_id"],
                "assignee_user": row["assignee_user_id"],
                "due_at": when(row["due_at"]),
                "is_overdue": status in OPEN_STATUSES and row["due_at"] < now,
                "overdue_at_root": row["overdue_at_root"],
                "escalations": row["escalations"],
                "resolution_note": row["resolution_note"],
                "rejected_reason": row["rejected_reason"],
                "requester_name": name,
                "requester_phone": phone,
                "created_at": when(row["created_at"]),
                "updated_at": when(row["updated_at"]),
                "resolved_at": when(row["resolved_at"]),
                "confirmed_at": when(row["confirmed_at"]),
                "closed_at": when(row["closed_at"]),
            })
        return results


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
