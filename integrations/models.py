"""Other government systems as API clients of one alliance subtree (#7).

A client acts through a service user of its own that holds a role on the client's alliance, so
the one subtree rule (`alliance.selectors.user_scope`) limits it like any person; its scopes
limit further which endpoints it may call. The token is shown once and stored only as a hash.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.models import Alliance, TenantOwned


class Scope(models.TextChoices):
    ITEMS_READ = "items:read", _("读取事项")
    ITEMS_WRITE = "items:write", _("推送和办理事项")
    STATS_READ = "stats:read", _("读取统计数据")
    AGREEMENTS_READ = "agreements:read", _("读取共建协议")
    MEETINGS_READ = "meetings:read", _("读取会议和决议")
    ALLIANCES_READ = "alliances:read", _("读取共同体和成员单位")


class ApiClient(TenantOwned):
    """A registered outside system: the 12345 hotline, a grid system, the city data platform."""

    name = models.CharField(_("名称"), max_length=100)
    alliance = models.ForeignKey(
        Alliance, verbose_name=_("所属共同体"), on_delete=models.PROTECT, related_name="api_clients"
    )
    # The service user the client acts as (no password, never logs in through a page).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client", editable=False
    )
    scopes = models.JSONField(_("权限范围"), default=list)
    # The token is "<prefix>.<secret>"; the prefix finds the row, the hash proves the secret.
    token_prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=128, editable=False)
    rate_limit_per_minute = models.PositiveIntegerField(_("每分钟请求上限"), default=600)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta(TenantOwned.Meta):
        verbose_name = _("对接系统")
        verbose_name_plural = _("对接系统")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_labels(self) -> list[str]:
        return [str(Scope(s).label) if s in Scope.values else s for s in self.scopes]


class IdempotencyRecord(models.Model):
    """The first answer to a POST that carried an Idempotency-Key, kept for a day.

    The row is inserted in the same transaction as the work it guards: a second request with the
    same key waits on the unique index until the first commits, then replays its answer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # method, path and a hash of the parsed body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等请求记录")
        verbose_name_plural = _("幂等请求记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
