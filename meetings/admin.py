"""Read-only views onto meetings, proposals and resolutions: they change through the services."""

from django.contrib import admin

from alliance.admin import ScopedAdmin

from .models import Meeting, Proposal, ProposalAttachment, Proxy, Resolution


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "alliance", "kind", "status", "starts_at")
    list_filter = ("status", "kind")
    search_fields = ("title",)
    list_select_related = ("alliance",)
    date_hierarchy = "starts_at"
    readonly_fields = [f.name for f in Meeting._meta.fields]


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "alliance", "raised_by_unit", "status", "meeting", "created_at")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("alliance", "raised_by_unit", "meeting")
    readonly_fields = [f.name for f in Proposal._meta.fields]


@admin.register(Resolution)
class ResolutionAdmin(ReadOnlyScopedAdmin):
    list_display = ("__str__", "alliance", "meeting", "adopted", "votes_for", "votes_against", "votes_abstain",
                    "published", "decided_at")
    list_filter = ("adopted", "published")
    search_fields = ("text",)
    list_select_related = ("alliance", "meeting")
    readonly_fields = [f.name for f in Resolution._meta.fields]


@admin.register(Proxy)
class ProxyAdmin(ReadOnlyScopedAdmin):
    list_display = ("meeting", "from_unit", "to_unit", "created_at")
    list_select_related = ("meeting", "from_unit", "to_unit")
    readonly_fields = [f.name for f in Proxy._meta.fields]


@admin.register(ProposalAttachment)
class ProposalAttachmentAdmin(ReadOnlyScopedAdmin):
    list_display = ("name", "proposal", "created_at")
    list_select_related = ("proposal",)
    search_fields = ("name",)
    # MEDIA is never served: the file is downloaded through the proposal page, not from here.
    exclude = ("file",)
    readonly_fields = [f.name for f in ProposalAttachment._meta.fields if f.name != "file"]
