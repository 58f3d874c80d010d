"""Django admin for the organisation department: every changelist is scoped like the pages."""

from django.contrib import admin

from .models import Alliance, Tenant
from .roles import MANAGE_TREE, VIEW
from .selectors import user_scope


class ScopedAdmin(admin.ModelAdmin):
    """Open to superusers and to district admins (组织部), each seeing only their own subtrees.

    Rows are filtered with the same subtree rule as every page; writes that have rules go
    through the services (see the subclasses), so the admin is a view onto them, not around them.
    """

    scope_path_field = "alliance_path"

    def _may_enter(self, request) -> bool:
        scope = user_scope(request.user)
        return scope.is_superuser or bool(scope.prefixes.get(MANAGE_TREE))

    def _in_scope(self, request, obj) -> bool:
        return obj is None or user_scope(request.user).allows(VIEW, getattr(obj, self.scope_path_field))

    def get_queryset(self, request):
        scope = user_scope(request.user)
        return super().get_queryset(request).filter(scope.filter_q(VIEW, path_field=self.scope_path_field))

    def has_module_permission(self, request):
        return self._may_enter(request)

    def has_view_permission(self, request, obj=None):
        return self._may_enter(request) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "created_at")
    search_fields = ("name", "code")


@admin.register(Alliance)
class AllianceAdmin(ScopedAdmin):
    """Browse the tree; create and move through the pages and API, where the rules are applied."""

    scope_path_field = "path"
    list_display = ("indented_name", "level", "kind", "code", "is_active")
    ordering = ("path",)
    list_filter = ("level", "kind", "is_active")
    search_fields = ("name", "code")
    readonly_fields = ("tenant", "path", "depth", "numchild", "level", "kind", "code")
    fields = ("name", "initiating_organisation", "description", "is_active", *readonly_fields)

    @admin.display(description=Alliance._meta.get_field("name").verbose_name, ordering="path")
    def indented_name(self, obj):
        return "\u3000" * (obj.depth - 1) + obj.name

    def save_model(self, request, obj, form, change):
        from .services import alliance_update

        alliance_update(user=request.user, alliance=Alliance.objects.get(pk=obj.pk),
                        **{f: form.cleaned_data[f] for f in form.changed_data})
