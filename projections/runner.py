"""Feeds every read model from the event store's notification log, exactly once.

One runner serves all the projections: the views, the history, the view snapshots and
the reminders outbox. The log is read in pages from the projections' tracked positions
(the library's SQLite recorder cannot push new events, so its own projection runner,
which subscribes, cannot serve SQLite; pulling serves both databases). Each page's
read-model changes and the projections' tracking records are committed in one
transaction, and a tracking record only moves if nobody else moved it first, so
concurrent runners never apply an event twice (projections.tracking).

A command's own events are applied as they are recorded, in the same transaction as the
events (``record``): one commit per command, and a reader never sees the events without
their read models. Where the events are kept apart from the read models (in memory),
they are applied just after the events are stored.

Because every event recorded by anyone passes through the runner, it also knows which
aggregates this process holds current copies of (``FreshAggregates``): those it saved
itself, or read, since the runner last saw the log, and that no event seen since has
changed. A command may read those from the application's cache without asking the
store, provided its ``record`` then proves, in its own transaction, that nothing was
recorded since (``read_at``); otherwise ``StaleReads`` and nothing is recorded.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking
from sqlalchemy import Connection, Engine

from config.logging import get_logger
from projections.freshness import FreshAggregates, StaleReads
from projections.projectors import Projection, all_projections
from projections.tracking import ReadModelTracking, TrackingMoved

log = get_logger(__name__)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class ProjectionRunner:
    def __init__(
        self,
        app: Any,
        engine: Engine,
        projections: Sequence[Projection] | None = None,
        page_size: int = 1000,
        *,
        shares_transaction: bool = False,
    ) -> None:
        self.app = app
        self.engine = engine
        # Whether the event store can record in a transaction of the read models' engine
        # (the same database): the recorder's ``connection`` argument.
        self.shares_transaction = shares_transaction
        self.projections = list(projections or all_projections())
        self.page_size = page_size
        self.tracking = ReadModelTracking(engine, app.name, self.names())
        # Positions as this runner last committed them. The compare-and-set on the
        # tracking records proves they are still current; when another runner moved
        # one, they are read again.
        self._known: dict[str, int] | None = None
        # The projections remember things between batches: one batch at a time.
        self._lock = threading.RLock()
        self.fresh = FreshAggregates()

    def names(self) -> list[str]:
        return [p.name for p in self.projections]

    def _select(self, names: Sequence[str] | None) -> list[Projection]:
        if not names:
            return self.projections
        unknown = set(names) - set(self.names())
        if unknown:
            raise KeyError(
                f"no projection named {', '.join(sorted(unknown))} "
                f"(known: {', '.join(self.names())})"
            )
        return [p for p in self.projections if p.name in names]

    def positions(self) -> dict[str, int]:
        return self.tracking.positions()

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        return [ProjectionStatus(n, pos, head) for n, pos in self.positions().items()]

    def ensure_positions(self) -> None:
        self.tracking.ensure()

    def settled(self) -> int | None:
        """Where every read model stands, when this runner knows it and they all stand
        at the same place and commands are applied in their own transaction: the
        position that reads of ``fresh`` aggregates are current at. Otherwise None."""
        known = self._known
        if not self.shares_transaction or not known:
            return None
        positions = set(known.values())
        return positions.pop() if len(positions) == 1 else None

    def catch_up(
        self,
        names: Sequence[str] | None = None,
        progress: Progress | None = None,
        max_pages: int | None = None,
    ) -> int:
        """Apply every event not yet applied; returns how many events were applied."""
        with self._lock:
            return self._catch_up(self._select(names), progress, max_pages)

    def _catch_up(
        self, chosen: list[Projection], progress: Progress | None, max_pages: int | None
    ) -> int:
        self.ensure_positions()
        applied = 0
        pages = 0
        head = self.head() if progress else 0
        while max_pages is None or pages < max_pages:
            current = self._known if self._known is not None else self.positions()
            start = min(current[p.name] for p in chosen)
            notifications = self.app.recorder.select_notifications(
                start=start, limit=self.page_size, inclusive_of_start=False
            )
            if not notifications:
                # Nothing more to apply: where the tracking records stand is known.
                self._known = current
                break
            to_domain_event = self.app.mapper.to_domain_event
            batch = [(n.id, to_domain_event(n)) for n in notifications]
            self.fresh.changed(e.originator_id for _, e in batch)
            last = notifications[-1].id
            try:
                self._commit(chosen, current, batch, last)
            except TrackingMoved:
                log.info("projection.position_moved", start=start)
                self._forget()
                continue
            except BaseException:
                self._forget()
                raise
            self._known = {**current, **{p.name: last for p in chosen}}
            applied += len(batch)
            pages += 1
            if progress:
                progress(last, max(head, last))
            if len(notifications) < self.page_size:
                break
        return applied

    def record(
        self,
        save: Callable[..., Sequence[Any]],
        *,
        read_at: int | None = None,
        saved: Callable[[int], None] | None = None,
    ) -> Sequence[Any]:
        """Record a command's events by calling ``save`` and bring the read models up
        to date with them: in the same transaction where the store allows it, so that
        a command commits once and no reader sees its events without their read models;
        if they cannot be written, nothing is recorded and the error is raised. When
        another process recorded since this runner last wrote, the events commit alone
        and the read models then catch up from the log, as after any other save.

        ``read_at``: the position the command's cached reads were current at. Unless the
        events follow it directly, with nothing recorded between, nothing is recorded
        and StaleReads is raised. ``saved`` is told the position the saved aggregates
        are current at, when their events were applied here in their own transaction
        (so that no other event can have passed the runner unseen meanwhile)."""
        if not self.shares_transaction:
            if read_at is not None:
                raise StaleReads("reads from the cache need the read models' transaction")
            recordings = save()
            self.apply_recorded(recordings)
            return recordings
        with self._lock:
            if read_at is not None and self.settled() != read_at:
                raise StaleReads(f"the read models moved on from {read_at}")
            if self._known is None:
                # The first command, or the first since another writer was seen: apply
                # what others recorded, and learn where the tracking records stand.
                self._catch_up(self.projections, None, None)
            known = self._known
            since = set(known.values()) if known else set()
            if known is None or len(since) != 1:
                recordings = save()
                self._catch_up(self.projections, None, None)
                return recordings
            try:
                recordings, applied = self._record_applied(
                    save, known, since.pop(), strict=read_at is not None
                )
            except BaseException:
                self._forget()
                raise
            if not applied:
                self._forget()
                self._catch_up(self.projections, None, None)
            elif saved is not None and recordings:
                saved(recordings[-1].notification.id)
            return recordings

    def _record_applied(
        self, save: Callable[..., Sequence[Any]], known: dict[str, int], since: int, strict: bool
    ) -> tuple[Sequence[Any], bool]:
        with self.engine.begin() as conn:
            recordings = save(connection=conn.connection.driver_connection)
            ids = [r.notification.id for r in recordings]
            if not ids:
                return recordings, True  # nothing recorded, nothing to apply
            if ids != list(range(since + 1, since + 1 + len(ids))):
                if strict:
                    raise StaleReads(f"events were recorded after {since}")
                # Another writer's events came in between: the log says what to apply.
                return recordings, False
            batch = [(r.notification.id, r.domain_event) for r in recordings]
            try:
                self._apply(conn, self.projections, known, batch, ids[-1])
            except TrackingMoved:
                if strict:
                    raise StaleReads("another runner moved the read models on") from None
                # Another runner moved the tracking records. Their move is the first
                # write and all or none, so nothing of the read models was written:
                # the events commit alone, and the log says what to apply.
                return recordings, False
        self._known = {name: ids[-1] for name in known}
        return recordings, True

    def apply_recorded(self, recordings: Sequence[Any]) -> int:
        """Bring the read models up to date after a save in this process.

        When this runner is exactly at the position before what was just recorded, the
        events are applied from memory, without reading them back; otherwise, or if
        another runner got there first, it catches up from the log."""
        with self._lock:
            ids = [r.notification.id for r in recordings]
            known = self._known
            if (
                known is None
                or not ids
                or ids != list(range(ids[0], ids[0] + len(ids)))
                or any(pos != ids[0] - 1 for pos in known.values())
            ):
                return self._catch_up(self.projections, None, None)
            batch = [(r.notification.id, r.domain_event) for r in recordings]
            try:
                self._commit(self.projections, known, batch, ids[-1])
            except TrackingMoved:
                self._forget()
                return self._catch_up(self.projections, None, None)
            except BaseException:
                self._forget()
                raise
            self._known = {name: ids[-1] for name in known}
            return len(batch)

    def _commit(
        self,
        chosen: list[Projection],
        current: dict[str, int],
        batch: list[tuple[int, Any]],
        last: int,
    ) -> None:
        with self.engine.begin() as conn:
            self._apply(conn, chosen, current, batch, last)

    def _apply(
        self,
        conn: Connection,
        chosen: list[Projection],
        current: dict[str, int],
        batch: list[tuple[int, Any]],
        last: int,
    ) -> None:
        """In the caller's transaction: move the tracking records and write the batch."""
        due = [p for p in chosen if current[p.name] < last]
        to = Tracking(self.app.name, last)
        # One compare-and-set for the projections at the same position (usually all).
        for since in sorted({current[p.name] for p in due}):
            names = [p.name for p in due if current[p.name] == since]
            self.tracking.move(conn, names, since, to)
        for p in due:
            since = current[p.name]
            mine = batch if batch[0][0] > since else [(q, e) for q, e in batch if q > since]
            if mine:
                p.apply_batch(conn, mine)

    def _forget(self) -> None:
        self._known = None
        self.fresh.reset()
        for p in self.projections:
            p.forget()

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Clear the chosen projections and replay every event into them."""
        with self._lock:
            chosen = self._select(names)
            self.ensure_positions()
            self._forget()
            with self.engine.begin() as conn:
                for p in chosen:
                    for table in p.tables:
                        conn.execute(table.delete())
                # In the same transaction as the delete: a rebuild stopped at any point
                # leaves read models that the next rebuild or catch-up starts from zero.
                self.tracking.reset(conn, [p.name for p in chosen])
            page_size, self.page_size = self.page_size, max(self.page_size, REBUILD_PAGE)
            try:
                with _collecting_less():
                    return self._catch_up(chosen, progress, None)
            finally:
                self.page_size = page_size


# Pages of a rebuild: fewer, larger transactions, each view encoded and written once a
# page, and still well within memory (a page of decoded events is some tens of MB).
REBUILD_PAGE = 10_000


@contextmanager
def _collecting_less() -> Iterator[None]:
    """Fewer runs of the cycle collector while a rebuild keeps views and pages in memory:
    with the default thresholds it scans them over and over, for a fifth of the time of
    a rebuild. What a rebuild allocates is freed by reference counting; cycles are still
    collected, only less often."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
