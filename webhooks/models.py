"""Webhooks (#7): an API client subscribes a URL to events; each event becomes one delivery per
subscription, signed with the subscription's secret and retried with back-off.

Both rows carry the client's tenant and alliance path (TenantOwned), so the subtree rule scopes
them with a prefix match and `alliance_move` keeps them in step with the client's alliance.
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.models import TenantOwned
from integrations.models import ApiClient, Scope


class EventKind(models.TextChoices):
    ITEM_CREATED = "item.created", _("事项登记")
    ITEM_ESCALATED = "item.escalated", _("事项上报")
    ITEM_RESOLVED = "item.resolved", _("事项办结")
    ITEM_RATED = "item.rated", _("事项评价")
    AGREEMENT_SIGNED = "agreement.signed", _("协议签署生效")
    AGREEMENT_PUBLISHED = "agreement.published", _("协议亮约")
    RESOLUTION_PUBLISHED = "resolution.published", _("决议公开")


# The read scope a client needs to receive an event: it would need it to read the object anyway.
EVENT_SCOPE = {
    "item": Scope.ITEMS_READ,
    "agreement": Scope.AGREEMENTS_READ,
    "resolution": Scope.MEETINGS_READ,
}


def scope_for(kind: str) -> str:
    return EVENT_SCOPE[kind.split(".", 1)[0]]


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookSubscription(TenantOwned):
    """A URL of a client that receives the events it subscribed to, within the client's subtree."""

    client = models.ForeignKey(
        ApiClient, verbose_name=_("对接系统"), on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(_("接收地址"), max_length=500)
    events = models.JSONField(_("订阅事件"), default=list)
    # Kept in clear: every delivery is signed with it. Shown once when the subscription is made.
    secret = models.CharField(max_length=80, default=_new_secret, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True, editable=False)
    pause_reason = models.CharField(_("暂停原因"), max_length=200, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0, editable=False)
    created_by = models.ForeignKey(
        "members.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("事件订阅")
        verbose_name_plural = _("事件订阅")
        ordering = ["created_at", "pk"]
        # TenantOwned's index with a shorter name (the generated one is over 30 characters).
        indexes = [
            models.Index(fields=["alliance_path"], name="webhooks_sub_apath", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def is_delivering(self) -> bool:
        return self.is_active and self.paused_at is None


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SUCCEEDED = "succeeded", _("成功")
    FAILED = "failed", _("失败")


class WebhookDelivery(TenantOwned):
    """One event sent (or to be sent) to one subscription, with what happened on the last attempt."""

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("订阅"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_kind = models.CharField(_("事件"), max_length=40, choices=EventKind.choices)
    event_id = models.UUIDField(_("事件编号"))
    payload = models.JSONField(_("事件内容"), default=dict)
    status = models.CharField(_("状态"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(_("下次发送"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at", "-pk"]
        indexes = [
            *TenantOwned.Meta.indexes,
            # The admin's list: one subscription's deliveries, newest first, by status.
            models.Index(fields=["subscription", "status", "-created_at"], name="webhooks_delivery_list"),
            # The beat's look for pending deliveries whose message was lost.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"), name="webhooks_delivery_due"),
        ]
        constraints = [
            # One delivery of an event to a subscription: an emit run twice does not send twice.
            models.UniqueConstraint(fields=["subscription", "event_id"], name="webhooks_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_kind} → {self.subscription_id}"
