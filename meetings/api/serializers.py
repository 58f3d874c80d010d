"""Shapes of /api/v1/meetings/, /proposals/ and /resolutions/: input is checked for shape only,
the rules (and their messages) live in meetings/services.py."""

from django.urls import reverse
from rest_framework import serializers

from meetings.models import (
    ActionItem,
    Attendance,
    Meeting,
    MeetingKind,
    MeetingRules,
    Proposal,
    ProposalAttachment,
    Proxy,
    PublishScope,
    Resolution,
    Vote,
    VoteChoice,
)
from tasks.models import Category

# --- output --------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(
        read_only=True, allow_null=True,
        help_text="应到单位: the member units of the meeting's alliances, counted when it opened (the quorum's "
                  "base); null while planned.")
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    alliance_name = serializers.CharField(source="alliance.name", read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "alliance", "alliance_name", "kind", "kind_display", "title", "starts_at", "ends_at",
                  "place", "convener", "agenda", "status", "status_display", "opened_at", "member_count",
                  "closed_at", "created_at", "updated_at"]
        read_only_fields = fields


class ProposalAttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(help_text="GET it here (the proposal's scope applies).")

    class Meta:
        model = ProposalAttachment
        fields = ["id", "name", "download_url", "uploaded_by", "created_at"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return reverse("api:proposal-attachment-download",
                       kwargs={"pk": attachment.proposal_id, "attachment_id": attachment.pk})


class ProposalSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    raised_by_unit_name = serializers.CharField(source="raised_by_unit.name", read_only=True, default=None)
    major = serializers.BooleanField(read_only=True, help_text="重大事项: needs the alliance's higher threshold "
                                                               "(two thirds of the units present by default).")
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Set when status is \"merged\".")
    attachments = ProposalAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Proposal
        fields = ["id", "alliance", "title", "body", "raised_by_user", "raised_by_unit", "raised_by_unit_name",
                  "source_item", "status", "status_display", "major", "merged_into", "returned_reason",
                  "reviewed_at", "meeting", "decided_at", "attachments", "created_at", "updated_at"]
        read_only_fields = fields


class AttendanceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attendance
        fields = ["id", "meeting", "unit", "present", "recorded_at"]
        read_only_fields = fields


class VoteSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    choice_display = serializers.CharField(source="get_choice_display", read_only=True)
    proxy_unit = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The unit that cast this vote holding the unit's proxy (委托表决), if any.")
    proxy_unit_name = serializers.CharField(source="proxy_unit.name", read_only=True, default=None)
    voided_at = serializers.DateTimeField(
        read_only=True, allow_null=True,
        help_text="Set when the meeting closed without deciding the proposal: the vote is kept but counts "
                  "nowhere, and the unit votes afresh at a later meeting.")

    class Meta:
        model = Vote
        fields = ["id", "proposal", "unit", "unit_name", "choice", "choice_display", "proxy_unit",
                  "proxy_unit_name", "cast_by", "created_at", "updated_at", "voided_at"]
        read_only_fields = fields


class ResolutionSerializer(serializers.ModelSerializer):
    proposal_title = serializers.CharField(source="proposal.title", read_only=True)
    member_count = serializers.IntegerField(
        read_only=True, help_text="应到单位 the vote was counted against: the meeting's member units.")

    class Meta:
        model = Resolution
        fields = ["id", "proposal", "proposal_title", "meeting", "alliance", "text", "adopted", "member_count",
                  "present_count", "votes_for", "votes_against", "votes_abstain", "decided_at", "published",
                  "published_at", "publish_scope"]
        read_only_fields = fields


