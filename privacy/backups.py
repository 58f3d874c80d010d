"""Back up and restore the database and the uploaded files (`manage.py backup` / `restore`).

A backup is a directory with three parts and a manifest:

- `database.dump`: `pg_dump --format=custom` of DATABASES["default"] (PostgreSQL), or
  `database.sqlite3`: a consistent copy made with SQLite's online backup API (the embedded demo);
- `media.tar.gz`: everything under MEDIA_ROOT (agreement evidence, proposal attachments…);
- `manifest.json`: when, which Django migrations were applied, the SHA-256 of each part and the
  row count of every table, so a restore can be checked before (checksums) and after (counts).

pg_dump must be at least the server's major version (it refuses to dump a newer server), and
pg_restore at least pg_dump's: install `postgresql-client` of the server's version.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

import django
from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _vendor(alias: str = "default") -> str:
    return connections[alias].vendor


# --- PostgreSQL ------------------------------------------------------------------------------

def _pg_env_and_args(alias: str = "default") -> tuple[dict, list[str]]:
    """libpq connection options from the Django settings (password through the environment)."""
    db = settings.DATABASES[alias]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, [*args, "--dbname", str(db["NAME"])]


def pg_tool(name: str) -> str:
    """The path of pg_dump / pg_restore, or a clear error naming the package to install."""
    explicit = os.environ.get(f"{name.upper()}_BIN")
    path = explicit or shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} was not found on PATH. Install the PostgreSQL client tools of the server's major "
            f"version or newer (Debian: apt-get install postgresql-client), or set {name.upper()}_BIN."
        )
    return path


def _tool_major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:  # pragma: no cover - every release prints its version
        raise BackupError(f"cannot read the version of {path}: {out!r}")
    return int(match.group(1))


def _server_major(alias: str = "default") -> int:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.pg_version // 10000


def _check_pg_tool(name: str, alias: str = "default") -> str:
    path = pg_tool(name)
    tool, server = _tool_major(path), _server_major(alias)
    if tool < server:
        raise BackupError(
            f"{name} {tool} is older than the PostgreSQL server ({server}): it cannot read that server. "
            f"Install postgresql-client-{server} (or newer) and put it first on PATH."
        )
    return path


def _run(cmd: list[str], env: dict) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


# --- what is in the database -------------------------------------------------------------------

def row_counts(alias: str = "default") -> dict[str, int]:
    """Exact row counts of every table (one COUNT(*) each: a backup is not a hot path)."""
    connection = connections[alias]
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def applied_migrations(alias: str = "default") -> dict[str, list[str]]:
    recorder = MigrationRecorder(connections[alias])
    state: dict[str, list[str]] = {}
    if not recorder.has_table():
        return state
    for app, name in sorted(recorder.applied_migrations()):
        state.setdefault(app, []).append(name)
    return state


# --- backup ----------------------------------------------------------------------------------

def backup_create(*, out_dir: Path | str | None = None, alias: str = "default") -> Path:
    """Write a new backup directory under `out_dir` (BACKUP_DIR by default) and return its path."""
    base = Path(out_dir or settings.BACKUP_DIR)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S%fZ")
    target = base / f"alliance-{stamp}"
    target.mkdir(parents=True, exist_ok=False)
    os.chmod(target, 0o700)  # the dump holds every phone number on the platform
    vendor = _vendor(alias)
    parts: dict[str, dict] = {}
    try:
        if vendor == "postgresql":
            dump = target / PG_DUMP_FILE
            tool = _check_pg_tool("pg_dump", alias)
            env, args = _pg_env_and_args(alias)
            _run([tool, "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump), *args], env)
            parts["database"] = {"file": dump.name, "format": "pg_dump-custom", "tool_version": _tool_major(tool)}
        elif vendor == "sqlite":
            copy = target / SQLITE_FILE
            source = sqlite3.connect(str(settings.DATABASES[alias]["NAME"]))
            dest = sqlite3.connect(str(copy))
            try:
                with dest:
                    source.backup(dest)
            finally:
                dest.close()
                source.close()
            parts["database"] = {"file": copy.name, "format": "sqlite3"}
        else:
            raise BackupError(f"backups of a {vendor} database are not supported")
        media_root = Path(settings.MEDIA_ROOT)
        archive = target / MEDIA_ARCHIVE
        files = 0
        with tarfile.open(archive, "w:gz") as tar:
            if media_root.is_dir():
                for path in sorted(media_root.rglob("*")):
                    if path.is_file():
                        tar.add(path, arcname=str(path.relative_to(media_root)))
                        files += 1
        parts["media"] = {"file": archive.name, "files": files}
        for part in parts.values():
            part["sha256"] = sha256_file(target / part["file"])
            part["bytes"] = (target / part["file"]).stat().st_size
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "django": django.get_version(),
            "database": {"vendor": vendor, "name": str(settings.DATABASES[alias]["NAME"])},
            "parts": parts,
            "migrations": applied_migrations(alias),
            "row_counts": row_counts(alias),
        }
        (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


# --- restore ---------------------------------------------------------------------------------

def backup_verify(source: Path | str) -> dict:
    """Read the manifest and check every part's SHA-256; a mismatch stops the restore."""
    source = Path(source)
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{manifest_path} not found: not a backup made by `manage.py backup`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for name, part in manifest["parts"].items():
        path = source / part["file"]
        if not path.is_file():
            raise BackupError(f"the {name} part ({path.name}) is missing")
        if sha256_file(path) != part["sha256"]:
            raise BackupError(f"the {name} part ({path.name}) does not match its SHA-256 in the manifest: "
                              "the copy is damaged or was changed")
    return manifest


