"""The PostgreSQL event store with its hash chain, written in the same transaction as the
events and under the same table lock, so links follow the order positions are issued in.

Selected with PERSISTENCE_MODULE=engine.adapters.eventstore.postgres:ChainedPostgresFactory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow, dict_row
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.composite import register_composite

from domain import clock
from engine.adapters.eventstore.chain import (
    ChainExtension,
    Head,
    Link,
    RangePage,
    head_of,
    link_row,
    seal_pages,
)

SEAL_PAGE = 2000
# Events per INSERT statement. One statement for a whole large save (a 50,000-action
# import is 100,000 events, some 60 MB in one array parameter) stalls psycopg's
# pipeline mode for good; pages of this size keep each statement small.
INSERT_PAGE = 2000


class ChainedPostgresApplicationRecorder(ChainExtension, PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            # The database function inserts events without running our code.
            raise OSError("the hash chain needs POSTGRES_ENABLE_DB_FUNCTIONS to be off")
        self.chain_table_name = f"{events_table_name}_chain"
        self.head_table_name = f"{events_table_name}_chain_head"
        self.check_identifier_length(self.head_table_name)
        self.sql_create_statements += [
            self._sql(
                "CREATE TABLE IF NOT EXISTS {chain} ("
                "position bigint PRIMARY KEY, "
                "number bigint NOT NULL UNIQUE, "
                "originator_id text NOT NULL, "
                "originator_version bigint NOT NULL, "
                "link text NOT NULL)"
            ),
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} "
                "ON {schema}.{table} (originator_id, originator_version)"
            ).format(
                index=Identifier(f"{self.chain_table_name}_event"),
                schema=Identifier(datastore.schema),
                table=Identifier(self.chain_table_name),
            ),
            self._sql(
                "CREATE TABLE IF NOT EXISTS {head} ("
                "id integer PRIMARY KEY CHECK (id = 1), "
                "position bigint NOT NULL, "
                "number bigint NOT NULL, "
                "link text NOT NULL, "
                "sealed_through bigint NOT NULL DEFAULT 0, "
                "sealed_at text)"
            ),
        ]

    def _sql(self, text: str) -> Composed:
        schema = Identifier(self.datastore.schema)
        return SQL(text).format(
            chain=Composed([schema, SQL("."), Identifier(self.chain_table_name)]),
            head=Composed([schema, SQL("."), Identifier(self.head_table_name)]),
            events=Composed([schema, SQL("."), Identifier(self.events_table_name)]),
        )

    def create_table(self) -> None:
        # Events already stored without a chain are never sealed here: a store whose
        # chain tables were dropped would be re-sealed over whatever was altered. It
        # accepts no write until an admin adopts them (_extend_chain, ADOPTION_TOPIC).
        super().create_table()

    def unchained_events(self) -> int:
        """Events stored before the chain's first link, when it has none: what
        `verify --adopt` would adopt."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            if self._read_head(curs).number:
                return 0
            curs.execute(self._sql("SELECT COUNT(*) AS n FROM {events}"))
            row = curs.fetchone()
        return int(row["n"]) if row else 0

    def _seal_existing(self, curs: Cursor[DictRow], before: int) -> None:
        """Chain the events stored before position ``before`` that no chain covers, as
        they stand; the head records that they were sealed, not chained live."""
        curs.execute(self._sql("DELETE FROM {chain} WHERE position < %s"), (before,))

        def page_after(after: int) -> list[DictRow]:
            curs.execute(
                self._sql(
                    "SELECT * FROM {events} WHERE notification_id > %s "
                    "AND notification_id < %s ORDER BY notification_id LIMIT %s"
                ),
                (after, before, SEAL_PAGE),
            )
            return curs.fetchall()

        def keep(links: list[tuple[int, int, str, int, str]]) -> None:
            curs.executemany(self._sql("INSERT INTO {chain} VALUES (%s,%s,%s,%s,%s)"), links)

        after, number, previous = seal_pages(page_after, "notification_id", keep)
        if number:
            curs.execute(
                self._sql(
                    "INSERT INTO {head} VALUES (1,%s,%s,%s,%s,%s) "
                    "ON CONFLICT (id) DO UPDATE SET position=excluded.position, "
                    "number=excluded.number, link=excluded.link, "
                    "sealed_through=excluded.sealed_through, sealed_at=excluded.sealed_at"
                ),
                (after, number, previous, after, clock.now().isoformat()),
            )

    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        connection: psycopg.Connection[Any] | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """Insert the events in pages, and their links, in one transaction under the
        table's EXCLUSIVE lock, so no other writer can move the chain's head before
        this transaction commits: the store's own, or, given a ``connection`` to the
        same database, the transaction its holder has open and will commit (the read
        models are then written in it too: projections.runner)."""
        if not stored_events:
            return []
        if connection is None:
            return self._insert_in_own_transaction(stored_events)
        for info in self.datastore.psycopg_type_adapters.values():
            if not connection.adapters.types.get(info.oid):
                register_composite(info, connection)
        # As the store's own transactions report them, so a stale write is a conflict.
        try:
            return self._insert(connection, stored_events)
        except psycopg.IntegrityError as e:
            raise IntegrityError(str(e)) from e
        except psycopg.OperationalError as e:
            raise OperationalError(str(e)) from e

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_in_own_transaction(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        with self.datastore.get_connection() as conn, conn.transaction():
            return self._insert(conn, stored_events)

    def _insert(
        self, conn: psycopg.Connection[Any], stored_events: Sequence[StoredEvent]
    ) -> list[int]:
        positions: list[int] = []
        with conn.cursor(row_factory=dict_row) as curs:
            self._lock_table(curs)
            self._notify_channel(curs)
            for start in range(0, len(stored_events), INSERT_PAGE):
                page = stored_events[start : start + INSERT_PAGE]
                rows = [
                    self.construct_pg_stored_event(
                        e.originator_id, e.originator_version, e.topic, e.state
                    )
                    for e in page
                ]
                curs.execute(self.insert_events_statement, (rows,))
                positions += [row["notification_id"] for row in curs.fetchall()]
            self._extend_chain(curs, stored_events, positions)
        return positions

    def _unchained_before(self, curs: Cursor[DictRow], position: int) -> int:
        curs.execute(
            self._sql("SELECT COUNT(*) AS n FROM {events} WHERE notification_id < %s"),
            (position,),
        )
        row = curs.fetchone()
        return int(row["n"]) if row else 0

    def _write_links(
        self, curs: Cursor[DictRow], links: list[tuple[int, int, str, int, str]]
    ) -> None:
        curs.executemany(self._sql("INSERT INTO {chain} VALUES (%s,%s,%s,%s,%s)"), links)
        curs.execute(
            self._sql(
                "INSERT INTO {head} (id, position, number, link) VALUES (1,%s,%s,%s) "
                "ON CONFLICT (id) DO UPDATE SET position=excluded.position, "
                "number=excluded.number, link=excluded.link"
            ),
            (links[-1][0], links[-1][1], links[-1][4]),
        )

    def _read_head(self, curs: Cursor[DictRow]) -> Head:
        curs.execute(self._sql("SELECT * FROM {head} WHERE id=1"))
        return head_of(curs.fetchone())

    # Reading the chain, for verification

    def chain_head(self) -> Head | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql("SELECT * FROM {head} WHERE id=1"))
            row = curs.fetchone()
        return head_of(row) if row is not None else None

    def select_range(self, after: int, upto: int) -> RangePage:
        """Events and links at positions after one and up to another, with the head."""
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            # One snapshot for every read below, so a write committing meanwhile cannot
            # show as an event without its link or a link without its event.
            curs.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            curs.execute(
                self._sql(
                    "SELECT notification_id, originator_id::text AS oid, originator_version, "
                    "topic, state FROM {events} "
                    "WHERE notification_id > %s AND notification_id <= %s "
                    "ORDER BY notification_id"
                ),
                (after, upto),
            )
            events = [
                (
                    row["notification_id"],
                    row["oid"],
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]
            curs.execute(
                self._sql(
                    "SELECT * FROM {chain} WHERE position > %s AND position <= %s ORDER BY position"
                ),
                (after, upto),
            )
            links = [link_row(row) for row in curs.fetchall()]
            head = self._read_head(curs)
            curs.execute(
                self._sql(
                    "SELECT GREATEST((SELECT MAX(notification_id) FROM {events}), "
                    "(SELECT MAX(position) FROM {chain})) AS last"
                )
            )
            row = curs.fetchone()
            last = max(head.position, (row["last"] if row else None) or 0)
        return RangePage(events, links, head if head.number else None, last)

    def find_link(self, originator_id: str, version: int) -> Link | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self._sql(
                    "SELECT * FROM {chain} WHERE originator_id = %s AND originator_version = %s"
                ),
                (originator_id, version),
            )
            row = curs.fetchone()
        return link_row(row) if row is not None else None

    def find_link_number(self, number: int) -> Link | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._sql("SELECT * FROM {chain} WHERE number = %s"), (number,))
            row = curs.fetchone()
        return link_row(row) if row is not None else None

    def find_event_position(self, originator_id: str, version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                self._sql(
                    "SELECT notification_id FROM {events} "
                    "WHERE originator_id = %s AND originator_version = %s"
                ),
                (UUID(originator_id), version),
            )
            row = curs.fetchone()
        return int(row["notification_id"]) if row is not None else None


class ChainedPostgresFactory(PostgresFactory):
    application_recorder_class = ChainedPostgresApplicationRecorder
