from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from alliance.admin import ScopedAdmin
from alliance.roles import MANAGE_ROLES, MANAGE_TREE, Role
from alliance.selectors import alliance_list, user_scope

from .models import Membership, MemberUnit, RoleAssignment, User
from .selectors import member_unit_list
from .services import role_assign, role_assignment_validate, role_revoke


def manageable_users(editor, qs):
    """Accounts a district admin may edit: homed in its tenant, no superuser, and every role
    they hold lies in the editor's subtrees, district admin roles strictly below its own, so
    that nobody can take over a peer's or a superior's account."""
    scope = user_scope(editor)
    if scope.is_superuser:
        return qs
    roles_outside = RoleAssignment.objects.filter(user_id=OuterRef("pk")).exclude(
        scope.filter_q(MANAGE_ROLES, path_field="alliance_path"))
    admins_not_below = RoleAssignment.objects.filter(user_id=OuterRef("pk"), role=Role.DISTRICT_ADMIN).exclude(
        scope.strictly_below_q(MANAGE_TREE, path_field="alliance_path"))
    return qs.filter(tenant_id__in=sorted(scope.tenant_ids), is_superuser=False).exclude(
        Exists(roles_outside)).exclude(Exists(admins_not_below))


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts of the admin's own tenant; a district admin creates them for its district."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("name", "email", "phone", "tenant")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "name", "password1", "password2")}),)
    list_display = ("username", "name", "tenant", "is_active", "is_staff")
    list_filter = ("is_active",)
    search_fields = ("username", "name", "email", "phone")
    ordering = ("username",)

    _may_enter = ScopedAdmin._may_enter
    has_module_permission = ScopedAdmin.has_module_permission

    def get_queryset(self, request):
        return manageable_users(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return ("tenant", "is_staff", "is_superuser", "last_login", "date_joined")

    def _in_scope(self, request, obj) -> bool:
        return obj is None or manageable_users(request.user, User.objects.filter(pk=obj.pk)).exists()

    def has_view_permission(self, request, obj=None):
        return self._may_enter(request) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._may_enter(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        scope = user_scope(request.user)
        if not change and not scope.is_superuser and len(scope.tenant_ids) == 1:
            obj.tenant_id = next(iter(scope.tenant_ids))
        super().save_model(request, obj, form, change)


@admin.register(MemberUnit)
class MemberUnitAdmin(ScopedAdmin):
    """Read and search; units are created and changed through the pages, which apply the rules."""

    list_display = ("name", "category", "credit_code", "alliance", "party_member_count")
    list_filter = ("category", "party_org_form")
    search_fields = ("name", "credit_code")
    list_select_related = ("alliance",)
    readonly_fields = [f.name for f in MemberUnit._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ("unit", "alliance", "role", "joined_on", "left_on")
    list_filter = ("role",)
    search_fields = ("unit__name", "alliance__name")
    list_select_related = ("unit", "alliance")
    readonly_fields = [f.name for f in Membership._meta.fields]

    def has_change_permission(self, request, obj=None):
        return False


class RoleAssignmentForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ("user", "alliance", "role", "member_unit")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        if self.request is not None and cleaned.get("alliance") and cleaned.get("role"):
            try:
                role_assignment_validate(user=self.request.user, target=cleaned.get("user"),
                                         alliance=cleaned["alliance"], role=cleaned["role"],
                                         member_unit=cleaned.get("member_unit"))
            except PermissionDenied as exc:
                raise forms.ValidationError(str(exc)) from None
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdmin):
    """Roles are given here by the organisation department; guardian rows follow through the service."""

    list_display = ("user", "role", "alliance", "member_unit", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__name", "alliance__name")
    list_select_related = ("user", "alliance", "member_unit")
    autocomplete_fields = ("user", "alliance", "member_unit")
    fields = ("user", "alliance", "role", "member_unit")
    form = RoleAssignmentForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices, and the labels of ids passed in the URL, come from the scoped lists only.
        if db_field.name == "alliance":
            kwargs["queryset"] = alliance_list(user=request.user, perm=MANAGE_ROLES)
        elif db_field.name == "user":
            kwargs["queryset"] = manageable_users(request.user, User.objects.all())
        elif db_field.name == "member_unit":
            kwargs["queryset"] = member_unit_list(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)

        class RequestForm(form_class):
            def __init__(self, *args, **inner):
                super().__init__(*args, request=request, **inner)

        return RequestForm

    def has_add_permission(self, request):
        return self._may_enter(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def save_model(self, request, obj, form, change):
        assignment = role_assign(user=request.user, target=obj.user, alliance=obj.alliance, role=obj.role,
                                 member_unit=obj.member_unit)
        obj.pk = assignment.pk

    def delete_model(self, request, obj):
        role_revoke(user=request.user, assignment=obj)

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            role_revoke(user=request.user, assignment=assignment)