def _restore_media(archive: Path) -> int:
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    # Unpack beside the live directory, then swap, so a failed unpack leaves the old files alone.
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=media_root.parent))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                if member.name.startswith(("/", "..")) or ".." in Path(member.name).parts:
                    raise BackupError(f"unsafe path in the media archive: {member.name}")
            tar.extractall(staging, filter="data")
        for child in list(media_root.iterdir()):
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
        for child in staging.iterdir():
            shutil.move(str(child), media_root / child.name)
        return sum(1 for m in members if m.isfile())
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def backup_restore(*, source: Path | str, alias: str = "default") -> dict:
    """Replace the configured database and MEDIA_ROOT with a backup's content.

    Returns {"manifest", "row_counts", "mismatches"}: `mismatches` lists the tables whose row
    count differs from the manifest's after the restore (empty when all is well)."""
    source = Path(source)
    manifest = backup_verify(source)
    vendor = _vendor(alias)
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(f"the backup is of a {manifest['database']['vendor']} database; "
                          f"the configured one is {vendor}")
    database = source / manifest["parts"]["database"]["file"]
    if vendor == "postgresql":
        tool = _check_pg_tool("pg_restore", alias)
        connections[alias].close()
        env, args = _pg_env_and_args(alias)
        _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", *args, str(database)], env)
    else:
        connections[alias].close()
        source_db = sqlite3.connect(str(database))
        dest = sqlite3.connect(str(settings.DATABASES[alias]["NAME"]))
        try:
            with dest:
                source_db.backup(dest)
        finally:
            dest.close()
            source_db.close()
    _restore_media(source / manifest["parts"]["media"]["file"])
    counts = row_counts(alias)
    expected = manifest["row_counts"]
    mismatches = sorted(t for t in expected if counts.get(t) != expected[t])
    return {"manifest": manifest, "row_counts": counts, "mismatches": mismatches}


def is_production() -> bool:
    return str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".production")


def media_hashes() -> dict[str, str]:
    """SHA-256 of every file under MEDIA_ROOT, by relative path (for checking a restore)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}

