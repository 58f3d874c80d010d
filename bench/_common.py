"""What the benchmarks share."""

from __future__ import annotations

import sys


def ensure_database(url: str, *, who: str) -> None:
    """CREATE DATABASE when the one named in the URL does not exist yet (PostgreSQL only)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit(f"{who} needs PostgreSQL; DATABASE_URL is {url!r}")
    connect = {"host": config.get("HOST") or None, "port": config.get("PORT") or None,
               "user": config.get("USER") or None, "password": config.get("PASSWORD") or None}
    try:
        psycopg.connect(dbname=config["NAME"], **connect).close()
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        with psycopg.connect(dbname="postgres", autocommit=True, **connect) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
        print(f"created database {config['NAME']}")
