"""The SQL side of the views: a per-batch cache over the read_views table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from importlib import import_module
from typing import Any

from sqlalchemy import Connection, Table, select

from projections.reading import execute_many
from projections.schema import views
from projections.views import View


def upsert(conn: Connection, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert or replace rows (each with the same columns), on SQLite and PostgreSQL alike.

    Plain driver SQL, executed for many rows: this runs after every command, and
    building each row's parameters through SQLAlchemy costs more than the statement."""
    if not rows:
        return
    columns = tuple(rows[0])
    sql = _upsert_sql(table.name, columns, tuple(keys))
    execute_many(conn, sql, [tuple(row[c] for c in columns) for row in rows])


@lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...], keys: tuple[str, ...]) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


def insert_rows(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows given as tuples in the order of ``columns``, on the driver's cursor:
    rebuilds insert a row per event."""
    marks = ", ".join("?" for _ in columns)
    execute_many(conn, f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", rows)


def insert_new(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows, leaving alone any whose key is already there (another process may be
    inserting the same rows at this moment), on SQLite and PostgreSQL alike."""
    if rows:
        # The PostgreSQL dialect's module loads only for PostgreSQL.
        dialect = import_module(f"sqlalchemy.dialects.{conn.dialect.name}")
        conn.execute(dialect.insert(table).values(rows).on_conflict_do_nothing())


class SqlViewStore:
    """Reads views once per batch and writes back only what changed, in one statement."""

    def __init__(
        self, conn: Connection, cache: dict[tuple[str, str], View | None] | None = None
    ) -> None:
        self.conn = conn
        self.cache: dict[tuple[str, str], View | None] = {} if cache is None else cache
        self.dirty: set[tuple[str, str]] = set()

    def get(self, kind: str, key: str) -> View | None:
        k = (kind, key)
        if k not in self.cache:
            doc = self.conn.execute(
                select(views.c.doc).where(views.c.kind == kind, views.c.key == key)
            ).scalar_one_or_none()
            self.cache[k] = json.loads(doc) if doc is not None else None
        return self.cache[k]

    def put(self, kind: str, key: str, view: View) -> None:
        self.cache[(kind, key)] = view
        self.dirty.add((kind, key))

    def flush(self) -> None:
        rows = []
        for kind, key in sorted(self.dirty):
            view = self.cache[(kind, key)]
            assert view is not None
            rows.append(
                {
                    "kind": kind,
                    "key": key,
                    "plan_id": view.get("plan_id") or (view["id"] if kind == "plan" else None),
                    "doc": json.dumps(view, separators=(",", ":")),
                }
            )
        # Chunked so a large batch stays under the databases' parameter limits.
        for i in range(0, len(rows), 200):
            upsert(self.conn, views, rows[i : i + 200], ["kind", "key"])
        self.dirty.clear()


class MemoryViewStore:
    """Views held in memory: for replaying a plan as of a moment."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], View] = {}

    def get(self, kind: str, key: str) -> View | None:
        return self.data.get((kind, key))

    def put(self, kind: str, key: str, view: View) -> None:
        self.data[(kind, key)] = view

    def all(self, kind: str) -> list[View]:
        return [v for (k, _), v in self.data.items() if k == kind]
