from django.contrib import admin

from .models import Alliance, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "created_at")
    search_fields = ("name", "code")


@admin.register(Alliance)
class AllianceAdmin(admin.ModelAdmin):
    """Browse the tree; create and move through the pages and API, where the rules are applied."""

    list_display = ("indented_name", "level", "kind", "code", "is_active")
    ordering = ("path",)
    list_filter = ("tenant", "level", "kind", "is_active")
    search_fields = ("name", "code")
    readonly_fields = ("tenant", "path", "depth", "numchild", "level", "kind", "code")
    fields = ("name", "initiating_organisation", "description", "is_active", *readonly_fields)

    def has_add_permission(self, request):
        return False

    @admin.display(description=Alliance._meta.get_field("name").verbose_name, ordering="path")
    def indented_name(self, obj):
        return "\u3000" * (obj.depth - 1) + obj.name
