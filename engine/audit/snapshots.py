"""Snapshots of each plan's views every so many of its events, kept as a projection.

A snapshot is the in-memory views of the plan (projections.store.MemoryViewStore) after a
given event, made by replaying the plan from the snapshot before it. It is only ever a
short cut: a plan as of a moment replays from the nearest snapshot at or before that
moment, and gets the same answer as a replay from the plan's first event.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, select

import projections.reducer
import projections.views
from engine.audit import timeline
from engine.audit.schema import view_snapshots
from projections.projectors import NO_PLAN, subject_of
from projections.schema import subjects, tracking, views
from projections.store import MemoryViewStore
from projections.views import id_text

# A plan's views are saved once this many of its events have been recorded since the
# last snapshot: replaying about as many events costs a few tens of milliseconds.
SNAPSHOT_EVERY = 1000

# Bumped when the way snapshots are encoded changes.
_FORMAT = b"views-1"


@cache
def reducer_fingerprint() -> str:
    """Which rules made a snapshot: the reducer and the views it builds. A snapshot made
    by other rules would replay to a different answer, so it is not used."""
    digest = hashlib.sha256(_FORMAT)
    for module in (projections.reducer, projections.views):
        source = getattr(module, "__file__", None)
        digest.update(Path(source).read_bytes() if source else module.__name__.encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Snapshot:
    plan_id: str
    seq: int
    events: int
    store: MemoryViewStore


def encode(store: MemoryViewStore) -> bytes:
    items = [[kind, key, view] for (kind, key), view in store.data.items()]
    return zlib.compress(json.dumps(items, separators=(",", ":")).encode("utf-8"), 1)


def decode(data: bytes) -> MemoryViewStore:
    store = MemoryViewStore()
    for kind, key, view in json.loads(zlib.decompress(data)):
        store.data[(kind, key)] = view
    return store


def latest(conn: Connection, plan_id: str, up_to: int | None = None) -> Snapshot | None:
    """The plan's latest snapshot at or before a position."""
    q = select(view_snapshots).where(
        view_snapshots.c.plan_id == plan_id, view_snapshots.c.reducer == reducer_fingerprint()
    )
    if up_to is not None:
        q = q.where(view_snapshots.c.seq <= up_to)
    row = conn.execute(q.order_by(view_snapshots.c.seq.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    return Snapshot(plan_id, int(row["seq"]), int(row["events"]), decode(bytes(row["views"])))


def latest_seq(conn: Connection, plan_id: str) -> tuple[int, int]:
    """(seq, events) of the plan's latest snapshot, without reading its views."""
    row = conn.execute(
        select(view_snapshots.c.seq, view_snapshots.c.events)
        .where(
            view_snapshots.c.plan_id == plan_id,
            view_snapshots.c.reducer == reducer_fingerprint(),
        )
        .order_by(view_snapshots.c.seq.desc())
        .limit(1)
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def save(conn: Connection, plan_id: str, seq: int, events: int, encoded: bytes) -> None:
    conn.execute(
        delete(view_snapshots).where(
            view_snapshots.c.plan_id == plan_id,
            view_snapshots.c.reducer == reducer_fingerprint(),
            view_snapshots.c.seq == seq,
        )
    )
    conn.execute(
        view_snapshots.insert().values(
            plan_id=plan_id,
            reducer=reducer_fingerprint(),
            seq=seq,
            events=events,
            views=encoded,
        )
    )


def current_views(conn: Connection, plan_id: str) -> bytes:
    """The plan's rows of the views read model, encoded as ``encode`` encodes the
    reducer's in-memory views. The read model keeps each view as the JSON ``encode``
    writes (projections.store), so the rows go in as they are, not decoded and encoded
    again: a plan of thousands of actions is snapshotted on import."""
    rows = conn.execute(
        select(views.c.kind, views.c.key, views.c.doc).where(views.c.plan_id == plan_id)
    )
    body = ",".join(f"[{json.dumps(kind)},{json.dumps(key)},{doc}]" for kind, key, doc in rows)
    return zlib.compress(f"[{body}]".encode(), 1)


class SnapshotProjection:
    """Keeps snapshots as events arrive.

    Runs after the history projection, in the same transaction, so the history rows of
    the batch are there to replay from. What it remembers between batches (each plan's
    count of events since its last snapshot) is dropped whenever another runner may have
    moved on; which plan an aggregate belongs to never changes, so that is kept."""

    name = "snapshots"
    tables: tuple[Table, ...] = (view_snapshots,)

    def __init__(self, app: Any, every: int = SNAPSHOT_EVERY) -> None:
        self.app = app
        self.every = every
        self.plans_of: dict[str, list[str]] = {}
        self.pending: dict[str, int] = {}

    def forget(self) -> None:
        self.pending = {}

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None:
        if len(self.plans_of) > 100_000:
            self.plans_of = {}
        counts: dict[str, int] = {}
        last: dict[str, int] = {}
        plans_of = self.plans_of
        for seq, event in batch:
            # The lookup of _plans, inline: this runs for every event of a rebuild.
            plans = plans_of.get(id_text(event.originator_id))
            if plans is None:
                plans = self._plans(conn, event)
            for plan_id in plans:
                counts[plan_id] = counts.get(plan_id, 0) + 1
                last[plan_id] = seq
        for plan_id, added in counts.items():
            if plan_id in self.pending:
                self.pending[plan_id] += added
            else:
                since, _ = latest_seq(conn, plan_id)
                self.pending[plan_id] = timeline.count_between(conn, plan_id, since, last[plan_id])
            if self.pending[plan_id] >= self.every:
                self._snapshot(conn, plan_id, batch[-1][0], last[plan_id])
                self.pending[plan_id] = 0

    def _snapshot(self, conn: Connection, plan_id: str, batch_end: int, plan_last: int) -> None:
        from engine.audit.replay import replay

        views_at = conn.execute(
            select(tracking.c.notification_id).where(
                tracking.c.projection == "views", tracking.c.application_name == self.app.name
            )
        ).scalar_one_or_none()
        if views_at == batch_end:
            # The views projection has applied exactly the events up to the end of this
            # batch, in this transaction: its rows are the plan's views at that point, so
            # they need not be replayed again.
            encoded = current_views(conn, plan_id)
            since, events = latest_seq(conn, plan_id)
            count = events + timeline.count_between(conn, plan_id, since, batch_end)
            save(conn, plan_id, batch_end, count, encoded)
            return
        replayed = replay(conn, self.app, plan_id, up_to=plan_last)
        save(conn, plan_id, plan_last, replayed.events, encode(replayed.store))

    def _plans(self, conn: Connection, event: Any) -> list[str]:
        oid = id_text(event.originator_id)
        plans = self.plans_of.get(oid)
        if plans is None:
            if event.originator_version == 1:
                plans = subject_of(event)[0]
            else:
                plans = (
                    list(
                        conn.execute(
                            select(subjects.c.plan_id).where(subjects.c.originator_id == oid)
                        ).scalars()
                    )
                    or subject_of(event)[0]
                )
            plans = [p for p in plans if p != NO_PLAN]
            self.plans_of[oid] = plans
        return plans
