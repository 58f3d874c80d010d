"""Co-construction agreements (共建协议, 契约) and the three lists (三张清单).

The Shaoxing model (seeds/shaoxing-contract-co-construction.txt): a community and the units
around it list what they offer (资源清单) and what the community needs (需求清单), tie the two
together in projects (项目清单), and write what each party will give and do into an agreement
that goes through five stages (五约): 谈约 draft → 签约 signed → 亮约 published → 履约 performing
→ 评约 evaluated. Commitments (承诺事项) are carried out as items in `tasks/`.

Every row carries its alliance's path (TenantOwned), so `alliance_move` keeps it in step and
"everything under this street" is a prefix match. Rules live in `agreements.services`.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance.models import Alliance, TenantOwned
from members.models import MemberUnit
from tasks.models import Item


def _public_token() -> str:
    return secrets.token_urlsafe(18)


class ResourceCategory(models.TextChoices):
    VENUE = "venue", _("活动场地")
    FUNDS = "funds", _("公益资金")
    MEDICAL = "medical", _("医疗卫生")
    VOLUNTEERS = "volunteers", _("志愿服务")
    TRAINING = "training", _("教育培训")
    LEGAL = "legal", _("法律服务")
    OTHER = "other", _("其他")


# --- the three lists -----------------------------------------------------------------------

class Resource(TenantOwned):
    """资源清单: something a member unit offers to an alliance (a hall, funds, a clinic's time)."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="resources"
    )
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("提供单位"), on_delete=models.PROTECT, related_name="resources"
    )
    title = models.CharField(_("资源名称"), max_length=200)
    category = models.CharField(_("类别"), max_length=16, choices=ResourceCategory.choices)
    description = models.TextField(_("说明"), blank=True)
    # Free text on purpose: "200平方米会议室", "每年5万元", "每月第二个周六上午".
    quantity = models.CharField(_("数量或时间安排"), max_length=200, blank=True)
    available = models.BooleanField(_("可提供"), default=True)
    available_until = models.DateField(_("提供至"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("资源")
        verbose_name_plural = pgettext_lazy("plural", "资源清单")
        ordering = ["category", "title", "pk"]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["alliance", "category"], name="resource_alliance_category"),
        ]

    def __str__(self) -> str:
        return self.title


class NeedSource(models.TextChoices):
    RESIDENTS = "residents", _("居民提出")
    GRID = "grid", _("网格排查")
    MEETING = "meeting", _("会议议定")


class Priority(models.TextChoices):
    HIGH = "high", _("紧急")
    NORMAL = "normal", _("一般")
    LOW = "low", _("不急")


class NeedStatus(models.TextChoices):
    DRAFT = "draft", _("待发布")
    PUBLISHED = "published", _("待认领")
    CLAIMED = "claimed", _("已认领")
    CLOSED = "closed", _("已关闭")


