import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from alliance.roles import Role
from members.models import Membership, MembershipRole, MemberUnit, RoleAssignment
from members.services import (
    member_unit_create,
    member_unit_update,
    membership_create,
    membership_update,
    role_assign,
)

from .. import factories
from ..conftest import fresh


def test_a_community_registers_a_unit_and_it_joins_the_community(tree):
    unit = member_unit_create(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1,
                              name="锦霞社区卫生服务站", category="hospital",
                              credit_code=factories.credit_code(9001), party_member_count=3)
    assert unit.alliance_path == tree.community_a1.path
    membership = Membership.objects.get(unit=unit)
    assert membership.alliance_id == tree.community_a1.pk and membership.role == MembershipRole.MEMBER


def test_a_bad_unit_gets_every_problem_at_once_and_nothing_is_written(tree):
    before = (MemberUnit.objects.count(), Membership.objects.count())
    with pytest.raises(ValidationError) as exc:
        member_unit_create(user=fresh(tree.community_secretary_a1), alliance=tree.community_a1, name=" ",
                           category="bank", credit_code="91350100M000100Y44", party_member_count=-2)
    assert set(exc.value.message_dict) == {"name", "category", "credit_code", "party_member_count"}
    assert (MemberUnit.objects.count(), Membership.objects.count()) == before


def test_a_credit_code_is_unique_within_the_tenant_only(tree):
    with pytest.raises(ValidationError) as exc:
        member_unit_create(user=fresh(tree.secretary_b), alliance=tree.community_b1, name="重复单位",
                           category="other", credit_code=tree.unit_a1.credit_code)
    assert "已登记" in exc.value.message_dict["credit_code"][0]
    other = member_unit_create(user=fresh(tree.other_tenant_admin), alliance=tree.other_tenant, name="同码单位",
                               category="other", credit_code=tree.unit_a1.credit_code)
    assert other.tenant_id != tree.unit_a1.tenant_id


def test_editing_keeps_its_own_code(tree):
    unit = member_unit_update(user=fresh(tree.community_secretary_a1), unit=tree.unit_a1, name="锦霞物业(新)",
                              credit_code=tree.unit_a1.credit_code)
    assert MemberUnit.objects.get(pk=unit.pk).name == "锦霞物业(新)"


def test_a_neighbour_community_cannot_register_units_here(tree):
    with pytest.raises(Http404):
        member_unit_create(user=fresh(tree.community_secretary_a2), alliance=tree.community_a1, name="x",
                           category="other", credit_code=factories.credit_code(9002))
    with pytest.raises(PermissionDenied):
        member_unit_create(user=fresh(tree.observer), alliance=tree.community_a1, name="x",
                           category="other", credit_code=factories.credit_code(9003))


def test_a_unit_joins_a_second_alliance_once(tree):
    membership = membership_create(user=fresh(tree.secretary_a), unit=tree.unit_a1, alliance=tree.street_a,
                                   role=MembershipRole.COMMITTEE, representative="王经理")
    assert membership.alliance_path == tree.street_a.path
    with pytest.raises(ValidationError) as exc:
        membership_create(user=fresh(tree.secretary_a), unit=tree.unit_a1, alliance=tree.street_a)
    assert "已是" in exc.value.message_dict["unit"][0]
    assert Membership.objects.filter(unit=tree.unit_a1, alliance=tree.street_a).count() == 1


def test_leaving_before_joining_is_refused(tree):
    membership = Membership.objects.get(unit=tree.unit_a1, alliance=tree.community_a1)
    with pytest.raises(ValidationError):
        membership_update(user=fresh(tree.community_secretary_a1), membership=membership,
                          left_on=membership.joined_on - dt.timedelta(days=1))
    membership_update(user=fresh(tree.community_secretary_a1), membership=membership, left_on=membership.joined_on)
    # Once left, the unit may join again.
    membership_create(user=fresh(tree.community_secretary_a1), unit=tree.unit_a1, alliance=tree.community_a1)
    assert Membership.objects.filter(unit=tree.unit_a1, alliance=tree.community_a1).count() == 2


def test_a_units_of_another_tenant_cannot_join(tree):
    with pytest.raises(ValidationError):
        membership_create(user=fresh(tree.root), unit=tree.unit_other_tenant, alliance=tree.community_a1)


def test_a_secretary_cannot_make_a_district_admin(tree):
    target = factories.user("newcomer")
    with pytest.raises(PermissionDenied):
        role_assign(user=fresh(tree.secretary_a), target=target, alliance=tree.street_a, role=Role.DISTRICT_ADMIN)
    assert not RoleAssignment.objects.filter(user=target).exists()


def test_a_secretary_gives_staff_roles_in_the_own_street_only(tree):
    target = factories.user("newstaff")
    role_assign(user=fresh(tree.secretary_a), target=target, alliance=tree.community_a1, role=Role.STAFF)
    with pytest.raises(Http404):
        role_assign(user=fresh(tree.secretary_a), target=target, alliance=tree.community_b1, role=Role.STAFF)


def test_a_liaison_is_bound_to_a_unit_of_the_alliance(tree):
    target = factories.user("newliaison")
    with pytest.raises(ValidationError):
        role_assign(user=fresh(tree.root), target=target, alliance=tree.community_a1, role=Role.LIAISON)
    with pytest.raises(ValidationError):
        role_assign(user=fresh(tree.root), target=target, alliance=tree.community_a1, role=Role.LIAISON,
                    member_unit=tree.unit_b1)
    assert not RoleAssignment.objects.filter(user=target).exists()
