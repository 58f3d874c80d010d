"""Shapes of /api/v1/party-members/, /party-reports/, /party-posts/, /party-orders/,
/party-point-entries/ and /party-time-bank/. Input is checked for shape only: the rules and their
messages are in party.services, so a page and the API answer alike. Phone and ID numbers are masked
for everyone but the member and the secretaries (party.selectors.may_see_personal)."""

from rest_framework import serializers

from alliance.privacy import mask_id_number, mask_phone
from party.models import (
    Order,
    PartyMember,
    PointEntry,
    PostClaim,
    PostKind,
    Report,
    ServicePost,
    TimeBankEntry,
)
from party.selectors import may_see_personal


class PartyMemberSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    employer_name = serializers.CharField(read_only=True)
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    is_reported = serializers.BooleanField(read_only=True, default=False)
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = PartyMember
        fields = ["id", "name", "phone", "id_number", "community", "community_name", "employer_unit",
                  "employer_text", "employer_name", "party_org", "is_reported", "has_account", "created_at"]
        read_only_fields = fields

    def _full(self, member) -> bool:
        return may_see_personal(self.context["request"].user, member)

    def get_phone(self, member) -> str:
        return member.phone if self._full(member) else mask_phone(member.phone)

    def get_id_number(self, member) -> str:
        return member.id_number if self._full(member) else mask_id_number(member.id_number)

    def get_has_account(self, member) -> bool:
        return member.user_id is not None


class PartyMemberCreateSerializer(serializers.Serializer):
    community = serializers.IntegerField()
    name = serializers.CharField(max_length=60)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    employer_unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    employer_text = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    party_org = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class PartyMemberUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True)
    employer_text = serializers.CharField(max_length=120, required=False, allow_blank=True)
    party_org = serializers.CharField(max_length=120, required=False, allow_blank=True)


class ReportInputSerializer(serializers.Serializer):
    community = serializers.IntegerField(required=False, allow_null=True, default=None)


class ReportSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Report
        fields = ["id", "member", "member_name", "community", "community_name", "reported_at", "self_service",
                  "ended_at"]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ServicePost
        fields = ["id", "community", "community_name", "title", "kind", "kind_display", "places", "description",
                  "status", "created_at"]
        read_only_fields = fields


class PostCreateSerializer(serializers.Serializer):
    community = serializers.IntegerField()
    title = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=PostKind.choices)
    places = serializers.IntegerField()
    description = serializers.CharField(required=False, allow_blank=True, default="")


class MemberRefSerializer(serializers.Serializer):
    member = serializers.IntegerField(required=False, allow_null=True, default=None,
                                      help_text="Defaults to the caller's own party-member record.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PostClaimSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    post_title = serializers.CharField(source="post.title", read_only=True)

    class Meta:
        model = PostClaim
        fields = ["id", "post", "post_title", "member", "member_name", "status", "hours_confirmed", "claimed_at",
                  "decided_at", "note"]
        read_only_fields = fields


class ClaimDecisionSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    confirm = serializers.BooleanField(default=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ClaimHoursSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    hours = serializers.CharField(max_length=10)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ClaimRefSerializer(serializers.Serializer):
    claim = serializers.IntegerField()


class OrderSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    item_reference = serializers.CharField(source="item.reference", read_only=True)
    item_title = serializers.CharField(source="item.title", read_only=True)
    item_status = serializers.CharField(source="item.status", read_only=True)

    class Meta:
        model = Order
        fields = ["id", "item", "item_reference", "item_title", "item_status", "member", "member_name", "status",
                  "taken_at", "confirmed_at", "report_note", "resolved_at"]
        read_only_fields = fields


class OrderTakeSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    member = serializers.IntegerField(required=False, allow_null=True, default=None)


class OrderNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PointEntrySerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    is_reversed = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = PointEntry
        fields = ["id", "member", "member_name", "points", "kind", "kind_display", "reason", "source_type",
                  "source_id", "reverses", "is_reversed", "created_at"]
        read_only_fields = fields


class PointReversalSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TimeBankSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = TimeBankEntry
        fields = ["id", "member", "member_name", "hours", "reason", "created_at"]
        read_only_fields = fields


class RedeemSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    hours = serializers.CharField(max_length=10)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
