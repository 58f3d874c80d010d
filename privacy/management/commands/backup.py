from django.core.management.base import BaseCommand, CommandError

from privacy.backups import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back up the database (pg_dump --format=custom, or SQLite's backup API) and MEDIA_ROOT "
            "into a new directory with a manifest (checksums, migrations, row counts). See docs/operations.md.")

    def add_arguments(self, parser):
        parser.add_argument("--out", help="Directory to write the backup under (default: settings.BACKUP_DIR).")

    def handle(self, *args, **options):
        try:
            path = backup_create(out_dir=options.get("out"))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(path))
