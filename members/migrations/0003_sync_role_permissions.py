"""Existing role holders get the permissions their roles now carry (e.g. handle_items)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here: a migration must not follow later edits of alliance.roles.
ROLE_PERMISSIONS = {
    "district_admin": {"view_alliance", "change_alliance", "manage_alliance_tree", "manage_membership",
                       "view_all_units", "manage_roles", "handle_items"},
    "secretary": {"view_alliance", "change_alliance", "manage_membership", "view_all_units", "manage_roles",
                  "handle_items"},
    "staff": {"view_alliance", "manage_membership", "view_all_units", "handle_items"},
    "liaison": {"view_alliance"},
    "observer": {"view_alliance", "view_all_units"},
}


def sync(apps, schema_editor):
    # Permissions are normally created after all migrations; this one needs the new rows now.
    config = apps.get_app_config("alliance")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    RoleAssignment = apps.get_model("members", "RoleAssignment")
    UserPerm = apps.get_model("alliance", "AllianceUserObjectPermission")
    ids = dict(Permission.objects.filter(content_type__app_label="alliance", content_type__model="alliance")
               .values_list("codename", "pk"))
    existing = set(UserPerm.objects.values_list("user_id", "content_object_id", "permission_id"))
    missing = {
        (a.user_id, a.alliance_id, ids[codename])
        for a in RoleAssignment.objects.all()
        for codename in ROLE_PERMISSIONS[a.role]
        if codename in ids
    } - existing
    UserPerm.objects.bulk_create(
        [UserPerm(user_id=u, content_object_id=o, permission_id=p) for u, o, p in missing], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_user_tenant"),
        ("alliance", "0003_handle_items_permission"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
