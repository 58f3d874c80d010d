"""Alliance meetings (共同体会议): proposals (议题), votes, resolutions (决议) and their action items.

How an alliance decides (seeds/chongqing-dadukou-alliances.txt): a matter is raised by the
initiating organisation or a member, reviewed (审定) by the initiating organisation, discussed
at the meeting and decided collectively, one unit one vote; what is decided is carried out by
the members as items in `tasks/`, reported back at the next meeting (通报) and published (公开).
Every row here carries its alliance's path (TenantOwned), so `alliance_move` keeps it in step.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance.models import Alliance, TenantOwned
from members.models import MemberUnit
from tasks.models import Item


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("例会")
    SPECIAL = "special", _("专题会议")
    JOINT = "joint", _("联席会议")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("待召开")
    IN_SESSION = "in_session", _("进行中")
    CLOSED = "closed", _("已结束")


class Meeting(TenantOwned):
    """One meeting of an alliance; a joint meeting (联席) also brings in other alliances' units."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(_("会议类型"), max_length=16, choices=MeetingKind.choices, default=MeetingKind.REGULAR)
    title = models.CharField(_("会议名称"), max_length=200)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    convener = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("召集人"), on_delete=models.PROTECT, related_name="convened_meetings"
    )
    agenda = models.TextField(_("议程"), blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    invited_units = models.ManyToManyField(
        MemberUnit, verbose_name=_("受邀成员单位"), through="Invitation", related_name="meetings_invited_to",
        blank=True,
    )
    joint_alliances = models.ManyToManyField(
        Alliance, verbose_name=_("联席共同体"), related_name="joint_meetings", blank=True,
        help_text=_("联席会议中,除召集共同体外参加的其他共同体。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("开会时间"), null=True, blank=True)
    # 应到单位: the active member units of the alliance (and of the joint alliances), counted when
    # the meeting opens so that the base of the quorum cannot move during it; empty while planned.
    # Not the invited units: a secretary who invites only friendly units does not lower the bar.
    member_count = models.PositiveIntegerField(_("应到单位"), null=True, blank=True)
    closed_at = models.DateTimeField(_("散会时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("共同体会议")
        verbose_name_plural = pgettext_lazy("plural", "共同体会议")
        ordering = ["-starts_at", "-pk"]
        indexes = [
            *TenantOwned.Meta.indexes,
            models.Index(fields=["alliance", "starts_at"], name="meeting_alliance_starts"),
            # The dashboard: a subtree's meetings index-only; the newest change of a tenant.
            models.Index(fields=["tenant", "alliance_path"], name="meeting_dashboard",
                         opclasses=["int8_ops", "varchar_pattern_ops"], include=["id", "status", "opened_at"]),
            models.Index(fields=["tenant", "updated_at"], name="meeting_tenant_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="meeting_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeetingRules(models.Model):
    """An alliance's own meeting rules (议事规则); without a row the defaults below hold.

    Quorum: more than quorum_numerator/quorum_denominator of the member units (Meeting.member_count)
    present.
    Ordinary matters pass with more than half of the units present voting for; major matters
    (重大事项) with at least major_numerator/major_denominator of them.
    """

    alliance = models.OneToOneField(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.CASCADE, related_name="meeting_rules"
    )
    quorum_numerator = models.PositiveSmallIntegerField(_("法定人数(分子)"), default=1)
    quorum_denominator = models.PositiveSmallIntegerField(_("法定人数(分母)"), default=2)
    major_numerator = models.PositiveSmallIntegerField(_("重大事项通过比例(分子)"), default=2)
    major_denominator = models.PositiveSmallIntegerField(_("重大事项通过比例(分母)"), default=3)
    max_proxies_per_unit = models.PositiveSmallIntegerField(_("每个单位最多受托票数"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("议事规则")
        verbose_name_plural = pgettext_lazy("plural", "议事规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_numerator__lt=models.F("quorum_denominator"), quorum_numerator__gt=0),
                name="rules_quorum_fraction",
            ),
            models.CheckConstraint(
                condition=Q(major_numerator__lte=models.F("major_denominator"), major_numerator__gt=0),
                name="rules_major_fraction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alliance_id}: {self.quorum_numerator}/{self.quorum_denominator}"


class Invitation(TenantOwned):
    """A member unit invited to a meeting: asked to come, and so entitled to vote there. The base of
    the quorum is every member unit (Meeting.member_count), invited or not."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("成员单位"), on_delete=models.PROTECT, related_name="meeting_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("邀请时间"), auto_now_add=True)
    # Set by the e-mail tasks once sent, so that running them twice sends nothing twice.
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("会议邀请")
        verbose_name_plural = pgettext_lazy("plural", "会议邀请")
        ordering = ["meeting", "unit__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "unit"], name="invitation_unit_once_per_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} @ {self.meeting_id}"


class Attendance(TenantOwned):
    """Whether an invited unit is present at a meeting (签到). Only present units vote."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendances")
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("成员单位"), on_delete=models.PROTECT, related_name="meeting_attendances"
    )
    present = models.BooleanField(_("出席"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("出席情况")
        verbose_name_plural = pgettext_lazy("plural", "出席情况")
        ordering = ["meeting", "unit__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "unit"], name="attendance_unit_once_per_meeting"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} @ {self.meeting_id}: {self.present}"


class Proxy(TenantOwned):
    """委托表决: for one meeting, a unit hands its vote to another invited unit. Recorded, visible."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="proxies")
    from_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("委托单位"), on_delete=models.PROTECT, related_name="proxies_given"
    )
    to_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("受托单位"), on_delete=models.PROTECT, related_name="proxies_held"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("委托时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("委托表决")
        verbose_name_plural = pgettext_lazy("plural", "委托表决")
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "from_unit"], name="proxy_once_per_unit_and_meeting"),
            models.CheckConstraint(condition=~Q(from_unit=models.F("to_unit")), name="proxy_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_unit_id} → {self.to_unit_id} @ {self.meeting_id}"


class ProposalAttachment(TenantOwned):
    """A file attached to a proposal (材料)."""

    proposal = models.ForeignKey("Proposal", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("附件"), upload_to="proposals/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("议题附件")
        verbose_name_plural = pgettext_lazy("plural", "议题附件")
        ordering = ["proposal", "pk"]
        indexes = [  # the inherited name is too long for PostgreSQL's limit
            models.Index(fields=["alliance_path"], name="meetings_attachment_apath",
                         opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class ProposalStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审定")
    APPROVED = "approved", _("已审定")
    RETURNED = "returned", _("已退回")
    SCHEDULED = "scheduled", _("已列入议程")
    DECIDED = "decided", _("已表决")
    MERGED = "merged", _("已合并")


class Proposal(TenantOwned):
    """议题: raised by the initiating organisation (no unit) or by a member unit's liaison."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="proposals"
    )
    title = models.CharField(_("议题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    raised_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="raised_proposals"
    )
    # Empty: raised by the initiating organisation (发起党组织) itself.
    raised_by_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("提出单位"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="raised_proposals",
    )
    source_item = models.ForeignKey(
        Item, verbose_name=_("来源事项"), on_delete=models.PROTECT, null=True, blank=True, related_name="proposals"
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.SUBMITTED
    )
    # A major matter (重大事项) needs the alliance's higher threshold (two thirds by default).
    major = models.BooleanField(_("重大事项"), default=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("合并到"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="merged_proposals",
    )
    returned_reason = models.TextField(_("退回理由"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审定时间"), null=True, blank=True)
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("列入会议"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="proposals",
    )
    decided_at = models.DateTimeField(_("表决时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("议题")
        verbose_name_plural = pgettext_lazy("plural", "议题")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=True, status__in=["submitted", "approved", "returned", "merged"])
                | Q(meeting__isnull=False, status__in=["scheduled", "decided"]),
                name="proposal_meeting_iff_scheduled",
            ),
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False) | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="proposal_merged_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class VoteChoice(models.TextChoices):
    FOR = "for", _("赞成")
    AGAINST = "against", _("反对")
    ABSTAIN = "abstain", _("弃权")


class Vote(TenantOwned):
    """One unit, one vote on a proposal: every unit equal whatever its rank or size.

    A vote cast on a proposal left undecided when its meeting closed is kept but voided
    (voided_at): it counts nowhere, and the unit votes afresh when the proposal comes to a later
    meeting. Only one vote per unit and proposal is ever live.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("成员单位"), on_delete=models.PROTECT, related_name="meeting_votes"
    )
    choice = models.CharField(_("表决意见"), max_length=8, choices=VoteChoice.choices)
    # Set when the vote was cast by another unit holding this unit's proxy for the meeting.
    proxy_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("代为表决单位"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="proxy_votes",
    )
    cast_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("投票人"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("投票时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("表决票")
        verbose_name_plural = pgettext_lazy("plural", "表决票")
        ordering = ["proposal", "unit__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "unit"], condition=Q(voided_at__isnull=True),
                                    name="vote_one_per_unit_and_proposal"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.choice} {self.proposal_id}"


class PublishScope(models.TextChoices):
    PARTY_MEMBERS = "party_members", _("仅党员")
    EVERYONE = "everyone", _("全体居民")


class Resolution(TenantOwned):
    """决议: the outcome of a decided proposal, with the tally it was decided by.

    A proposal voted down still gets a row (adopted = False), so the record of the vote is kept;
    only adopted resolutions carry action items and are published.
    """

    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="resolution")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="resolutions")
    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="resolutions"
    )
    text = models.TextField(_("决议内容"))
    adopted = models.BooleanField(_("通过"))
    # The counts the vote was decided by: the meeting's member units (its quorum base) and those present.
    member_count = models.PositiveIntegerField(_("应到单位"))
    present_count = models.PositiveIntegerField(_("实到单位"))
    votes_for = models.PositiveIntegerField(_("赞成"))
    votes_against = models.PositiveIntegerField(_("反对"))
    votes_abstain = models.PositiveIntegerField(_("弃权"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("表决时间"))
    published = models.BooleanField(_("已公开"), default=False)
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    publish_scope = models.CharField(
        _("公开范围"), max_length=16, choices=PublishScope.choices, default=PublishScope.EVERYONE
    )

    class Meta(TenantOwned.Meta):
        verbose_name = _("决议")
        verbose_name_plural = pgettext_lazy("plural", "决议")
        ordering = ["-decided_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(published=False) | Q(published_at__isnull=False, adopted=True),
                name="resolution_published_when_adopted",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class ActionItem(TenantOwned):
    """Links a resolution to the item in `tasks/` that carries one of its actions out.

    The item is tracked, escalated and rated like any other; this row is the way back from the
    item to the resolution, the proposal and the meeting. An action is assigned to a member unit
    or to a secretary or staff member of the alliance (发起党组织的工作人员), never both.
    """

    resolution = models.ForeignKey(Resolution, on_delete=models.PROTECT, related_name="action_items")
    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="meeting_action")
    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("承办单位"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="meeting_actions",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承办人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="meeting_actions",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("决议事项")
        verbose_name_plural = pgettext_lazy("plural", "决议事项")
        ordering = ["resolution", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, user__isnull=True) | Q(unit__isnull=True, user__isnull=False),
                name="action_item_unit_or_user",
            ),
        ]

    @property
    def assignee_name(self) -> str:
        """The unit's name, or the staff member's (for pages, the minutes and the API)."""
        if self.unit_id is not None:
            return self.unit.name
        return self.user.get_full_name() or self.user.username

    def __str__(self) -> str:
        return f"{self.resolution_id} → {self.item_id}"
