"""Roles are given on one alliance node and hold on its whole subtree.

Each role is a set of guardian object permissions on that alliance row; the scoping
function in `alliance.selectors` reads those rows and nothing else.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("组织部管理员")
    SECRETARY = "secretary", _("书记")
    STAFF = "staff", _("工作人员")
    LIAISON = "liaison", _("成员单位联络员")
    OBSERVER = "observer", _("观察员")


VIEW = "view_alliance"
CHANGE = "change_alliance"
MANAGE_TREE = "manage_alliance_tree"
MANAGE_MEMBERSHIP = "manage_membership"
VIEW_ALL_UNITS = "view_all_units"
MANAGE_ROLES = "manage_roles"
HANDLE_ITEMS = "handle_items"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset(
        {VIEW, CHANGE, MANAGE_TREE, MANAGE_MEMBERSHIP, VIEW_ALL_UNITS, MANAGE_ROLES, HANDLE_ITEMS}
    ),
    Role.SECRETARY: frozenset({VIEW, CHANGE, MANAGE_MEMBERSHIP, VIEW_ALL_UNITS, MANAGE_ROLES, HANDLE_ITEMS}),
    Role.STAFF: frozenset({VIEW, MANAGE_MEMBERSHIP, VIEW_ALL_UNITS, HANDLE_ITEMS}),
    # A liaison sees the alliance, but of its units only its own (members.selectors).
    Role.LIAISON: frozenset({VIEW}),
    Role.OBSERVER: frozenset({VIEW, VIEW_ALL_UNITS}),
}

ALL_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())
