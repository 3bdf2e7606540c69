"""Where the benchmarks keep their stores: a SQLite file in a scratch folder, or a
schema of its own in the local PostgreSQL, dropped afterwards."""

from __future__ import annotations

import uuid
from pathlib import Path

PG = "postgresql://postgres@127.0.0.1:5432/test"


def url_for(kind: str, folder: Path, name: str) -> str:
    """A new, empty store named ``name``: ``kind`` is "sqlite" or "postgres"."""
    if kind == "sqlite":
        return f"sqlite:///{folder / name}.db"
    return f"{PG}?schema=bench_{name}_{uuid.uuid4().hex[:8]}"


def create_schema(url: str) -> None:
    """The schema a PostgreSQL store's URL names, for a store opened without actiontrail."""
    _run(url, 'CREATE SCHEMA IF NOT EXISTS "{}"')


def drop_schema(url: str) -> None:
    """Remove a PostgreSQL store made by url_for; nothing to do for SQLite."""
    _run(url, 'DROP SCHEMA IF EXISTS "{}" CASCADE')


def _run(url: str, statement: str) -> None:
    if "schema=" not in url:
        return
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(statement.format(url.rsplit("schema=", 1)[1]))
