"""Read-only views onto agreements, the three lists and the points ledger: they change through
the services (the stages, signatures and content hash must not be edited around them)."""

from django.contrib import admin

from alliance.admin import ScopedAdmin

from .models import Agreement, Claim, Commitment, Need, Party, PointEntry, Project, Resource


class ReadOnlyScopedAdmin(ScopedAdmin):
    def has_change_permission(self, request, obj=None):
        return False


def _readonly(model) -> list[str]:
    return [f.name for f in model._meta.fields]


class PartyInline(admin.TabularInline):
    model = Party
    fields = ("name", "credit_code", "unit", "signer_name", "signed_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Agreement)
class AgreementAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "alliance", "version", "stage", "term_start", "term_end", "signed_at")
    list_filter = ("stage",)
    search_fields = ("title",)
    list_select_related = ("alliance",)
    date_hierarchy = "created_at"
    readonly_fields = _readonly(Agreement)
    inlines = [PartyInline]


@admin.register(Commitment)
class CommitmentAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "agreement", "party", "recurrence", "due_on", "day_of_month")
    list_filter = ("recurrence", "category")
    search_fields = ("title",)
    list_select_related = ("agreement", "party")
    readonly_fields = _readonly(Commitment)


@admin.register(Resource)
class ResourceAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "alliance", "unit", "category", "available", "available_until")
    list_filter = ("category", "available")
    search_fields = ("title",)
    list_select_related = ("alliance", "unit")
    readonly_fields = _readonly(Resource)


@admin.register(Need)
class NeedAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "alliance", "category", "priority", "status", "published_at")
    list_filter = ("status", "category", "priority")
    search_fields = ("title",)
    list_select_related = ("alliance",)
    readonly_fields = _readonly(Need)


@admin.register(Claim)
class ClaimAdmin(ReadOnlyScopedAdmin):
    list_display = ("need", "unit", "status", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("need__title", "unit__name")
    list_select_related = ("need", "unit")
    readonly_fields = _readonly(Claim)


@admin.register(Project)
class ProjectAdmin(ReadOnlyScopedAdmin):
    list_display = ("title", "alliance", "lead_unit", "status", "budget", "starts_on", "ends_on")
    list_filter = ("status",)
    search_fields = ("title",)
    list_select_related = ("alliance", "lead_unit")
    readonly_fields = _readonly(Project)


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyScopedAdmin):
    list_display = ("unit", "alliance", "points", "reason", "note", "created_at")
    list_filter = ("reason",)
    search_fields = ("unit__name", "note")
    list_select_related = ("unit", "alliance")
    readonly_fields = _readonly(PointEntry)
