"""Django admin for the organisation department: scoped like the pages, writes through services."""

from django.urls import reverse

from alliance.roles import Role
from members.models import RoleAssignment

from . import factories


def test_a_district_admin_enters_the_admin_and_sees_only_its_district(tree, client):
    assert tree.district_admin.is_staff
    client.force_login(tree.district_admin)
    page = client.get(reverse("admin:alliance_alliance_changelist")).content.decode()
    assert tree.community_b2.name in page
    assert tree.other_tenant.name not in page
    units = client.get(reverse("admin:members_memberunit_changelist")).content.decode()
    assert tree.unit_b1.name in units and tree.unit_other_tenant.name not in units
    other = client.get(reverse("admin:alliance_alliance_change", args=[tree.other_tenant.pk]))
    assert other.status_code == 302  # the admin's "does not exist" answer, same as a missing id


def test_secretaries_stay_out_of_the_admin(tree, client):
    assert not tree.secretary_a.is_staff
    client.force_login(tree.secretary_a)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_accounts_are_per_tenant(tree, client):
    client.force_login(tree.district_admin)
    page = client.get(reverse("admin:members_user_changelist")).content.decode()
    assert "secretary_b" in page and "other_admin" not in page


def test_giving_a_role_in_the_admin_goes_through_the_rules(tree, client):
    newcomer = factories.user("newcomer", tenant_id=tree.district.tenant_id)
    client.force_login(tree.district_admin)
    url = reverse("admin:members_roleassignment_add")
    refused = client.post(url, {"user": newcomer.pk, "alliance": tree.community_a1.pk, "role": Role.LIAISON})
    assert refused.status_code == 200 and "联络员必须绑定一个成员单位" in refused.content.decode()
    assert not RoleAssignment.objects.filter(user=newcomer).exists()
    created = client.post(url, {"user": newcomer.pk, "alliance": tree.community_a1.pk, "role": Role.SECRETARY})
    assert created.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.tenant_id == tree.district.tenant_id
    client.force_login(newcomer)
    assert client.get(reverse("alliance-detail", kwargs={"pk": tree.community_a1.pk})).status_code == 200


def test_no_takeover_of_a_peer_or_a_superior(tree, client):
    """A district admin made on a street cannot edit the district's admins or the neighbours."""
    street_admin = factories.user("street_admin", tenant_id=tree.district.tenant_id)
    client.force_login(tree.district_admin)
    client.post(reverse("admin:members_roleassignment_add"),
                {"user": street_admin.pk, "alliance": tree.street_a.pk, "role": Role.DISTRICT_ADMIN})
    assert street_admin.role_assignments.filter(role=Role.DISTRICT_ADMIN).exists()
    client.force_login(street_admin)
    users = client.get(reverse("admin:members_user_changelist")).content.decode()
    assert "csec_a1" in users
    assert "district_admin" not in users and "secretary_b" not in users and "root" not in users
    response = client.post(reverse("admin:auth_user_password_change", args=[tree.district_admin.pk]),
                           {"password1": "Hijacked-2026-xyz", "password2": "Hijacked-2026-xyz"})
    assert response.status_code in (302, 403, 404)
    tree.district_admin.refresh_from_db()
    assert not tree.district_admin.check_password("Hijacked-2026-xyz")
    # Peers cannot promote each other either: only the level above grants district admin.
    peer = factories.user("peer", tenant_id=tree.district.tenant_id)
    refused = client.post(reverse("admin:members_roleassignment_add"),
                          {"user": peer.pk, "alliance": tree.street_a.pk, "role": Role.DISTRICT_ADMIN})
    assert refused.status_code == 200
    assert not peer.role_assignments.exists()


def test_ids_of_another_tenant_show_no_names(tree, client):
    client.force_login(tree.district_admin)
    page = client.get(reverse("admin:members_roleassignment_add") + f"?alliance={tree.other_tenant.pk}"
                      f"&user={tree.other_tenant_admin.pk}&member_unit={tree.unit_other_tenant.pk}")
    text = page.content.decode()
    assert tree.other_tenant.name not in text and tree.unit_other_tenant.name not in text
    assert "other_admin" not in text
    refused = client.post(reverse("admin:members_roleassignment_add"),
                          {"user": tree.other_tenant_admin.pk, "alliance": tree.community_a1.pk, "role": "observer"})
    assert refused.status_code == 200
    assert not RoleAssignment.objects.filter(user=tree.other_tenant_admin, alliance=tree.community_a1).exists()
