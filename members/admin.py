from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Membership, MemberUnit, RoleAssignment, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("name", "email", "phone")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "name", "password1", "password2")}),)
    list_display = ("username", "name", "email", "is_active", "is_staff")
    search_fields = ("username", "name", "email", "phone")
    ordering = ("username",)


@admin.register(MemberUnit)
class MemberUnitAdmin(admin.ModelAdmin):
    """Read and search; units are created and changed through the pages, which apply the rules."""

    list_display = ("name", "category", "credit_code", "alliance", "party_member_count")
    list_filter = ("category", "party_org_form", "tenant")
    search_fields = ("name", "credit_code")
    list_select_related = ("alliance",)
    raw_id_fields = ("alliance",)
    readonly_fields = [f.name for f in MemberUnit._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("unit", "alliance", "role", "joined_on", "left_on")
    list_filter = ("role", "tenant")
    search_fields = ("unit__name", "alliance__name")
    list_select_related = ("unit", "alliance")
    readonly_fields = [f.name for f in Membership._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Roles are given here by the organisation department; guardian rows follow through the service."""

    list_display = ("user", "role", "alliance", "member_unit", "created_at")
    list_filter = ("role", "tenant")
    search_fields = ("user__username", "user__name", "alliance__name")
    list_select_related = ("user", "alliance", "member_unit")
    raw_id_fields = ("user", "alliance", "member_unit")
    fields = ("user", "alliance", "role", "member_unit")

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from .services import role_assign

        assignment = role_assign(user=request.user, target=obj.user, alliance=obj.alliance, role=obj.role,
                                 member_unit=obj.member_unit)
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        from .services import role_revoke

        role_revoke(user=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        from .services import role_revoke

        for assignment in queryset:
            role_revoke(user=request.user, assignment=assignment)