class Need(TenantOwned):
    """需求清单: what a community needs. Published, it can be claimed (认领/抢单) by a unit in scope."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="needs"
    )
    title = models.CharField(_("需求"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    category = models.CharField(_("类别"), max_length=16, choices=ResourceCategory.choices)
    source = models.CharField(_("来源"), max_length=16, choices=NeedSource.choices, default=NeedSource.RESIDENTS)
    priority = models.CharField(_("优先级"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("状态"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.DRAFT)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_reason = models.TextField(_("关闭说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("需求")
        verbose_name_plural = pgettext_lazy("plural", "需求清单")
        ordering = ["-created_at", "-pk"]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["alliance", "status"], name="need_alliance_status"),
        ]

    def __str__(self) -> str:
        return self.title


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DECLINED = "declined", _("未采纳")
    WITHDRAWN = "withdrawn", _("已撤回")


class Claim(TenantOwned):
    """认领: a unit takes up a published need. At most one live claim per need: the first wins.

    A confirmed claim becomes a commitment of an agreement (`commitment`).
    """

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="claims")
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("认领单位"), on_delete=models.PROTECT, related_name="need_claims"
    )
    note = models.TextField(_("认领说明"), blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("认领人"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    declined_reason = models.TextField(_("未采纳理由"), blank=True)
    # PROTECT: a confirmed claim keeps its commitment (commitment_delete refuses it, with a message).
    commitment = models.OneToOneField(
        "Commitment", verbose_name=_("承诺事项"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="claim",
    )
    created_at = models.DateTimeField(_("认领时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("认领")
        verbose_name_plural = pgettext_lazy("plural", "认领")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The database decides a race: of two claims at the same moment, one insert fails.
            models.UniqueConstraint(
                fields=["need"], condition=Q(status__in=["pending", "confirmed"]), name="claim_one_live_per_need"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} → {self.need_id}"


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("筹备中")
    ONGOING = "ongoing", _("实施中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Project(TenantOwned):
    """项目清单: a co-construction project that ties needs to resources, led by one unit."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="projects"
    )
    title = models.CharField(_("项目名称"), max_length=200)
    description = models.TextField(_("项目内容"), blank=True)
    lead_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("牵头单位"), on_delete=models.PROTECT, related_name="led_projects"
    )
    budget = models.DecimalField(_("预算(元)"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(_("状态"), max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    starts_on = models.DateField(_("开始日期"), null=True, blank=True)
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    needs = models.ManyToManyField(Need, verbose_name=_("对应需求"), related_name="projects", blank=True)
    resources = models.ManyToManyField(Resource, verbose_name=_("使用资源"), related_name="projects", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("共建项目")
        verbose_name_plural = pgettext_lazy("plural", "项目清单")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="project_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(TenantOwned):
    """A milestone of a project (节点)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("节点"), max_length=200)
    due_on = models.DateField(_("计划完成"))
    done_on = models.DateField(_("实际完成"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("项目节点")
        verbose_name_plural = pgettext_lazy("plural", "项目节点")
        ordering = ["project", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title


# --- the agreement -------------------------------------------------------------------------

class Stage(models.TextChoices):
    DRAFT = "draft", _("谈约")
    SIGNED = "signed", _("签约")
    PUBLISHED = "published", _("亮约")
    PERFORMING = "performing", _("履约")
    EVALUATED = "evaluated", _("评约")
    TERMINATED = "terminated", _("已终止")
    SUPERSEDED = "superseded", _("已修订")
    # A draft given up before every party signed it (even partly signed): never in force.
    CANCELLED = "cancelled", _("已撤销")


# The five stages in order, for the stage bar.
FIVE_STAGES = (Stage.DRAFT, Stage.SIGNED, Stage.PUBLISHED, Stage.PERFORMING, Stage.EVALUATED)


class Agreement(TenantOwned):
    """共建协议: between the alliance's initiating organisation and one or more member units.

    Signed, its content is frozen and its SHA-256 recorded in `content_hash`; a later change is an
    amendment: a new version (`previous`) that goes through signing again and, once signed,
    supersedes this one. A draft (a first version or an amendment) can be cancelled (已撤销) with a
    reason; a cancelled amendment does not count as the open one, so another can be drafted.
    """

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="agreements"
    )
    title = models.CharField(_("协议名称"), max_length=200)
    preamble = models.TextField(_("协议说明"), blank=True)
    term_start = models.DateField(_("履约期起"))
    term_end = models.DateField(_("履约期止"))
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.DRAFT)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    # Several amendments may name the same version, but at most one that is not cancelled
    # (agreement_one_live_amendment).
    previous = models.ForeignKey(
        "self", verbose_name=_("上一版本"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="amendments",
    )
    content_hash = models.CharField(_("内容摘要(SHA-256)"), max_length=64, blank=True)
    public_token = models.CharField(max_length=32, unique=True, default=_public_token, editable=False)
    signed_at = models.DateTimeField(_("签约时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("亮约时间"), null=True, blank=True)
    performing_at = models.DateTimeField(_("开始履约"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("评约时间"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    termination_reason = models.TextField(_("终止理由"), blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancellation_reason = models.TextField(_("撤销理由"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("共建协议")
        verbose_name_plural = pgettext_lazy("plural", "共建协议")
        ordering = ["-created_at", "-pk"]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["alliance", "stage"], name="agreement_alliance_stage"),
            # The dashboard: a subtree's agreements index-only; the newest change of a tenant.
            models.Index(fields=["tenant", "alliance_path"], name="agreement_dashboard",
                         opclasses=["int8_ops", "varchar_pattern_ops"], include=["id", "stage", "signed_at"]),
            models.Index(fields=["tenant", "updated_at"], name="agreement_tenant_updated"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(term_end__gte=models.F("term_start")), name="agreement_term_order"),
            models.CheckConstraint(
                condition=Q(stage__in=["draft", "cancelled"]) | ~Q(content_hash=""), name="agreement_signed_has_hash"
            ),
            models.UniqueConstraint(
                fields=["previous"], condition=~Q(stage="cancelled"), name="agreement_one_live_amendment"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Party(TenantOwned):
    """A party to an agreement: the initiating organisation (no unit) or a member unit.

    Signing: the initiating organisation by a secretary of the alliance, a unit by its liaison.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    # Empty: the alliance's initiating organisation (发起党组织).
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("成员单位"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="agreement_parties",
    )
    # The name and credit code as they stood when the party was added, so the signed text (and
    # its hash) never changes when the unit's register entry does.
    name = models.CharField(_("签约方"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签署人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="signed_parties",
    )
    signer_name = models.CharField(_("签署人姓名"), max_length=60, blank=True)
    signed_at = models.DateTimeField(_("签署时间"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("签约方")
        verbose_name_plural = pgettext_lazy("plural", "签约方")
        ordering = ["agreement", "unit_id", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "unit"], name="party_unit_once_per_agreement"),
            models.UniqueConstraint(
                fields=["agreement"], condition=Q(unit__isnull=True), name="party_one_initiator_per_agreement"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Clause(TenantOwned):
    """One clause (条款) of an agreement, in order."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="clauses")
    position = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("条款内容"))

    class Meta(TenantOwned.Meta):
        verbose_name = _("条款")
        verbose_name_plural = pgettext_lazy("plural", "条款")
        ordering = ["agreement", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "position"], name="clause_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text[:40]}"


class Recurrence(models.TextChoices):
    ONCE = "once", _("一次性")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class Commitment(TenantOwned):
    """承诺事项: what one party promised, due once (`due_on`) or recurring (e.g. monthly on the 15th).

    While the agreement is performing, each due date becomes an item in `tasks/`
    (CommitmentItem), tracked and escalated like any other.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="commitments")
    party = models.ForeignKey(Party, verbose_name=_("承诺方"), on_delete=models.CASCADE, related_name="commitments")
    title = models.CharField(_("承诺事项"), max_length=200)
    description = models.TextField(_("具体内容"), blank=True)
    category = models.CharField(_("类别"), max_length=16, choices=ResourceCategory.choices,
                                default=ResourceCategory.OTHER)
    recurrence = models.CharField(_("周期"), max_length=16, choices=Recurrence.choices, default=Recurrence.ONCE)
    due_on = models.DateField(_("完成日期"), null=True, blank=True)
    day_of_month = models.PositiveSmallIntegerField(
        _("每期日期"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    # In an amendment, the commitment of the previous version this one was copied from: once the
    # amendment is signed, the open occurrences of that one carry over to this one.
    copied_from = models.ForeignKey(
        "self", verbose_name=_("修订前的承诺"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("承诺事项")
        verbose_name_plural = pgettext_lazy("plural", "承诺事项")
        ordering = ["agreement", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recurrence="once", due_on__isnull=False, day_of_month__isnull=True)
                           | (~Q(recurrence="once") & Q(day_of_month__gte=1, day_of_month__lte=28))),
                name="commitment_due_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CommitmentItem(TenantOwned):
    """One due date of a commitment, carried out as an item. Unique per date: generating twice
    creates nothing twice."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="occurrences")
    due_on = models.DateField(_("应完成日期"))
    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="commitment_occurrence")

    class Meta(TenantOwned.Meta):
        verbose_name = _("履约事项")
        verbose_name_plural = pgettext_lazy("plural", "履约事项")
        ordering = ["commitment", "due_on"]
        indexes = [  # the inherited name is too long for PostgreSQL's limit
            models.Index(fields=["alliance_path"], name="agreements_occurrence_apath",
                         opclasses=["varchar_pattern_ops"]),
            # The dashboard: a subtree's occurrences index-only; the newest of a tenant.
            models.Index(fields=["tenant", "alliance_path"], name="occurrence_dashboard",
                         opclasses=["int8_ops", "varchar_pattern_ops"], include=["id", "due_on", "item"]),
            models.Index(fields=["tenant", "id"], name="occurrence_tenant_id"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "due_on"], name="commitment_item_once_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id} {self.due_on}"


class Evidence(TenantOwned):
    """履约凭证: what a party reports as done for a commitment, text and an optional file."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="evidence")
    occurrence = models.ForeignKey(
        CommitmentItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="evidence"
    )
    text = models.TextField(_("履约情况"))
    file = models.FileField(_("附件"), upload_to="evidence/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报告人"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("报告时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("履约凭证")
        verbose_name_plural = pgettext_lazy("plural", "履约凭证")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:40]


class RaterKind(models.TextChoices):
    PARTY = "party", _("签约方")
    RESIDENT = "resident", _("居民")


class Evaluation(TenantOwned):
    """评约: a 1–5 rating of an agreement for one period (a year, or the term's end).

    A party rates once per period, through a user entitled to sign for it; residents rate on
    the public page, once per period per phone number.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="evaluations")
    period = models.PositiveSmallIntegerField(_("评价年度"))
    rater_kind = models.CharField(_("评价人类别"), max_length=16, choices=RaterKind.choices)
    party = models.ForeignKey(
        Party, verbose_name=_("评价方"), on_delete=models.CASCADE, null=True, blank=True, related_name="evaluations"
    )
    resident_name = models.CharField(_("居民姓名"), max_length=60, blank=True)
    resident_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    score = models.PositiveSmallIntegerField(_("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(_("评价意见"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("评约")
        verbose_name_plural = pgettext_lazy("plural", "评约")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="evaluation_score_1_to_5"),
            models.CheckConstraint(
                condition=Q(rater_kind="party", party__isnull=False) | Q(rater_kind="resident", party__isnull=True),
                name="evaluation_rater_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["agreement", "period", "party"], condition=Q(rater_kind="party"),
                name="evaluation_party_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["agreement", "period", "resident_phone"], condition=Q(rater_kind="resident"),
                name="evaluation_resident_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} {self.period}: {self.score}"


class PointReason(models.TextChoices):
    FULFILLED = "fulfilled", _("按期履约")
    FULFILLED_LATE = "fulfilled_late", _("逾期履约")
    RATED = "rated", _("评约得分")
    CLAIMED = "claimed", _("认领需求")


class PointEntry(TenantOwned):
    """积分: a ledger line of a unit's points in an alliance. One line per source (unique), so a
    sweep or a retry never counts the same fulfilment twice."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="point_entries"
    )
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("成员单位"), on_delete=models.PROTECT, related_name="point_entries"
    )
    points = models.IntegerField(_("积分"))
    reason = models.CharField(_("事由"), max_length=16, choices=PointReason.choices)
    # What earned it: "occurrence:<id>", "evaluation:<id>:<party id>" (a party's rating),
    # "residents:<agreement id>:<period>" (the residents' average, recomputed), "claim:<id>".
    source_key = models.CharField(max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("记分时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("积分记录")
        verbose_name_plural = pgettext_lazy("plural", "积分记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "source_key"], name="point_entry_once_per_source"),
        ]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["alliance", "unit"], name="point_alliance_unit"),
            # The dashboard: a subtree's points index-only; the newest of a tenant.
            models.Index(fields=["tenant", "alliance_path"], name="point_dashboard",
                         opclasses=["int8_ops", "varchar_pattern_ops"], include=["unit", "points"]),
            models.Index(fields=["tenant", "id"], name="point_tenant_id"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.points:+d} {self.reason}"
