"""Users, member units (成员单位), their memberships in alliances, and the roles users hold."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from alliance.models import Alliance, TenantOwned
from alliance.roles import Role


class User(AbstractUser):
    """Chinese names are one field: no first/last name split."""

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    tenant = models.ForeignKey(
        "alliance.Tenant", verbose_name=_("所属租户"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="users", help_text=_("账号所属的区(市);平台运维账号为空。"),
    )

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = pgettext_lazy("plural", "用户")

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username


class Category(models.TextChoices):
    AGENCY = "agency", _("机关")
    PUBLIC_INSTITUTION = "public_institution", _("事业单位")
    STATE_ENTERPRISE = "state_enterprise", _("国有企业")
    PRIVATE_ENTERPRISE = "private_enterprise", _("非公企业")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    PROPERTY_MANAGEMENT = "property_management", _("物业企业")
    OWNERS_COMMITTEE = "owners_committee", _("业委会")
    SCHOOL = "school", _("学校")
    HOSPITAL = "hospital", _("医院")
    OTHER = "other", _("其他")


class PartyOrgForm(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")
    NONE = "none", _("未建立党组织")


class MemberUnit(TenantOwned):
    """An organisation that joins alliances. It is registered under one alliance (its home)."""

    alliance = models.ForeignKey(
        Alliance, verbose_name=_("所属共同体"), on_delete=models.PROTECT, related_name="registered_units"
    )
    name = models.CharField(_("单位名称"), max_length=120)
    category = models.CharField(_("单位类别"), max_length=32, choices=Category.choices)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    party_org_form = models.CharField(
        _("党组织形式"), max_length=16, choices=PartyOrgForm.choices, default=PartyOrgForm.NONE
    )
    party_member_count = models.PositiveIntegerField(_("党员人数"), default=0)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=60, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("成员单位")
        verbose_name_plural = pgettext_lazy("plural", "成员单位")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "credit_code"], name="unit_credit_code_unique_in_tenant"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipRole(models.TextChoices):
    MEMBER = "member", _("成员")
    COMMITTEE = "committee", _("兼职委员")
    CHAIR = "chair", _("轮值主席")


class Membership(TenantOwned):
    """A unit's membership in one alliance. A unit may belong to several alliances."""

    unit = models.ForeignKey(
        MemberUnit, verbose_name=_("成员单位"), on_delete=models.CASCADE, related_name="memberships"
    )
    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    representative = models.CharField(_("兼职委员/代表"), max_length=60, blank=True)
    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("退出日期"), null=True, blank=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("成员关系")
        verbose_name_plural = pgettext_lazy("plural", "成员关系")
        ordering = ["-joined_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "alliance"], condition=Q(left_on__isnull=True),
                name="membership_one_active_per_alliance",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} @ {self.alliance}"

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class RoleAssignment(TenantOwned):
    """A role given to a user on one alliance; it holds on the alliance's whole subtree.

    The guardian rows on the alliance are derived from these by `members.services`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    alliance = models.ForeignKey(
        Alliance, verbose_name=_("党建共同体"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    member_unit = models.ForeignKey(
        MemberUnit, verbose_name=_("联络的成员单位"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="liaisons",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("授予时间"), auto_now_add=True)

    class Meta(TenantOwned.Meta):
        verbose_name = _("角色授权")
        verbose_name_plural = pgettext_lazy("plural", "角色授权")
        constraints = [
            models.UniqueConstraint(fields=["user", "alliance", "role"], name="role_unique_per_alliance"),
            models.CheckConstraint(
                condition=Q(role=Role.LIAISON, member_unit__isnull=False)
                | (~Q(role=Role.LIAISON) & Q(member_unit__isnull=True)),
                name="role_liaison_has_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.alliance}"
