"""In-service party members (在职党员) who report to the community where they live (报到), the
monthly report day, service posts (设岗定责), orders on residents' demands (党员接单), points
(积分制) and the volunteer time bank (时间银行).

Every row is TenantOwned with the path of the member's (or the post's) community, so the subtree
rule scopes it like any other row.
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance.models import Alliance, Tenant, TenantOwned
from members.models import MemberUnit
from tasks.models import Item


class PartyMember(TenantOwned):
    """An in-service party member; `community` is the community where they live and serve."""

    community = models.ForeignKey(
        Alliance, verbose_name=_("居住地社区"), on_delete=models.PROTECT, related_name="party_members"
    )
    name = models.CharField(_("姓名"), max_length=60)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    employer_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("工作单位"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="party_members",
    )
    employer_text = models.CharField(_("工作单位(非成员单位)"), max_length=120, blank=True)
    party_org = models.CharField(_("所在党组织"), max_length=120, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="party_member",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("在职党员")
        verbose_name_plural = pgettext_lazy("plural", "在职党员")
        ordering = ["name", "pk"]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["community", "name"], name="partymember_community_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def employer_name(self) -> str:
        return self.employer_unit.name if self.employer_unit_id else self.employer_text


class Report(TenantOwned):
    """报到: a member registers with a community. One active report per member."""

    member = models.ForeignKey(PartyMember, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="reports")
    community = models.ForeignKey(Alliance, verbose_name=_("报到社区"), on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("报到时间"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    self_service = models.BooleanField(_("本人报到"), default=False)
    ended_at = models.DateTimeField(_("转出时间"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("报到")
        verbose_name_plural = pgettext_lazy("plural", "报到")
        ordering = ["-reported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=Q(ended_at__isnull=True),
                                    name="party_report_one_active_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.community}"


class Attendance(TenantOwned):
    """Who came on the month's report day (每月15日). One row per member and month."""

    member = models.ForeignKey(PartyMember, on_delete=models.CASCADE, related_name="attendances")
    community = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("月份"), help_text=_("该月第一天。"))
    attended_on = models.DateField(_("到场日期"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("报到日签到")
        verbose_name_plural = pgettext_lazy("plural", "报到日签到")
        ordering = ["-month", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="party_attendance_once_a_month"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.month:%Y-%m}"


class PostKind(models.TextChoices):
    BUILDING = "building", _("楼栋志愿者")
    POLICY = "policy", _("政策宣讲员")
    MEDIATION = "mediation", _("矛盾调解员")
    ELDERLY = "elderly", _("关爱帮扶员")
    ENVIRONMENT = "environment", _("环境监督员")
    SAFETY = "safety", _("平安巡逻员")
    OTHER = "other", _("其他岗位")


class PostStatus(models.TextChoices):
    OPEN = "open", _("招募中")
    CLOSED = "closed", _("已关闭")


class ServicePost(TenantOwned):
    """设岗: a service post the community publishes, with a number of places."""

    community = models.ForeignKey(Alliance, verbose_name=_("社区"), on_delete=models.PROTECT,
                                  related_name="party_posts")
    title = models.CharField(_("岗位名称"), max_length=100)
    kind = models.CharField(_("岗位类别"), max_length=20, choices=PostKind.choices, default=PostKind.OTHER)
    places = models.PositiveSmallIntegerField(_("名额"))
    description = models.TextField(_("岗位职责"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=PostStatus.choices, default=PostStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("服务岗位")
        verbose_name_plural = pgettext_lazy("plural", "服务岗位")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(places__gte=1), name="party_post_places_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已退出")


# Claims that take a place.
HOLDING_STATUSES = (ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED)


class PostClaim(TenantOwned):
    """认岗: a member claims a post; the secretary confirms it and later the hours served."""

    post = models.ForeignKey(ServicePost, verbose_name=_("岗位"), on_delete=models.CASCADE, related_name="claims")
    member = models.ForeignKey(PartyMember, verbose_name=_("党员"), on_delete=models.CASCADE,
                               related_name="post_claims")
    status = models.CharField(_("状态"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.CLAIMED)
    hours_confirmed = models.DecimalField(_("已确认服务时长"), max_digits=7, decimal_places=1, default=0)
    claimed_at = models.DateTimeField(_("认岗时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("认岗")
        verbose_name_plural = pgettext_lazy("plural", "认岗")
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["post", "member"], condition=Q(status__in=["claimed", "confirmed"]),
                                    name="party_claim_one_holding_per_member"),
            models.CheckConstraint(condition=Q(hours_confirmed__gte=0), name="party_claim_hours_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.post}"


class OrderStatus(models.TextChoices):
    TAKEN = "taken", _("已接单")
    CONFIRMED = "confirmed", _("组织已确认")
    REPORTED = "reported", _("党员已反馈")
    RESOLVED = "resolved", _("已办结")
    CANCELLED = "cancelled", _("已取消")


class Order(TenantOwned):
    """党员接单: a reported member takes a resident's demand of their community; the community's
    staff confirm it and resolve the item through tasks.services (组织办单)."""

    item = models.ForeignKey(Item, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="party_orders")
    member = models.ForeignKey(PartyMember, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="orders")
    status = models.CharField(_("状态"), max_length=10, choices=OrderStatus.choices, default=OrderStatus.TAKEN)
    taken_at = models.DateTimeField(_("接单时间"), auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    report_note = models.TextField(_("党员反馈"), blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("党员接单")
        verbose_name_plural = pgettext_lazy("plural", "党员接单")
        ordering = ["-taken_at", "-pk"]
        constraints = [
            # One member works on a demand at a time; a cancelled order frees it.
            models.UniqueConstraint(fields=["item"], condition=~Q(status="cancelled"),
                                    name="party_order_one_active_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.item_id}"


class PointKind(models.TextChoices):
    REPORT = "report", _("报到")
    SERVICE_HOUR = "service_hour", _("服务时长(每小时)")
    ITEM_RESOLVED = "item_resolved", _("接单办结")
    ITEM_WELL_RATED = "item_well_rated", _("接单获好评")
    REVERSAL = "reversal", _("冲正")


# Points when the district has set no rule of its own.
DEFAULT_POINTS = {
    PointKind.REPORT: 5,
    PointKind.SERVICE_HOUR: 2,
    PointKind.ITEM_RESOLVED: 10,
    PointKind.ITEM_WELL_RATED: 5,
}


class PointRule(models.Model):
    """积分规则: how many points an event earns, set by the district's organisation department."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("事件"), max_length=20, choices=[
        (k.value, k.label) for k in PointKind if k != PointKind.REVERSAL])
    points = models.IntegerField(_("积分"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = pgettext_lazy("plural", "积分规则")
        constraints = [models.UniqueConstraint(fields=["tenant", "kind"], name="party_point_rule_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.points}"


class PointEntry(TenantOwned):
    """One line of a member's points ledger. Never edited: a mistake is reversed by a new entry."""

    member = models.ForeignKey(PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT,
                               related_name="point_entries")
    points = models.IntegerField(_("积分"))
    kind = models.CharField(_("类型"), max_length=20, choices=PointKind.choices)
    reason = models.CharField(_("事由"), max_length=200)
    # What earned it: ("report", id), ("attendance", id), ("claim", id), ("order", id).
    source_type = models.CharField(max_length=20, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    # At most one reversal per entry: a one-to-one is a unique column.
    reverses = models.OneToOneField("self", verbose_name=_("冲正的记录"), on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="reversed_by")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("积分记录")
        verbose_name_plural = pgettext_lazy("plural", "积分记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The same event earns once (an award is safe to run twice); hours are awarded per confirmation.
            models.UniqueConstraint(
                fields=["member", "kind", "source_type", "source_id"],
                condition=Q(reverses__isnull=True, source_id__isnull=False) & ~Q(kind="service_hour"),
                name="party_point_award_once",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="reversal"), name="party_point_reversal_kind",
            ),
        ]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["member", "created_at"], name="partypoint_member_time"),
        ]
        # Append-only in the database too (PostgreSQL; pgtrigger installs it on migrate): an entry's
        # points, reason and source never change. Only alliance_move's path rewrite may touch a row,
        # and deleting a whole tenant (the demo's --reset) stays possible.
        triggers = [
            pgtrigger.Protect(name="party_point_no_edit", operation=pgtrigger.Update,
                              condition=pgtrigger.AnyChange(exclude=["alliance_path"])),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.points:+d} {self.reason}"


class TimeBankEntry(TenantOwned):
    """时间银行: hours served are banked (+), redeemed for services (-); the balance stays >= 0."""

    member = models.ForeignKey(PartyMember, verbose_name=_("党员"), on_delete=models.PROTECT,
                               related_name="time_entries")
    hours = models.DecimalField(_("时长(小时)"), max_digits=7, decimal_places=1)
    reason = models.CharField(_("事由"), max_length=200)
    claim = models.ForeignKey(PostClaim, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("时间银行记录")
        verbose_name_plural = pgettext_lazy("plural", "时间银行记录")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=~Q(hours=0), name="party_timebank_nonzero")]
        triggers = [
            pgtrigger.Protect(name="party_timebank_no_edit", operation=pgtrigger.Update,
                              condition=pgtrigger.AnyChange(exclude=["alliance_path"])),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.hours:+} h"
