"""Items (事项): the work an alliance has to handle, its deadlines, escalation and ratings."""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance.models import Alliance, Level, Tenant, TenantOwned
from members.models import MemberUnit


class Category(models.TextChoices):
    ENVIRONMENT = "environment", _("环境卫生")
    PROPERTY = "property", _("物业管理")
    FACILITIES = "facilities", _("市政设施")
    DISPUTE = "dispute", _("邻里纠纷")
    LIVELIHOOD = "livelihood", _("民生服务")
    SAFETY = "safety", _("治安消防")
    ELDERLY = "elderly", _("为老服务")
    OTHER = "other", _("其他")


class ItemSource(models.TextChoices):
    DEMAND = "demand", _("群众点单")
    MEETING = "meeting", _("会议决议")
    COMMITMENT = "commitment", _("协议承诺")
    GRID = "grid", _("网格上报")
    API = "api", _("外部系统")


class Status(models.TextChoices):
    NEW = "new", _("待接单")
    ACCEPTED = "accepted", _("已接单")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("已办结")
    CLOSED = "closed", _("已关闭")
    REJECTED = "rejected", _("已驳回")


# An item is open, and so can become overdue and be escalated, in these states.
OPEN_STATUSES = (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS)


def _follow_token() -> str:
    return secrets.token_urlsafe(24)


