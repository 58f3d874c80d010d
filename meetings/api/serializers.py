"""Shapes of /api/v1/meetings/, /proposals/ and /resolutions/: input is checked for shape only,
the rules (and their messages) live in meetings/services.py."""

from rest_framework import serializers

from meetings.models import (
    ActionItem,
    Attendance,
    Meeting,
    MeetingKind,
    Proposal,
    Resolution,
    Vote,
    VoteChoice,
)
from tasks.models import Category

# --- output --------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "alliance", "alliance_name", "kind", "kind_display", "title", "starts_at", "ends_at",
                  "place", "convener", "agenda", "status", "status_display", "opened_at", "closed_at",
                  "created_at", "updated_at"]
        read_only_fields = fields


class ProposalSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    raised_by_unit_name = serializers.CharField(source="raised_by_unit.name", read_only=True, default=None)

    class Meta:
        model = Proposal
        fields = ["id", "alliance", "title", "body", "raised_by_user", "raised_by_unit", "raised_by_unit_name",
                  "source_item", "status", "status_display", "returned_reason", "reviewed_at", "meeting",
                  "decided_at", "created_at", "updated_at"]
        read_only_fields = fields


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "meeting", "unit", "present", "recorded_at"]
        read_only_fields = fields


class VoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vote
        fields = ["id", "proposal", "unit", "choice", "cast_by", "created_at", "updated_at"]
        read_only_fields = fields


class ResolutionSerializer(serializers.ModelSerializer):
    proposal_title = serializers.CharField(source="proposal.title", read_only=True)

    class Meta:
        model = Resolution
        fields = ["id", "proposal", "proposal_title", "meeting", "alliance", "text", "adopted", "invited_count",
                  "present_count", "votes_for", "votes_against", "votes_abstain", "decided_at", "published",
                  "published_at"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer):
    """An action of a resolution and the state of the item in `tasks/` that carries it out."""

    unit_name = serializers.CharField(source="unit.name", read_only=True)
    item_reference = serializers.CharField(source="item.reference", read_only=True)
    item_title = serializers.CharField(source="item.title", read_only=True)
    item_status = serializers.CharField(source="item.status", read_only=True)
    item_due_at = serializers.DateTimeField(source="item.due_at", read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "resolution", "item", "item_reference", "item_title", "item_status", "item_due_at",
                  "unit", "unit_name", "created_at"]
        read_only_fields = fields


# --- input ---------------------------------------------------------------------------------


class MeetingCreateSerializer(serializers.Serializer):
    alliance = serializers.IntegerField(help_text="Id of the alliance holding the meeting.")
    title = serializers.CharField(max_length=200, allow_blank=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=MeetingKind.choices, default=MeetingKind.REGULAR)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    agenda = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    joint_alliances = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=50,
        help_text="For a joint meeting (联席): ids of the other alliances taking part.",
    )


class InviteSerializer(serializers.Serializer):
    units = serializers.ListField(child=serializers.IntegerField(), allow_empty=True, max_length=500,
                                  help_text="Ids of the member units to invite.")


class AttendanceInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    present = serializers.BooleanField()


class ProposalCreateSerializer(serializers.Serializer):
    alliance = serializers.IntegerField()
    title = serializers.CharField(max_length=200, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The raising member unit (a liaison's own); empty: the "
                                              "initiating organisation.")
    source_item = serializers.IntegerField(required=False, allow_null=True, default=None,
                                           help_text="The item in /items/ that needs a collective decision.")


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ScheduleSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()


class VoteInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The voting unit; may be left out by a liaison of one unit.")
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class DecideSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="The resolution's text; empty: the proposal's title.")


class ActionInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)


class AssignActionsSerializer(serializers.Serializer):
    actions = ActionInputSerializer(many=True, allow_empty=True)
