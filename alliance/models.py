"""The alliance tree (党建共同体), its tenants, and the object permissions held on it."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from treebeard.mp_tree import MP_Node


class Tenant(models.Model):
    """A root of the tree: a district, or a city above its districts. No query crosses tenants."""

    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(_("代码"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("租户")
        verbose_name_plural = pgettext_lazy("plural", "租户")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    CITY = "city", _("市")
    DISTRICT = "district", _("区")
    STREET = "street", _("街道/镇")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


# Higher rank is lower in the administrative hierarchy.
LEVEL_RANK = {Level.CITY: 0, Level.DISTRICT: 1, Level.STREET: 2, Level.COMMUNITY: 3, Level.GRID: 4}


class Kind(models.TextChoices):
    REGIONAL = "regional", _("区域")
    INDUSTRY = "industry", _("行业")
    PROFESSIONAL = "professional", _("专业")


class Alliance(MP_Node):
    """One alliance, a node of the tree. Materialized path: descendants are a prefix match."""

    steplen = 4

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("租户"), on_delete=models.PROTECT, related_name="alliances"
    )
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, default=Kind.REGIONAL)
    code = models.CharField(
        _("行政区划代码"),
        max_length=32,
        help_text=_("在本租户内唯一,如 500104002001。"),
    )
    initiating_organisation = models.CharField(
        _("发起党组织"),
        max_length=100,
        blank=True,
        help_text=_("牵头并审定议题的党组织,如街道“大工委”、社区“大党委”。"),
    )
    description = models.TextField(_("简介"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    node_order_by: list[str] = []

    class Meta:
        verbose_name = _("党建共同体")
        verbose_name_plural = pgettext_lazy("plural", "党建共同体")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="alliance_code_unique_in_tenant"),
        ]
        indexes = [
            # LIKE 'prefix%' uses a btree index only with pattern ops (or the C collation).
            models.Index(fields=["path"], name="alliance_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["tenant", "level"], name="alliance_tenant_level"),
        ]
        permissions = [
            ("manage_alliance_tree", _("Create and move alliances below this one")),
            ("manage_membership", _("Manage member units and memberships")),
            ("view_all_units", _("See every member unit of the alliance")),
            ("manage_roles", _("Give roles to users")),
            ("handle_items", _("Handle, escalate and send back items")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level_rank(self) -> int:
        return LEVEL_RANK[Level(self.level)]


class TenantOwned(models.Model):
    """A row that belongs to one alliance; it carries the alliance's path for prefix scoping.

    `alliance_path` is kept in step by `alliance_move`, which rewrites every model that
    inherits from this class.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    alliance_path = models.CharField(max_length=255, editable=False)

    class Meta:
        abstract = True
        indexes = [
            models.Index(
                fields=["alliance_path"],
                name="%(app_label)s_%(class)s_apath",
                opclasses=["varchar_pattern_ops"],
            ),
        ]


class AllianceUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct foreign-key model: permissions are held on alliance rows only."""

    content_object = models.ForeignKey(Alliance, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class AllianceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Alliance, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