class Item(TenantOwned):
    """One unit of work. `alliance` (with the inherited `alliance_path`) is who handles it now."""

    # Set right after the insert from the primary key: "<tenant code>-<year>-<pk>".
    reference = models.CharField(_("编号"), max_length=32, unique=True, null=True, editable=False)  # noqa: DJ001 - NULL until the pk is known
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices, default=Category.OTHER)
    source = models.CharField(_("来源"), max_length=20, choices=ItemSource.choices)
    origin = models.ForeignKey(
        Alliance, verbose_name=_("提出地"), on_delete=models.PROTECT, related_name="raised_items"
    )
    # The origin's path: the alliance that raised an item keeps seeing it after it goes up.
    origin_path = models.CharField(max_length=255, editable=False)
    alliance = models.ForeignKey(
        Alliance, verbose_name=_("当前办理"), on_delete=models.PROTECT, related_name="handled_items"
    )
    assignee_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("承办单位"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="assigned_items",
    )
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承办人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="assigned_items",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.NEW)
    due_at = models.DateTimeField(_("办理期限"))
    # Set when the item passed its deadline at the root: it has nowhere left to go.
    overdue_at_root = models.BooleanField(_("区级超期"), default=False)
    escalations = models.PositiveSmallIntegerField(_("上报次数"), default=0)
    # Residents (群众点单) are not users: their contact details and a secret link to follow.
    requester_name = models.CharField(_("提出人"), max_length=60, blank=True)
    requester_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    follow_token = models.CharField(max_length=40, unique=True, default=_follow_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, editable=False)  # noqa: DJ001 - unique when set
    rejected_reason = models.TextField(_("驳回理由"), blank=True)
    resolution_note = models.TextField(_("办理结果"), blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("事项")
        verbose_name_plural = pgettext_lazy("plural", "事项")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                name="item_idempotency_key_unique_per_caller",
            ),
        ]
        indexes = [
            *TenantOwned.Meta.indexes,
            # The sweep's scan: open items past their deadline that still have somewhere to go.
            models.Index(
                fields=["due_at"], name="item_sweep",
                condition=Q(status__in=["new", "accepted", "in_progress"], overdue_at_root=False),
            ),
            models.Index(fields=["alliance", "status"], name="item_alliance_status"),
            models.Index(fields=["origin_path"], name="item_origin_path", opclasses=["varchar_pattern_ops"]),
            # The dashboard: one index-only pass over a subtree's items; the newest change of a tenant.
            models.Index(fields=["tenant", "alliance_path"], name="item_dashboard",
                         opclasses=["int8_ops", "varchar_pattern_ops"],
                         include=["id", "status", "due_at", "escalations", "created_at", "resolved_at", "alliance"]),
            models.Index(fields=["tenant", "updated_at"], name="item_tenant_updated"),
            # The dashboard's commitment occurrences: an item's status by its id, index-only.
            models.Index(fields=["id"], name="item_id_status", include=["status"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    CREATED = "created", _("提出")
    ASSIGNED = "assigned", _("指派")
    ACCEPTED = "accepted", _("接单")
    STARTED = "started", _("开始办理")
    RESOLVED = "resolved", _("办结")
    CONFIRMED = "confirmed", _("确认办结")
    REOPENED = "reopened", _("退回重办")
    REJECTED = "rejected", _("驳回")
    ESCALATED = "escalated", _("逐级上报")
    OVERDUE = "overdue", _("区级超期")
    SENT_BACK = "sent_back", _("发回下级")
    RATED = "rated", _("评价")
    APPEALED = "appealed", _("申诉")
    APPEAL_DECIDED = "appeal_decided", _("申诉裁定")
    CLOSED = "closed", _("关闭")
    NOTE = "note", _("备注")


class ItemEvent(models.Model):
    """Every change of an item: who, when, from, to, why. The timeline of the item page."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(_("操作人"), max_length=80, blank=True)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    from_alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # For escalations: the deadline that was missed. One escalation per item and deadline.
    deadline = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("事项记录")
        verbose_name_plural = pgettext_lazy("plural", "事项记录")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "deadline"], condition=Q(kind="escalated"),
                name="item_escalated_once_per_deadline",
            ),
        ]
        indexes = [models.Index(fields=["item", "created_at"], name="itemevent_item_time")]

    def __str__(self) -> str:
        return f"{self.item_id} {self.kind}"


class SlaPolicy(models.Model):
    """Working days allowed to handle an item of a category at a level. Blank category: default."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sla_policies")
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices, blank=True)
    working_days = models.PositiveSmallIntegerField(
        _("办理时限(工作日)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )

    class Meta:
        verbose_name = _("办理时限")
        verbose_name_plural = pgettext_lazy("plural", "办理时限")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "level", "category"], name="sla_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.get_category_display() or '*'}: {self.working_days}"


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a public holiday on a weekday, or a make-up workday (调休)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="calendar_days")
    date = models.DateField(_("日期"))
    is_workday = models.BooleanField(_("是否上班"), help_text=_("勾选表示调休上班日;不勾选表示节假日。"))
    name = models.CharField(_("名称"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("节假日与调休")
        verbose_name_plural = pgettext_lazy("plural", "节假日与调休")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["tenant", "date"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class RatingStatus(models.TextChoices):
    VALID = "valid", _("有效")
    APPEALED = "appealed", _("申诉中")
    UPHELD = "upheld", _("维持")
    VOIDED = "voided", _("撤销")


class Rating(models.Model):
    """一事一评、以下评上: the origin rates the level that handled the item, once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(_("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("评价"), blank=True)
    rated_alliance = models.ForeignKey(
        Alliance, verbose_name=_("被评价的办理层级"), on_delete=models.PROTECT, related_name="+"
    )
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    by_resident = models.BooleanField(default=False)
    status = models.CharField(_("状态"), max_length=16, choices=RatingStatus.choices, default=RatingStatus.VALID)
    appeal_reason = models.TextField(_("申诉理由"), blank=True)
    decision_reason = models.TextField(_("裁定理由"), blank=True)
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = pgettext_lazy("plural", "评价")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]
        indexes = [models.Index(fields=["tenant", "id"], name="rating_tenant_id")]  # the dashboard's fingerprint

    def __str__(self) -> str:
        return f"{self.item_id}: {self.score}"


class Notification(models.Model):
    """An in-app message to one user (also sent by e-mail when the user has an address)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = pgettext_lazy("plural", "通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.title
