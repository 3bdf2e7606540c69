"""Replaying a plan's events through the read models' own reducer, in memory.

The history table says which events (aggregate and version) make up the plan and in which
order; the events themselves are read from the event store, a range of versions per
aggregate, so a replay reads only the plan's events and only those it needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection

from domain.errors import DomainError
from engine.adapters.eventstore.chain import id_text
from engine.audit import snapshots, timeline
from projections.reducer import apply_event
from projections.store import MemoryViewStore

CHUNK = 1000
# Read a chunk's whole span of the log when at least 1 in DENSE of its events is the plan's.
DENSE = 4


class RecordIncomplete(DomainError):
    """The history names an event the event store does not hold."""


@dataclass
class Replayed:
    store: MemoryViewStore
    seq: int = 0  # position of the last event included
    events: int = 0  # how many of the plan's events the views include
    from_snapshot: int = 0  # position of the snapshot started from; 0: the first event
    replayed: int = 0  # events read and applied by this replay
    # Events an effective-date replay could not place (they build on something later).
    unplaced: list[timeline.Row] = field(default_factory=list)


def read_events(app: Any, rows: Sequence[timeline.Row]) -> Iterator[tuple[timeline.Row, Any]]:
    """The domain events for history rows, in the rows' order, a chunk at a time."""
    for row, stored in read_stored(app, rows):
        yield row, app.mapper.to_domain_event(stored)


def read_stored(app: Any, rows: Sequence[timeline.Row]) -> Iterator[tuple[timeline.Row, Any]]:
    """The stored events for history rows, as the event store holds them, in the rows'
    order, a chunk at a time."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        span = chunk[-1].seq - chunk[0].seq + 1
        # Where the plan's events are most of the log, one range read beats a read per
        # aggregate; where other plans' events dominate, reading them would cost more.
        stored = (
            _by_range(app, chunk, span) if span <= DENSE * len(chunk) else _by_aggregate(app, chunk)
        )
        for r in chunk:
            s = stored.get((r.originator_id, r.version))
            if s is None:
                raise RecordIncomplete(
                    f"the history names event {r.seq} (aggregate {r.originator_id} version "
                    f"{r.version}) but the event store does not hold it; run 'actiontrail "
                    "verify' and 'actiontrail projections rebuild'"
                )
            yield r, s


def _by_aggregate(app: Any, chunk: Sequence[timeline.Row]) -> dict[tuple[str, int], Any]:
    ranges: dict[str, tuple[int, int]] = {}
    for r in chunk:
        lo, hi = ranges.get(r.originator_id, (r.version, r.version))
        ranges[r.originator_id] = (min(lo, r.version), max(hi, r.version))
    stored: dict[tuple[str, int], Any] = {}
    for oid, (lo, hi) in ranges.items():
        for s in app.recorder.select_events(UUID(oid), gt=lo - 1, lte=hi):
            stored[(oid, s.originator_version)] = s
    return stored


def _by_range(app: Any, chunk: Sequence[timeline.Row], span: int) -> dict[tuple[str, int], Any]:
    wanted = {r.seq: (r.originator_id, r.version) for r in chunk}
    stored: dict[tuple[str, int], Any] = {}
    for n in app.recorder.select_notifications(start=chunk[0].seq, stop=chunk[-1].seq, limit=span):
        key = wanted.get(n.id)
        # The position must hold the event the history says it does.
        if key is not None and key == (id_text(n.originator_id), n.originator_version):
            stored[key] = n
    return stored


def replay(
    conn: Connection, app: Any, plan_id: str, up_to: int, *, use_snapshots: bool = True
) -> Replayed:
    """The plan's views after every one of its events up to a position."""
    snap = snapshots.latest(conn, plan_id, up_to) if use_snapshots else None
    result = Replayed(store=snap.store if snap else MemoryViewStore())
    if snap is not None:
        result.seq, result.events, result.from_snapshot = snap.seq, snap.events, snap.seq
    rows = timeline.rows_between(conn, plan_id, result.seq, up_to)
    for row, event in read_events(app, rows):
        apply_event(result.store, event)
        result.seq = row.seq
        result.events += 1
        result.replayed += 1
    return result


def replay_effective(
    conn: Connection, app: Any, plan_id: str, day: date, day_ends: datetime
) -> Replayed:
    """The plan's views with every event recorded so far, less those that had not happened
    by the end of the day (see docs/audit.md for the rule)."""
    first_later = timeline.first_seq_after_day(conn, plan_id, day, day_ends)
    # Up to the first event that had not happened yet, every event counts, so the
    # snapshot before it can stand in for them.
    snap = snapshots.latest(conn, plan_id, first_later - 1 if first_later else None)
    result = Replayed(store=snap.store if snap else MemoryViewStore())
    if snap is not None:
        result.seq, result.events, result.from_snapshot = snap.seq, snap.events, snap.seq
    not_yet: set[str] = set()
    chosen = []
    for row in timeline.rows_between(conn, plan_id, result.seq, None):
        if row.originator_id in not_yet:
            continue
        if not timeline.happened_by(row, day, day_ends):
            if row.version == 1:
                # Nothing about a thing counts before the thing itself does.
                not_yet.add(row.originator_id)
            continue
        chosen.append(row)
    for row, event in read_events(app, chosen):
        try:
            apply_event(result.store, event)
        except (AssertionError, KeyError, IndexError, TypeError):
            result.unplaced.append(row)
            continue
        result.seq = max(result.seq, row.seq)
        result.events += 1
        result.replayed += 1
    return result
