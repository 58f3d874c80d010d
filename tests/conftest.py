"""A small tree: a district, two streets, two communities each, and a user for each role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from alliance.models import Alliance, Level
from alliance.roles import Role
from alliance.services import alliance_create, tenant_create
from members.models import MemberUnit, User

from . import factories


@dataclass
class Tree:
    district: Alliance
    street_a: Alliance
    street_b: Alliance
    community_a1: Alliance
    community_a2: Alliance
    community_b1: Alliance
    community_b2: Alliance
    root: User
    district_admin: User
    secretary_a: User
    secretary_b: User
    staff_a: User
    community_secretary_a1: User
    community_secretary_a2: User
    observer: User
    liaison_a1: User
    unit_a1: MemberUnit
    unit_a1_other: MemberUnit
    unit_a2: MemberUnit
    unit_b1: MemberUnit
    other_tenant: Alliance
    other_tenant_admin: User
    unit_other_tenant: MemberUnit


@pytest.fixture
def tree(db) -> Tree:
    root = User.objects.create_superuser("root", "root@example.cn", "pw-Test-2026", name="平台管理员")
    district = tenant_create(name="大渡口区党建共同体", code="500104", initiating_organisation="中共大渡口区委")

    def child(parent, name, level, code):
        return alliance_create(user=root, parent=parent, name=name, level=level, code=code)

    street_a = child(district, "春晖路街道党建共同体", Level.STREET, "500104001")
    street_b = child(district, "新山村街道党建共同体", Level.STREET, "500104002")
    community_a1 = child(street_a, "锦霞社区党建共同体", Level.COMMUNITY, "500104001001")
    community_a2 = child(street_a, "翠园社区党建共同体", Level.COMMUNITY, "500104001002")
    community_b1 = child(street_b, "新山村社区党建共同体", Level.COMMUNITY, "500104002001")
    community_b2 = child(street_b, "钢城社区党建共同体", Level.COMMUNITY, "500104002002")

    unit_a1 = factories.unit(community_a1, by=root, name="锦霞物业服务有限公司", category="property_management")
    unit_a1_other = factories.unit(community_a1, by=root, name="锦霞小学")
    unit_a2 = factories.unit(community_a2, by=root, name="翠园业主委员会")
    unit_b1 = factories.unit(community_b1, by=root, name="新山村卫生服务中心")

    other_tenant = tenant_create(name="九龙坡区党建共同体", code="500107")
    unit_other_tenant = factories.unit(other_tenant, by=root, name="九龙坡示范企业")

    return Tree(
        district=district, street_a=street_a, street_b=street_b,
        community_a1=community_a1, community_a2=community_a2,
        community_b1=community_b1, community_b2=community_b2,
        root=root,
        district_admin=factories.user_with_role(district, Role.DISTRICT_ADMIN, username="district_admin"),
        secretary_a=factories.user_with_role(street_a, Role.SECRETARY, username="secretary_a"),
        secretary_b=factories.user_with_role(street_b, Role.SECRETARY, username="secretary_b"),
        staff_a=factories.user_with_role(street_a, Role.STAFF, username="staff_a"),
        community_secretary_a1=factories.user_with_role(community_a1, Role.SECRETARY, username="csec_a1"),
        community_secretary_a2=factories.user_with_role(community_a2, Role.SECRETARY, username="csec_a2"),
        observer=factories.user_with_role(district, Role.OBSERVER, username="observer"),
        liaison_a1=factories.user_with_role(community_a1, Role.LIAISON, unit=unit_a1, username="liaison_a1"),
        unit_a1=unit_a1, unit_a1_other=unit_a1_other, unit_a2=unit_a2, unit_b1=unit_b1,
        other_tenant=other_tenant,
        other_tenant_admin=factories.user_with_role(other_tenant, Role.DISTRICT_ADMIN, username="other_admin"),
        unit_other_tenant=unit_other_tenant,
    )


def fresh(user: User) -> User:
    """The same user without the scope cached on the object, as a new request would see it."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def login(client):
    def _login(user: User):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api(db):
    from rest_framework.test import APIClient

    def _api(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=fresh(user))
        return client

    return _api
