"""The read path: a command that only reads a SQLite store whose read models are current
reads them through one bare ``sqlite3`` connection, without opening the runtime.

Every write applies its own events to the read models before it returns, so they are
nearly always at the event log's head; then `actiontrail show` needs neither the
application, nor the projection runner, nor SQLAlchemy (whose import alone costs a
quarter of a second, more than the rest of the command). When they lag behind (another
process wrote without applying its events) or the store is not a SQLite file that
exists, the caller opens the runtime instead, which catches them up first.
"""

from __future__ import annotations

import sqlite3

from config.settings import Settings
from engine.adapters.database import Database
from projections.reading import positions

# The read models the runner keeps (projections.projectors.all_projections and the
# audit's snapshots), by the names of their tracking records; a test holds this to the
# runner's own list.
READ_MODELS = ("views", "history", "outbox", "snapshots")

# ActionTrail.name: the event store's settings, and its tracking records, go by it.
APPLICATION_NAME = "ActionTrail"

# The event store's table (the library's own name: eventsourcing.sqlite.SQLiteFactory
# names it "stored_" + "events"); a test holds this to the recorder the runtime opens.
EVENTS_TABLE = "stored_events"


def current_read_models(settings: Settings) -> sqlite3.Connection | None:
    """A connection in a read transaction on the store's read models, when the store is
    a SQLite file whose read models have applied every event recorded; otherwise None.
    Every query on the connection reads the same moment, the one the check saw."""
    db = Database.from_url(settings.database_url)
    if db.kind != "sqlite" or db.path is None or not db.path.is_file():
        return None
    conn = sqlite3.connect(db.path, timeout=30, isolation_level=None)
    try:
        # A read transaction: its snapshot is taken by the first read and kept until
        # the connection closes, so the read models cannot move on under the command.
        conn.execute("BEGIN")
        (head,) = conn.execute(f"SELECT MAX(rowid) FROM {EVENTS_TABLE}").fetchone()
        reached = positions(conn, APPLICATION_NAME, READ_MODELS)
    except sqlite3.Error:
        # Not a store this version has opened yet (or not one at all): the runtime
        # makes what is missing, or says what is wrong.
        conn.close()
        return None
    if all(reached[name] >= (head or 0) for name in READ_MODELS):
        return conn
    conn.close()
    return None
