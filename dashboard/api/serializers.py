"""Output shapes of the stats endpoint: they document `dashboard_figures` in the schema."""

from rest_framework import serializers


class CountRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The choice value (level, kind or stage).")
    label = serializers.CharField(help_text="Its label in the request's language.")
    count = serializers.IntegerField()


class StatsAllianceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()


class QuarterSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(help_text="The last day of the quarter.")


class AlliancesFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Active alliances in the subtree, the node included.")
    by_level = CountRowSerializer(many=True)
    by_kind = CountRowSerializer(many=True)


class UnitsFiguresSerializer(serializers.Serializer):
    registered = serializers.IntegerField(help_text="Member units registered in the subtree.")
    active_memberships = serializers.IntegerField(help_text="Memberships in force in the subtree.")


class AgreementsFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_stage = CountRowSerializer(many=True)


class CommitmentsFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Commitment occurrences generated.")
    due = serializers.IntegerField(help_text="Occurrences due on or before today.")
    fulfilled = serializers.IntegerField(help_text="Occurrences whose item is resolved or closed.")
    overdue = serializers.IntegerField(help_text="Occurrences still open past their due date.")


class MeetingsFiguresSerializer(serializers.Serializer):
    held_this_quarter = serializers.IntegerField()
    communities_without_meeting = serializers.IntegerField(
        help_text="Active community alliances that held no meeting this quarter.")


class ItemsFiguresSerializer(serializers.Serializer):
    opened = serializers.IntegerField(help_text="Items now handled in the subtree, in any state.")
    open = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="Open past their deadline.")
    resolved = serializers.IntegerField(help_text="Resolved or closed.")
    escalated = serializers.IntegerField(help_text="Escalated at least once.")
    resolved_at_community = serializers.IntegerField()
    resolved_at_street = serializers.IntegerField()
    share_community = serializers.FloatField(allow_null=True, help_text="Percent of resolved; null if none.")
    share_street = serializers.FloatField(allow_null=True, help_text="Percent of resolved; null if none.")


class RatingFiguresSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class TopUnitSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    name = serializers.CharField()
    points = serializers.IntegerField()


class TrendMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM.")
    items_opened = serializers.IntegerField()
    items_resolved = serializers.IntegerField()
    agreements_signed = serializers.IntegerField()
    meetings_held = serializers.IntegerField()


class ChildFiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    level = serializers.CharField()
    level_label = serializers.CharField()
    is_active = serializers.BooleanField()
    items_open = serializers.IntegerField()
    items_overdue = serializers.IntegerField()
    agreements_performing = serializers.IntegerField()
    meetings_this_quarter = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    alliance = StatsAllianceSerializer()
    today = serializers.DateField()
    quarter = QuarterSerializer()
    alliances = AlliancesFiguresSerializer()
    units = UnitsFiguresSerializer()
    agreements = AgreementsFiguresSerializer()
    commitments = CommitmentsFiguresSerializer()
    meetings = MeetingsFiguresSerializer()
    items = ItemsFiguresSerializer()
    rating = RatingFiguresSerializer()
    top_units = TopUnitSerializer(many=True, help_text="The ten units with the most points.")
    trend = TrendMonthSerializer(many=True, help_text="The last 12 months, oldest first.")
    children = ChildFiguresSerializer(many=True, help_text="The node's direct children, for drilling down.")
