"""Backups, end to end, against a database of their own: back up, wipe, restore, compare.

The commands run as a separate process (`manage.py migrate/backup/restore`), the way an operator
or cron runs them. With PostgreSQL configured (DATABASE_URL) the round trip uses pg_dump and
pg_restore on `<database>_roundtrip`; pg_dump missing is a failure, not a skip: a deployment
without it has no backups. The SQLite round trip (the embedded demo) runs everywhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from privacy import backups

# One process migrates, seeds and backs up (as `manage.py backup` does from cron); the restore
# runs in a second process after the wipe. Each manage.py start costs seconds on a busy machine.
SEED_FULL = """
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from alliance.services import alliance_create, tenant_create
from members.models import User
from tasks.services import item_create
root = User.objects.create_superuser("root", "root@example.cn", "pw-Test-2026", name="备份测试")
district = tenant_create(name="备份测试区党建共同体", code="990001")
street = alliance_create(user=root, parent=district, name="备份街道", level="street", code="990001001")
community = alliance_create(user=root, parent=street, name="备份社区", level="community", code="990001001001")
for i in range(7):
    item_create(user=None, alliance=community, title=f"诉求{i}", source="demand", requester_phone="13800000000")
"""
# SQLite: the users' tables are enough to prove the copy (a full migrate doubles the test's time).
SEED_USERS = """
from django.core.management import call_command
call_command("migrate", "members", interactive=False, verbosity=0)
from members.models import User
for i in range(7):
    User.objects.create_user(f"u{i}", f"u{i}@example.cn", "pw-Test-2026", name=f"用户{i}", phone=f"1380000000{i}")
"""
FILES_AND_BACKUP = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
default_storage.save("agreements/evidence/履约证明.pdf", ContentFile(b"%PDF-1.4 " + bytes(range(256)) * 40))
default_storage.save("meetings/attachments/议题附件.txt", ContentFile("附件内容".encode()))
call_command("backup")
"""


def _manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _env(tmp_path: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(tmp_path / "media"), "BACKUP_DIR": str(tmp_path / "backups"),
    })
    return env


def _media_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _tamper(backup: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tampered"
    shutil.copytree(backup, copy)
    archive = copy / backups.MEDIA_ARCHIVE
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    return copy


def _round_trip(tmp_path: Path, env: dict, seed: str, table: str, counts, wipe) -> None:
    backup = Path(_manage(env, "shell", "-c", seed + FILES_AND_BACKUP).stdout.strip().splitlines()[-1])
    media = tmp_path / "media"
    before_counts, before_files = counts(), _media_hashes(media)
    assert before_counts[table] >= 7 and len(before_files) == 2
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["row_counts"] == before_counts
    assert "members" in manifest["migrations"] and manifest["parts"]["media"]["files"] == 2
    call_command("restore", str(backup), check=True)

    wipe()
    shutil.rmtree(media)
    (media / "stray").mkdir(parents=True)
    (media / "stray" / "left-over.txt").write_text("not in the backup")
    assert counts().get(table, 0) == 0
    # Checked before anything is touched: without --yes, and a damaged copy.
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(backup))
    with pytest.raises(CommandError, match="SHA-256"):
        call_command("restore", str(_tamper(backup, tmp_path)), yes=True)

    restored = _manage(env, "restore", str(backup), "--yes")
    assert "row counts match" in restored.stdout
    assert counts() == before_counts
    assert _media_hashes(media) == before_files


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
                    reason="PostgreSQL is not configured (DATABASE_URL); the SQLite round trip runs instead")
def test_postgresql_round_trip(tmp_path):
    for tool in ("pg_dump", "pg_restore"):
        if not (os.environ.get(f"{tool.upper()}_BIN") or shutil.which(tool)):
            pytest.fail(f"{tool} is not installed: backups cannot run on this machine. Install the PostgreSQL "
                        "client tools of the server's version (Debian: apt-get install postgresql-client).")
    import psycopg

    base, name = os.environ["DATABASE_URL"].rsplit("/", 1)
    name = f"{name.split('?')[0]}_roundtrip"
    url = f"{base}/{name}"

    def admin(sql: str) -> None:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def counts() -> dict[str, int]:
        with psycopg.connect(url) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
            return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}

    def wipe() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")

    admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{name}"')
    try:
        _round_trip(tmp_path, _env(tmp_path, url), SEED_FULL, "tasks_item", counts, wipe)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_sqlite_round_trip(tmp_path):
    """The embedded demo's database: copied with SQLite's online backup API."""
    db = tmp_path / "demo.sqlite3"

    def counts() -> dict[str, int]:
        if not db.exists():
            return {}
        with sqlite3.connect(db) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}

    def wipe() -> None:
        db.unlink()

    _round_trip(tmp_path, _env(tmp_path, f"sqlite:///{db}"), SEED_USERS, "members_user", counts, wipe)


def _fake_backup(tmp_path: Path) -> Path:
    """A well-formed backup directory (checksums right) of the configured vendor."""
    target = tmp_path / "fake"
    target.mkdir()
    (target / "database.bin").write_bytes(b"x")
    (target / backups.MEDIA_ARCHIVE).write_bytes(b"y")
    parts = {name: {"file": file, "sha256": backups.sha256_file(target / file)}
             for name, file in (("database", "database.bin"), ("media", backups.MEDIA_ARCHIVE))}
    parts["media"]["files"] = 0
    (target / backups.MANIFEST).write_text(json.dumps({
        "format": backups.FORMAT_VERSION, "created_at": "2026-01-01T00:00:00+00:00",
        "database": {"vendor": "postgresql"}, "parts": parts, "migrations": {}, "row_counts": {},
    }))
    return target


def test_restore_refuses_in_production_without_force(tmp_path):
    source = _fake_backup(tmp_path)
    with override_settings(SETTINGS_MODULE="config.settings.production"), \
            pytest.raises(CommandError, match="production"):
        call_command("restore", str(source), yes=True)


def test_restore_refuses_a_directory_that_is_not_a_backup(tmp_path):
    with pytest.raises(CommandError, match="manifest.json"):
        call_command("restore", str(tmp_path), yes=True)
