from alliance.models import Alliance
from alliance.roles import Role
from alliance.selectors import (
    alliance_ancestors,
    alliance_descendants,
    alliance_list,
    user_scope,
)
from members.models import RoleAssignment
from members.services import role_revoke

from ..conftest import fresh


def test_descendants_and_ancestors_are_one_query_each(tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [a.name for a in alliance_descendants(alliance=tree.district)]
    assert len(names) == 6
    with django_assert_num_queries(1):
        chain = [a.pk for a in alliance_ancestors(alliance=tree.community_b2)]
    assert chain == [tree.district.pk, tree.street_b.pk]


def test_scope_is_resolved_in_one_query_and_cached(tree, django_assert_num_queries):
    user = fresh(tree.secretary_a)
    with django_assert_num_queries(1):
        user_scope(user)
        user_scope(user)


def test_a_role_holds_on_the_subtree_never_upward_or_sideways(tree):
    seen = set(alliance_list(user=fresh(tree.secretary_a)).values_list("pk", flat=True))
    assert seen == {tree.street_a.pk, tree.community_a1.pk, tree.community_a2.pk}
    seen = set(alliance_list(user=fresh(tree.community_secretary_a1)).values_list("pk", flat=True))
    assert seen == {tree.community_a1.pk}


def test_the_district_admin_sees_the_whole_district_but_not_another_tenant(tree):
    seen = set(alliance_list(user=fresh(tree.district_admin)).values_list("pk", flat=True))
    assert tree.community_b2.pk in seen
    assert tree.other_tenant.pk not in seen
    assert len(seen) == 7


def test_revoking_the_role_removes_the_scope(tree):
    assignment = RoleAssignment.objects.get(user=tree.secretary_a, role=Role.SECRETARY)
    role_revoke(user=fresh(tree.root), assignment=assignment)
    assert not alliance_list(user=fresh(tree.secretary_a)).exists()


def test_a_deactivated_alliance_takes_its_roles_with_it(tree):
    Alliance.objects.filter(pk=tree.street_a.pk).update(is_active=False)
    assert not alliance_list(user=fresh(tree.secretary_a)).exists()


def test_breadcrumb_rows_are_one_query_root_first(tree, django_assert_num_queries):
    from alliance.selectors import alliance_ancestor_crumbs

    with django_assert_num_queries(1):
        crumbs = alliance_ancestor_crumbs(alliance=tree.community_b2)
    assert [c.pk for c in crumbs] == [tree.district.pk, tree.street_b.pk]
    assert crumbs[0].name == tree.district.name
    with django_assert_num_queries(0):
        assert alliance_ancestor_crumbs(alliance=tree.district) == []
