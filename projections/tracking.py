"""The read models' store as the library's tracking recorder.

Each projection keeps one tracking record (eventsourcing.persistence.Tracking: the
application's name and the last notification id applied) in the read-model database,
and it is written in the same transaction as the read-model rows of the batch it
accounts for, so a batch is either applied and tracked or neither. A record only moves
if it is still where the writer last saw it (a compare-and-set), so two processes
feeding the same read models never apply an event twice.

As a ``TrackingRecorder``, the store answers for the read models together:
``max_tracking_id`` is the notification id every projection has reached, so
``has_tracking_id`` and ``wait`` say whether a reader would see a given event.

Stores written before the tracking records kept their positions in tables of their own
(``projection_positions``, and ``reminder_outbox_position`` for the outbox); opening
such a store moves their positions into the tracking records and drops those tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError, Tracking, TrackingRecorder
from sqlalchemy import Connection, Engine, inspect, select, text, update

from projections import reading
from projections.schema import tracking
from projections.store import insert_new

# The tables in which earlier versions kept positions: table -> (name, position) query.
_OLD_POSITIONS = {
    "projection_positions": "SELECT name, position FROM projection_positions",
    "reminder_outbox_position": "SELECT name, position FROM reminder_outbox_position",
}


class TrackingMoved(IntegrityError):
    """Another writer moved a projection's tracking record first: the batch written in
    the same transaction must be rolled back."""


class ReadModelTracking(TrackingRecorder):
    """Tracking records of the named projections of one application's events."""

    def __init__(self, engine: Engine, application_name: str, projections: Sequence[str]) -> None:
        self.engine = engine
        self.application_name = application_name
        self.projections = list(projections)
        self._ready = False

    def create_table(self) -> None:
        """Make the tracking table, taking over the positions of an older store."""
        with self.engine.begin() as conn:
            tracking.create(conn, checkfirst=True)
            found = inspect(conn)
            for table, query in _OLD_POSITIONS.items():
                if not found.has_table(table):
                    continue
                rows = conn.execute(text(query)).all()
                insert_new(conn, tracking, [self._row(name, int(pos)) for name, pos in rows])
                conn.execute(text(f"DROP TABLE IF EXISTS {table}"))

    def _row(self, name: str, notification_id: int) -> dict[str, object]:
        return {
            "projection": name,
            "application_name": self.application_name,
            "notification_id": notification_id,
        }

    def ensure(self) -> None:
        """A record at 0 for each projection that has none yet."""
        if self._ready:
            return
        with self.engine.begin() as conn:
            have = set(reading.tracked(conn, self.application_name))
            insert_new(conn, tracking, [self._row(n, 0) for n in self.projections if n not in have])
        self._ready = True

    def positions(self) -> dict[str, int]:
        """Each projection's last notification id applied (0 for none)."""
        return reading.positions(self.engine, self.application_name, self.projections)

    def move(self, conn: Connection, names: Sequence[str], since: int, to: Tracking) -> None:
        """In the caller's transaction: move the named projections from ``since`` to the
        tracked notification, all or none: if any of them is not at ``since``, none is
        moved and TrackingMoved is raised."""
        marks = ", ".join("?" for _ in names)
        sql = (
            f"UPDATE {tracking.name} SET notification_id = ? "
            f"WHERE application_name = ? AND notification_id = ? AND projection IN ({marks}) "
            f"AND (SELECT COUNT(*) FROM {tracking.name} WHERE application_name = ? "
            f"AND notification_id = ? AND projection IN ({marks})) = ?"
        )
        where = (to.application_name, since, *names)
        moved = reading.execute(conn, sql, (to.notification_id, *where, *where, len(names)))
        if moved != len(names):
            raise TrackingMoved(f"{', '.join(names)} moved past {since}")

    def reset(self, conn: Connection, names: Sequence[str]) -> None:
        """In the caller's transaction: the named projections back to the start."""
        conn.execute(
            update(tracking)
            .where(
                tracking.c.application_name == self.application_name,
                tracking.c.projection.in_(list(names)),
            )
            .values(notification_id=0)
        )

    # The library's interface

    def insert_tracking(self, tracking_record: Tracking) -> None:
        """Move every projection forward to the tracked notification (never back)."""
        self.ensure()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(tracking)
                .where(
                    tracking.c.application_name == tracking_record.application_name,
                    tracking.c.projection.in_(self.projections),
                    tracking.c.notification_id < tracking_record.notification_id,
                )
                .values(notification_id=tracking_record.notification_id)
            )
            if result.rowcount == 0:
                msg = (
                    f"Failed to record tracking for {tracking_record.application_name} "
                    f"{tracking_record.notification_id}"
                )
                raise IntegrityError(msg)

    def max_tracking_id(self, application_name: str) -> int | None:
        """The last notification id that every projection has applied, or None when a
        projection has applied none."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(tracking.c.projection, tracking.c.notification_id).where(
                    tracking.c.application_name == application_name,
                    tracking.c.projection.in_(self.projections),
                )
            ).all()
        found = {name: int(pos) for name, pos in rows}
        if any(not found.get(name) for name in self.projections):
            return None
        return min(found.values())
