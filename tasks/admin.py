"""The district admin keeps the deadlines per category and level and the holiday calendar here."""

from django.contrib import admin

from alliance.admin import ScopedAdmin
from alliance.models import Alliance
from alliance.roles import MANAGE_TREE
from alliance.selectors import user_scope

from .models import CalendarDay, Item, SlaPolicy


class TenantSettingAdmin(ScopedAdmin):
    """Rows that belong to a whole tenant: its district admins (at the root) may change them."""

    def get_queryset(self, request):
        scope = user_scope(request.user)
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs if scope.is_superuser else qs.filter(tenant_id__in=sorted(self._root_tenants(request)))

    def _root_tenants(self, request) -> set[int]:
        """Only an admin whose role sits on a tenant's root sets that tenant's rules."""
        roots = [p for p in user_scope(request.user).prefixes.get(MANAGE_TREE, ()) if len(p) == Alliance.steplen]
        if not roots:
            return set()
        return set(Alliance.objects.filter(depth=1, path__in=roots).values_list("tenant_id", flat=True))

    def _in_scope(self, request, obj) -> bool:
        return obj is None or user_scope(request.user).is_superuser or obj.tenant_id in self._root_tenants(request)

    def has_add_permission(self, request):
        return self._may_enter(request) and (request.user.is_superuser or bool(self._root_tenants(request)))

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_exclude(self, request, obj=None):
        return () if request.user.is_superuser else ("tenant",)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            tenants = self._root_tenants(request)
            if obj.tenant_id not in tenants:
                obj.tenant_id = next(iter(sorted(tenants)))
        super().save_model(request, obj, form, change)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(TenantSettingAdmin):
    list_display = ("level", "category", "working_days")
    list_filter = ("level",)
    list_editable = ("working_days",)


@admin.register(CalendarDay)
class CalendarDayAdmin(TenantSettingAdmin):
    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


# The follow token is the resident's key, the phone the resident's own: neither is shown here.
ITEM_HIDDEN_FIELDS = ("follow_token", "requester_phone", "idempotency_key")


@admin.register(Item)
class ItemAdmin(ScopedAdmin):
    """Read-only: items change through their pages and the API, where the workflow is enforced."""

    list_display = ("reference", "title", "status", "alliance", "due_at", "escalations")
    list_filter = ("status", "category", "source")
    search_fields = ("reference", "title")
    list_select_related = ("alliance",)
    exclude = ITEM_HIDDEN_FIELDS
    readonly_fields = [f.name for f in Item._meta.fields if f.name not in ITEM_HIDDEN_FIELDS]

    def has_change_permission(self, request, obj=None):
        return False