class ActionItemSerializer(serializers.ModelSerializer):
    """An action of a resolution and the state of the item in `tasks/` that carries it out; it is
    assigned to a member unit (`unit`) or to a secretary or staff member (`user`)."""

    unit = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                              help_text="The staff member it is assigned to, if not a unit.")
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None)
    assignee_name = serializers.CharField(read_only=True, help_text="The unit's or the staff member's name.")
    item_reference = serializers.CharField(source="item.reference", read_only=True)
    item_title = serializers.CharField(source="item.title", read_only=True)
    item_status = serializers.CharField(source="item.status", read_only=True)
    item_due_at = serializers.DateTimeField(source="item.due_at", read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "resolution", "item", "item_reference", "item_title", "item_status", "item_due_at",
                  "unit", "unit_name", "user", "assignee_name", "created_at"]
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
    major = serializers.BooleanField(required=False, default=False,
                                     help_text="重大事项; only the initiating organisation (no unit) sets it here, "
                                               "a unit's proposal is marked at review.")


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    major = serializers.BooleanField(required=False, allow_null=True, default=None,
                                     help_text="Mark (or unmark) the proposal a major matter (重大事项); "
                                               "left out: unchanged.")


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
    unit = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The member unit that carries it out; or leave it out and name "
                                              "assignee_user.")
    assignee_user = serializers.IntegerField(required=False, allow_null=True, default=None,
                                             help_text="A secretary or staff member of the alliance who carries "
                                                       "it out, instead of a unit.")
    due = serializers.DateField(help_text="Due by the end of this day (Asia/Shanghai); not in the past.")
    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Category.choices, default=Category.OTHER)


class AssignActionsSerializer(serializers.Serializer):
    actions = ActionInputSerializer(many=True, allow_empty=True)


class PublishSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=PublishScope.choices, default=PublishScope.EVERYONE,
        help_text="Who sees it on the alliance's public page: everyone, or signed-in party members only.")


# --- voting rules, proxies, votes, merging and attachments (#4) -----------------------------


class MeetingRulesSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingRules
        fields = ["quorum_numerator", "quorum_denominator", "major_numerator", "major_denominator",
                  "max_proxies_per_unit"]
        read_only_fields = fields


class InvitationSerializer(serializers.Serializer):
    """An invited unit on the meeting's roll."""

    unit = serializers.IntegerField(source="unit_id", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    representative = serializers.CharField(read_only=True, help_text="The unit's named representative (代表).")
    present = serializers.BooleanField(read_only=True, allow_null=True,
                                       help_text="Signed in (签到); null: not recorded yet.")
    counted_present = serializers.BooleanField(source="counted", read_only=True,
                                               help_text="Present in person, or by proxy held by a unit present.")
    proxy_to = serializers.IntegerField(source="proxy.to_unit_id", read_only=True, allow_null=True, default=None,
                                        help_text="The unit holding this unit's vote (委托表决), if any.")


class ProxySerializer(serializers.ModelSerializer):
    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True)

    class Meta:
        model = Proxy
        fields = ["id", "meeting", "from_unit", "from_unit_name", "to_unit", "to_unit_name", "created_at"]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    """A meeting with its roll: invited units, representatives, attendance, proxies and quorum."""

    invitations = InvitationSerializer(source="roll.invitations", many=True, read_only=True)
    proxies = ProxySerializer(source="roll.proxies", many=True, read_only=True)
    rules = MeetingRulesSerializer(source="roll.rules", read_only=True)
    member_count = serializers.IntegerField(
        source="roll.member_count", read_only=True,
        help_text="应到单位, the base of the quorum: the member units of the meeting's alliances (counted when "
                  "it opened; while planned, as of now).")
    invited_count = serializers.IntegerField(source="roll.invited_count", read_only=True,
                                             help_text="The units invited: asked to come, and the only ones that vote.")
    present_count = serializers.IntegerField(source="roll.present_count", read_only=True,
                                             help_text="Present in person or by proxy.")
    quorum = serializers.BooleanField(read_only=True, help_text="Whether the units present make the quorum.")

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "invitations", "proxies", "rules", "invited_count",
                  "present_count", "quorum"]
        read_only_fields = fields


class ProxyInputSerializer(serializers.Serializer):
    from_unit = serializers.IntegerField(help_text="The invited unit handing its vote over.")
    to_unit = serializers.IntegerField(help_text="The invited unit that is to cast it.")


class RevokeProxySerializer(serializers.Serializer):
    from_unit = serializers.IntegerField(help_text="The unit whose proxy is revoked.")


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(help_text="The proposal this one is merged into.")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False,
                                 help_text="PDF, Word, Excel, JPEG or PNG, at most 10 MB (multipart/form-data).")


class VoteCreateSerializer(serializers.Serializer):
    proposal = serializers.IntegerField()
    unit = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The voting unit; may be left out by a liaison of one invited unit. "
                                              "A unit whose proxy the caller's unit holds may be named.")
    choice = serializers.ChoiceField(choices=VoteChoice.choices)
