from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers

from alliance.roles import VIEW
from alliance.selectors import user_scope
from members.models import Category, Membership, MembershipRole, MemberUnit, PartyOrgForm
from members.selectors import unit_contact_phone
from members.services import MAX_PARTY_MEMBERS


class MemberUnitSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    party_org_form_display = serializers.CharField(source="get_party_org_form_display", read_only=True)
    alliance_name = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField(
        help_text="In full for those who keep the unit's register entry and its own liaison; masked otherwise.")

    class Meta:
        model = MemberUnit
        fields = [
            "id", "tenant", "alliance", "alliance_name", "name", "category", "category_display",
            "credit_code", "party_org_form", "party_org_form_display", "party_member_count",
            "address", "contact_name", "contact_phone", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_alliance_name(self, obj: MemberUnit) -> str | None:
        """A unit from elsewhere that joined one of the user's alliances: its home is not named."""
        request = self.context.get("request")
        if request is None or user_scope(request.user).allows(VIEW, obj.alliance_path):
            return obj.alliance.name
        return None

    def get_contact_phone(self, obj: MemberUnit) -> str:
        request = self.context.get("request")
        return unit_contact_phone(user=getattr(request, "user", None) or AnonymousUser(), unit=obj)


class MemberUnitWriteSerializer(serializers.Serializer):
    """Shape only; the rules (credit code, uniqueness) are in members.services."""

    alliance = serializers.IntegerField(help_text="Id of the alliance the unit is registered under.")
    name = serializers.CharField(max_length=120)
    category = serializers.ChoiceField(choices=Category.choices)
    credit_code = serializers.CharField(max_length=32)
    party_org_form = serializers.ChoiceField(choices=PartyOrgForm.choices, default=PartyOrgForm.NONE)
    # The integer column's limit: a bigger number would overflow the database (the rule is in services).
    party_member_count = serializers.IntegerField(min_value=0, max_value=MAX_PARTY_MEMBERS, default=0)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class MemberUnitUpdateSerializer(MemberUnitWriteSerializer):
    alliance = None

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


class MembershipSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id", "tenant", "unit", "unit_name", "alliance", "alliance_name", "role", "role_display",
            "representative", "joined_on", "left_on",
        ]
        read_only_fields = fields


class MembershipCreateSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    alliance = serializers.IntegerField()
    role = serializers.ChoiceField(choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    representative = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=MembershipRole.choices, required=False)
    representative = serializers.CharField(max_length=60, required=False, allow_blank=True)
    left_on = serializers.DateField(required=False)
