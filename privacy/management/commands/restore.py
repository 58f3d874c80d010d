from django.core.management.base import BaseCommand, CommandError

from privacy.backups import BackupError, backup_restore, backup_verify, is_production


class Command(BaseCommand):
    help = ("Restore a backup made by `manage.py backup`: checks the manifest's checksums, then replaces the "
            "configured database (pg_restore --clean --if-exists --no-owner) and MEDIA_ROOT, and compares the "
            "row counts with the manifest's. Destroys the current data: needs --yes (and --force in production).")

    def add_arguments(self, parser):
        parser.add_argument("source", help="The backup directory (the one `manage.py backup` printed).")
        parser.add_argument("--yes", action="store_true", help="Really replace the current database and files.")
        parser.add_argument("--force", action="store_true", help="Allow it with production settings.")
        parser.add_argument("--check", action="store_true", help="Only verify the checksums; change nothing.")

    def handle(self, *args, **options):
        try:
            manifest = backup_verify(options["source"])
            if options["check"]:
                self.stdout.write(f"OK: backup of {manifest['created_at']}, checksums match.")
                return
            if not options["yes"]:
                raise CommandError("restore replaces the current database and uploaded files: "
                                   "run it again with --yes if that is what you want.")
            if is_production() and not options["force"]:
                raise CommandError("refusing to restore with production settings without --force.")
            result = backup_restore(source=options["source"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if result["mismatches"]:
            raise CommandError("restored, but row counts differ from the manifest in: "
                               + ", ".join(result["mismatches"]))
        total = sum(result["row_counts"].values())
        self.stdout.write(f"Restored the backup of {manifest['created_at']}: {len(result['row_counts'])} tables, "
                          f"{total} rows, {manifest['parts']['media']['files']} files; row counts match.")
