from django.core.management import call_command
from django.urls import reverse

from tasks.models import CalendarDay, SlaPolicy

from .. import factories


def test_the_district_admin_sets_the_deadlines_of_its_own_tenant(tree, client):
    client.force_login(tree.district_admin)
    response = client.post(reverse("admin:tasks_slapolicy_add"),
                           {"level": "street", "category": "dispute", "working_days": 8})
    assert response.status_code == 302
    policy = SlaPolicy.objects.get()
    assert policy.tenant_id == tree.district.tenant_id
    SlaPolicy.objects.create(tenant_id=tree.other_tenant.tenant_id, level="street", category="", working_days=9)
    page = client.get(reverse("admin:tasks_slapolicy_changelist")).content.decode()
    assert 'value="8"' in page and 'value="9"' not in page  # list_editable shows the days
    assert client.get(reverse("admin:tasks_slapolicy_change",
                              args=[SlaPolicy.objects.get(tenant_id=tree.other_tenant.tenant_id).pk])).status_code == 302


def test_a_street_level_admin_cannot_change_the_districts_rules(tree, client):
    from alliance.roles import Role
    from members.services import role_assign

    street_admin = factories.user("street_admin", tenant_id=tree.district.tenant_id)
    role_assign(user=tree.root, target=street_admin, alliance=tree.street_a, role=Role.DISTRICT_ADMIN)
    client.force_login(street_admin)
    response = client.post(reverse("admin:tasks_slapolicy_add"),
                           {"level": "street", "category": "dispute", "working_days": 1})
    assert response.status_code == 403
    assert not SlaPolicy.objects.exists()


def test_import_holidays_fills_the_calendar_once(tree):
    call_command("import_holidays", "--year", "2026", "--tenant", tree.district.tenant.code)
    count = CalendarDay.objects.filter(tenant_id=tree.district.tenant_id).count()
    assert count > 20
    assert CalendarDay.objects.get(tenant_id=tree.district.tenant_id, date="2026-10-01").is_workday is False
    call_command("import_holidays", "--year", "2026", "--tenant", tree.district.tenant.code)
    assert CalendarDay.objects.filter(tenant_id=tree.district.tenant_id).count() == count
    assert not CalendarDay.objects.filter(tenant_id=tree.other_tenant.tenant_id).exists()
