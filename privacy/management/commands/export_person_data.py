from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from members.models import User
from privacy import exporting, selectors


class Command(BaseCommand):
    help = ("Export everything held about one person (a data request) as JSON and .xlsx. "
            "--actor must be the district admin of the tenant (or a superuser).")

    def add_arguments(self, parser):
        parser.add_argument("--actor", required=True, help="Username of the district admin doing the export.")
        parser.add_argument("--username", default="", help="The person's account.")
        parser.add_argument("--phone", default="", help="The person's phone (residents have no account).")
        parser.add_argument("--tenant", default="", help="Tenant code (needed when the actor is a superuser).")
        parser.add_argument("--out", default=".", help="Directory for the two files.")

    def handle(self, *args, **options):
        actor = User.objects.filter(username=options["actor"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {options['actor']!r}")
        try:
            if options["tenant"]:
                root = selectors.Alliance.objects.filter(tenant__code=options["tenant"], depth=1).first()
                if root is None:
                    raise CommandError(f"no tenant {options['tenant']!r}")
            else:
                tenants = selectors.user_scope(actor).tenant_ids
                if len(tenants) != 1:
                    raise CommandError("give --tenant: the actor's tenant is not unambiguous")
                root = selectors.tenant_root(next(iter(tenants)))
            selectors.require_privacy_officer(actor=actor, root=root)
            user, phone = selectors.person_find(root=root, username=options["username"], phone=options["phone"])
            data = selectors.person_data_export(actor=actor, user=user, phone=phone, root=root)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        for ext, render in (("json", exporting.export_json), ("xlsx", exporting.export_xlsx)):
            path = out / exporting.export_filename(data, ext)
            path.write_bytes(render(data))
            self.stdout.write(str(path))
