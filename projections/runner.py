"""Feeds the read models from the event store's notification log, exactly once.

The log is read in pages from each projection's tracked position (the SQLite recorder
cannot push new events, so pulling serves both databases). Each page's read-model
changes and the new positions are committed in one transaction, and a position only
moves if nobody else moved it first, so concurrent runners never apply an event twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from sqlalchemy import Engine, bindparam, select, update

from config.logging import get_logger
from projections.projectors import Projection, all_projections
from projections.schema import positions

log = get_logger(__name__)

Progress = Callable[[int, int], None]


# Moves the positions of the named projections, if they are still where this runner
# last saw them.
_MOVE = (
    update(positions)
    .where(
        positions.c.name.in_(bindparam("names", expanding=True)),
        positions.c.position == bindparam("since"),
    )
    .values(position=bindparam("last"))
)


class PositionMoved(Exception):
    """Another runner advanced a projection first; this batch was rolled back."""


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
    ) -> None:
        self.app = app
        self.engine = engine
        self.projections = list(projections or all_projections())
        self.page_size = page_size
        # Positions as this runner last committed them. The compare-and-set in _commit
        # proves they are still current; when another runner moved one, they are re-read.
        self._known: dict[str, int] | None = None
        self._positions_ready = False

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
        with self.engine.connect() as conn:
            rows = conn.execute(select(positions.c.name, positions.c.position)).all()
        found = {name: pos for name, pos in rows}
        return {p.name: found.get(p.name, 0) for p in self.projections}

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        return [ProjectionStatus(n, pos, head) for n, pos in self.positions().items()]

    def ensure_positions(self) -> None:
        if self._positions_ready:
            return
        with self.engine.begin() as conn:
            have = {r[0] for r in conn.execute(select(positions.c.name))}
            missing = [
                {"name": p.name, "position": 0} for p in self.projections if p.name not in have
            ]
            if missing:
                # Another runner may be adding the same rows at this moment.
                # The PostgreSQL dialect's module loads only for PostgreSQL.
                dialect = import_module(f"sqlalchemy.dialects.{conn.dialect.name}")
                conn.execute(dialect.insert(positions).values(missing).on_conflict_do_nothing())
        self._positions_ready = True

    def catch_up(
        self,
        names: Sequence[str] | None = None,
        progress: Progress | None = None,
        max_pages: int | None = None,
    ) -> int:
        """Apply every event not yet applied; returns how many events were applied."""
        chosen = self._select(names)
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
                break
            batch = [(n.id, self.app.mapper.to_domain_event(n)) for n in notifications]
            last = notifications[-1].id
            try:
                self._commit(chosen, current, batch, last)
            except PositionMoved:
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

    def apply_recorded(self, recordings: Sequence[Any]) -> int:
        """Bring the read models up to date after a save in this process.

        When this runner is exactly at the position before what was just recorded, the
        events are applied from memory, without reading them back; otherwise, or if
        another runner got there first, it catches up from the log."""
        ids = [r.notification.id for r in recordings]
        known = self._known
        if (
            known is None
            or not ids
            or ids != list(range(ids[0], ids[0] + len(ids)))
            or any(pos != ids[0] - 1 for pos in known.values())
        ):
            return self.catch_up()
        batch = [(r.notification.id, r.domain_event) for r in recordings]
        try:
            self._commit(self.projections, known, batch, ids[-1])
        except PositionMoved:
            self._forget()
            return self.catch_up()
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
        due = [p for p in chosen if current[p.name] < last]
        with self.engine.begin() as conn:
            # One compare-and-set for the projections at the same position (usually all).
            for since in sorted({current[p.name] for p in due}):
                names = [p.name for p in due if current[p.name] == since]
                result = conn.execute(_MOVE, {"names": names, "since": since, "last": last})
                if result.rowcount != len(names):
                    raise PositionMoved(", ".join(names))
            for p in due:
                since = current[p.name]
                mine = batch if batch[0][0] > since else [(q, e) for q, e in batch if q > since]
                if mine:
                    p.apply_batch(conn, mine)

    def _forget(self) -> None:
        self._known = None
        for p in self.projections:
            p.forget()

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Clear the chosen projections and replay every event into them."""
        chosen = self._select(names)
        self.ensure_positions()
        self._forget()
        with self.engine.begin() as conn:
            for p in chosen:
                for table in p.tables:
                    conn.execute(table.delete())
                conn.execute(update(positions).where(positions.c.name == p.name).values(position=0))
        # Larger pages mean fewer, larger transactions while replaying everything.
        page_size, self.page_size = self.page_size, max(self.page_size, 5000)
        try:
            return self.catch_up([p.name for p in chosen], progress=progress)
        finally:
            self.page_size = page_size
