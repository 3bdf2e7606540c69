"""Helpers for the audit tests: reaching into the database behind the engine's back, and
running the command line."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

import psycopg
import pytest

from engine.adapters.eventstore.chain import GENESIS, link_of
from engine.runtime import Runtime
from tests.cli import Cli as BaseCli
from tests.conftest import PG_DSN, World


class RawStore:
    """The event store's tables, reached with the database driver alone."""

    def __init__(self, rt: Runtime) -> None:
        recorder: Any = rt.app.recorder
        self.kind = rt.db.kind
        self.events = recorder.events_table_name
        self.chain = recorder.chain_table_name
        self.head = recorder.head_table_name
        if self.kind == "sqlite":
            assert rt.db.path is not None
            self.conn: Any = sqlite3.connect(rt.db.path, isolation_level=None, timeout=30)
            self.pos = "rowid"
            self.mark = "?"
        else:
            self.conn = psycopg.connect(PG_DSN, autocommit=True)
            self.conn.execute(f'SET search_path TO "{rt.db.schema}"')
            self.pos = "notification_id"
            self.mark = "%s"

    def close(self) -> None:
        self.conn.close()

    def sql(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        cur = self.conn.execute(statement.replace("?", self.mark), params)
        try:
            return list(cur.fetchall())
        except (sqlite3.ProgrammingError, psycopg.ProgrammingError):
            return []

    def _oid(self, originator_id: str) -> Any:
        return UUID(originator_id).hex if self.kind == "sqlite" else UUID(originator_id)

    def row(self, position: int) -> tuple[str, int, str, bytes]:
        ((oid, version, topic, state),) = self.sql(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.pos} = ?",
            [position],
        )
        return str(UUID(str(oid))), int(version), str(topic), bytes(state)

    def positions(self, originator_id: str) -> list[int]:
        return [
            int(r[0])
            for r in self.sql(
                f"SELECT {self.pos} FROM {self.events} WHERE originator_id = ? "
                f"ORDER BY originator_version",
                [self._oid(originator_id)],
            )
        ]

    def last_position(self) -> int:
        return int(self.sql(f"SELECT MAX({self.pos}) FROM {self.events}")[0][0])

    def alter(self, position: int, old: bytes, new: bytes) -> None:
        _, _, _, state = self.row(position)
        assert old in state, state
        self.sql(
            f"UPDATE {self.events} SET state = ? WHERE {self.pos} = ?",
            [state.replace(old, new, 1), position],
        )

    def delete(self, position: int) -> None:
        self.sql(f"DELETE FROM {self.events} WHERE {self.pos} = ?", [position])

    def delete_link(self, position: int) -> None:
        self.sql(f"DELETE FROM {self.chain} WHERE position = ?", [position])

    def insert(self, originator_id: str, version: int, topic: str, state: bytes) -> int:
        self.sql(
            f"INSERT INTO {self.events} (originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?)",
            [self._oid(originator_id), version, topic, state],
        )
        return self.last_position()

    def swap(self, a: int, b: int) -> None:
        for src, dst in ((a, -1), (b, a), (-1, b)):
            self.sql(f"UPDATE {self.events} SET {self.pos} = ? WHERE {self.pos} = ?", [dst, src])

    def rechain(self) -> None:
        """What a knowing forger would do after changing events: recompute every link and
        the head, so that the chain alone no longer shows the change."""
        rows = self.sql(
            f"SELECT {self.pos}, originator_id, originator_version, topic, state "
            f"FROM {self.events} ORDER BY {self.pos}"
        )
        self.sql(f"DELETE FROM {self.chain}")
        previous = GENESIS
        for number, (pos, oid, version, topic, state) in enumerate(rows, 1):
            previous = link_of(previous, str(oid), int(version), str(topic), bytes(state))
            self.sql(
                f"INSERT INTO {self.chain} VALUES (?, ?, ?, ?, ?)",
                [pos, number, str(UUID(str(oid))), version, previous],
            )
        self.sql(
            f"UPDATE {self.head} SET position = ?, number = ?, link = ?",
            [rows[-1][0], len(rows), previous],
        )


@pytest.fixture(name="raw")
def raw_store(world: World) -> Iterator[RawStore]:
    """The world's store reached behind the engine's back, closed after the test."""
    store = RawStore(world.rt)
    yield store
    store.close()


class Cli(BaseCli):
    """The installed command; the audit commands take --format after their arguments."""

    def json(self, *args: str, user: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--format", "json", user=user))
