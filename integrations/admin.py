"""Browse the API clients of one's subtree, read-only: register, rotate and revoke on the pages (the
token is shown once there, and the rules live in integrations.services). The hash is never shown whole."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from alliance.admin import ScopedAdmin

from .models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(ScopedAdmin):
    list_display = ("name", "alliance", "token_prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "token_prefix")
    readonly_fields = ("name", "rate_limit_per_minute", "alliance", "scopes", "token_prefix", "hash_fingerprint", "user", "created_by",
                       "created_at", "rotated_at", "revoked_at", "last_used_at")
    fields = readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("令牌哈希(前8位)"))
    def hash_fingerprint(self, obj):
        return f"{obj.token_hash[:8]}…" if obj.token_hash else ""
