"""The SQL side of the views: a per-batch cache over the read_views table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
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
    conn: Connection,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    keep_existing: bool = False,
) -> None:
    """Insert rows given as tuples in the order of ``columns``, on the driver's cursor:
    rebuilds insert a row per event. With ``keep_existing``, a row whose key is already
    there is left alone (another process may be inserting the same rows at this moment)."""
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    execute_many(conn, sql + (" ON CONFLICT DO NOTHING" if keep_existing else ""), rows)


def insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``insert_rows`` keeping existing rows, for rows given as dicts with the same keys."""
    if rows:
        columns = tuple(rows[0])
        values = [tuple(row[c] for c in columns) for row in rows]
        insert_rows(conn, table, columns, values, keep_existing=True)


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
        upsert(self.conn, views, rows, ["kind", "key"])
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
