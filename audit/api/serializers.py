from rest_framework import serializers

from ..selectors import audit_rows


class AuditEventListSerializer(serializers.ListSerializer):
    """A page of events is presented at once (the role events' names are one query per page)."""

    def to_representation(self, data):
        return [self.child.to_representation(row) for row in audit_rows(data)]


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class AuditEventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="事件的唯一标识(事件表:编号)")
    when = serializers.DateTimeField()
    action = serializers.CharField(help_text="insert / update / delete")
    kind = serializers.CharField()
    object_id = serializers.CharField()
    object = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    ip = serializers.CharField(allow_null=True)
    where = serializers.CharField(allow_null=True, help_text="请求的网址或后台任务名")
    task = serializers.CharField(allow_null=True)
    changes = ChangeSerializer(many=True)
    data = serializers.DictField(help_text="变更后的行(删除时为删除前的行)")
    diff = serializers.DictField(help_text="字段 → [变更前, 变更后]")

    class Meta:
        list_serializer_class = AuditEventListSerializer
