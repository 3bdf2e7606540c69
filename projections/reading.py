"""Reading the read models with plain SQL, through whatever connection the caller holds.

The read-side queries (projections.queries) are plain SQL with ``?`` marks, so that the
same statements run through SQLAlchemy (an engine or a connection in a transaction:
the web, and every command that writes) and through a bare ``sqlite3`` connection: a
command that only reads a SQLite store whose read models are current opens nothing
else, and so loads no SQLAlchemy at all (engine.read_path). Nothing here imports
SQLAlchemy for that reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias, cast

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

ReadModels: TypeAlias = "Engine | Connection | sqlite3.Connection"

# The library's tracking records of the read models (projections.schema.tracking).
POSITIONS_SQL = (
    "SELECT projection, notification_id FROM projection_tracking WHERE application_name = ?"
)


def driver_sql(sql: str, paramstyle: str) -> str:
    """A statement written with ``?`` marks in the driver's own parameter style."""
    return sql.replace("?", "%s") if paramstyle in ("format", "pyformat") else sql


def fetch(source: ReadModels, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """The rows a query gives. With an engine, on a connection of its own; with a
    connection, in whatever transaction it is in."""
    if isinstance(source, sqlite3.Connection):
        return source.execute(sql, tuple(params)).fetchall()
    if hasattr(source, "exec_driver_sql"):  # a SQLAlchemy connection
        conn = cast("Connection", source)
        with _driver_cursor(conn) as cursor:
            cursor.execute(driver_sql(sql, conn.dialect.paramstyle), tuple(params))
            return [tuple(r) for r in cursor.fetchall()]
    with source.connect() as conn:
        return fetch(conn, sql, params)


def tracked(source: ReadModels, application_name: str) -> dict[str, int]:
    """The last notification id each projection with a tracking record has applied."""
    return {name: int(pos) for name, pos in fetch(source, POSITIONS_SQL, (application_name,))}


def positions(source: ReadModels, application_name: str, names: Sequence[str]) -> dict[str, int]:
    """Each named projection's last notification id applied (0 for none)."""
    found = tracked(source, application_name)
    return {name: found.get(name, 0) for name in names}


def execute(conn: Connection, sql: str, params: Sequence[object] = ()) -> int:
    """Run one statement written with ``?`` marks on the driver's own cursor, in the
    connection's transaction; returns the rows it changed. The read models are written
    after every command, where SQLAlchemy's handling of each statement would cost more
    than running it."""
    with _driver_cursor(conn) as cursor:
        cursor.execute(driver_sql(sql, conn.dialect.paramstyle), tuple(params))
        return int(cursor.rowcount)


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[object]]) -> None:
    """``execute`` for many rows of parameters."""
    if not rows:
        return
    with _driver_cursor(conn) as cursor:
        cursor.executemany(driver_sql(sql, conn.dialect.paramstyle), rows)


@contextmanager
def _driver_cursor(conn: Connection) -> Iterator[Any]:
    """A cursor of the driver's connection under a SQLAlchemy connection: statements on
    it run in that connection's transaction, without SQLAlchemy's handling of each."""
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        yield cursor
    finally:
        cursor.close()
