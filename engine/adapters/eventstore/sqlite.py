"""The SQLite event store with its hash chain, written in the same transaction as the events.

Selected with PERSISTENCE_MODULE=engine.adapters.eventstore.sqlite:ChainedSQLiteFactory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)

from domain import clock
from engine.adapters.eventstore.chain import (
    ChainExtension,
    Head,
    Link,
    RangePage,
    head_of,
    id_text,
    link_row,
    seal_pages,
)

SEAL_PAGE = 2000


class ChainedSQLiteApplicationRecorder(ChainExtension, SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        # Set before the base class builds its CREATE statements, which include ours.
        self.chain_table_name = f"{events_table_name}_chain"
        self.head_table_name = f"{events_table_name}_chain_head"
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
            "position INTEGER PRIMARY KEY, "
            "number INTEGER NOT NULL UNIQUE, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "link TEXT NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {self.chain_table_name}_event "
            f"ON {self.chain_table_name} (originator_id, originator_version)",
            f"CREATE TABLE IF NOT EXISTS {self.head_table_name} ("
            "id INTEGER PRIMARY KEY CHECK (id = 1), "
            "position INTEGER NOT NULL, "
            "number INTEGER NOT NULL, "
            "link TEXT NOT NULL, "
            "sealed_through INTEGER NOT NULL DEFAULT 0, "
            "sealed_at TEXT)",
        ]

    def create_table(self) -> None:
        # Events already stored without a chain are never sealed here: a store whose
        # chain tables were dropped would be re-sealed over whatever was altered. It
        # accepts no write until an admin adopts them (_extend_chain, ADOPTION_TOPIC).
        with self.datastore.transaction(commit=True) as c:
            self._create_table(c)

    def unchained_events(self) -> int:
        """Events stored before the chain's first link, when it has none: what
        `verify --adopt` would adopt."""
        with self.datastore.transaction(commit=False) as c:
            if self._read_head(c).number:
                return 0
            c.execute(f"SELECT COUNT(*) FROM {self.events_table_name}")
            return int(c.fetchone()[0])

    def _seal_existing(self, c: SQLiteCursor, before: int) -> None:
        """Chain the events stored before position ``before`` that no chain covers, as
        they stand; the head records that they were sealed, not chained live."""
        c.execute(f"DELETE FROM {self.chain_table_name} WHERE position<?", (before,))

        def page_after(after: int) -> list[Any]:
            c.execute(
                f"SELECT rowid, * FROM {self.events_table_name} WHERE rowid>? AND rowid<? "
                "ORDER BY rowid LIMIT ?",
                (after, before, SEAL_PAGE),
            )
            return list(c.fetchall())

        def keep(links: list[tuple[int, int, str, int, str]]) -> None:
            c.executemany(f"INSERT INTO {self.chain_table_name} VALUES (?,?,?,?,?)", links)

        after, number, previous = seal_pages(page_after, "rowid", keep)
        if number:
            c.execute(
                f"INSERT INTO {self.head_table_name} VALUES (1,?,?,?,?,?) "
                "ON CONFLICT (id) DO UPDATE SET position=excluded.position, "
                "number=excluded.number, link=excluded.link, "
                "sealed_through=excluded.sealed_through, sealed_at=excluded.sealed_at",
                (after, number, previous, after, clock.now().isoformat()),
            )

    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        connection: sqlite3.Connection | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """Insert the events and their links in one transaction: the store's own, or,
        given a ``connection`` to the same file, the transaction its holder has open and
        will commit (the read models are then written in it too: projections.runner)."""
        if connection is None:
            return super().insert_events(stored_events, **kwargs)
        raw = connection.cursor()
        raw.row_factory = sqlite3.Row  # as the store's own connections read rows
        cursor = SQLiteCursor(raw)
        try:
            return self._insert_events(cursor, stored_events, **kwargs)
        # As the store's own transactions report them, so a stale write is a conflict.
        except sqlite3.IntegrityError as e:
            raise IntegrityError(e) from e
        except sqlite3.OperationalError as e:
            raise OperationalError(e) from e
        finally:
            cursor.sqlite_cursor.close()

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # The events go in first: that takes SQLite's write lock, so the head read next
        # cannot be moved by another writer before this transaction commits.
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        self._extend_chain(c, stored_events, positions)
        return positions

    def _unchained_before(self, c: SQLiteCursor, position: int) -> int:
        c.execute(f"SELECT COUNT(*) FROM {self.events_table_name} WHERE rowid<?", (position,))
        return int(c.fetchone()[0])

    def _write_links(self, c: SQLiteCursor, links: list[tuple[int, int, str, int, str]]) -> None:
        c.executemany(f"INSERT INTO {self.chain_table_name} VALUES (?,?,?,?,?)", links)
        c.execute(
            f"INSERT INTO {self.head_table_name} (id, position, number, link) VALUES (1,?,?,?) "
            "ON CONFLICT (id) DO UPDATE SET position=excluded.position, "
            "number=excluded.number, link=excluded.link",
            (links[-1][0], links[-1][1], links[-1][4]),
        )

    def _read_head(self, c: SQLiteCursor) -> Head:
        c.execute(f"SELECT * FROM {self.head_table_name} WHERE id=1")
        return head_of(c.fetchone())

    # Reading the chain, for verification

    def chain_head(self) -> Head | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.head_table_name} WHERE id=1")
            row = c.fetchone()
        return head_of(row) if row is not None else None

    def select_range(self, after: int, upto: int) -> RangePage:
        """Events and links at positions after one and up to another, with the head."""
        with self.datastore.transaction(commit=False) as c:
            # In WAL mode the read transaction's snapshot starts with its first read, so
            # every read below sees the same committed state.
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid>? AND rowid<=? ORDER BY rowid",
                (after, upto),
            )
            events = [
                (row[0], _dashed(row[1]), row[2], row[3], bytes(row[4])) for row in c.fetchall()
            ]
            c.execute(
                f"SELECT * FROM {self.chain_table_name} WHERE position>? AND position<=? "
                "ORDER BY position",
                (after, upto),
            )
            links = [link_row(row) for row in c.fetchall()]
            head = self._read_head(c)
            c.execute(
                f"SELECT MAX(rowid) FROM {self.events_table_name} UNION ALL "
                f"SELECT MAX(position) FROM {self.chain_table_name}"
            )
            last = max([head.position] + [r[0] or 0 for r in c.fetchall()])
        return RangePage(events, links, head if head.number else None, last)

    def find_link(self, originator_id: str, version: int) -> Link | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT * FROM {self.chain_table_name} "
                "WHERE originator_id=? AND originator_version=?",
                (originator_id, version),
            )
            row = c.fetchone()
        return link_row(row) if row is not None else None

    def find_link_number(self, number: int) -> Link | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.chain_table_name} WHERE number=?", (number,))
            row = c.fetchone()
        return link_row(row) if row is not None else None

    def find_event_position(self, originator_id: str, version: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} "
                "WHERE originator_id=? AND originator_version=?",
                (originator_id.replace("-", ""), version),
            )
            row = c.fetchone()
        return int(row[0]) if row is not None else None


def _dashed(stored_id: str) -> str:
    """The text form of a UUID the way this store keeps it (32 hex digits)."""
    h = stored_id.lower()
    if len(h) != 32:
        return id_text(stored_id)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class ChainedSQLiteFactory(SQLiteFactory):
    application_recorder_class = ChainedSQLiteApplicationRecorder
