"""The time index: which of a plan's events were recorded by a moment, or had happened by
a date, read from the event_history read model (the event store keeps timestamps inside
each event's serialized state, so it cannot be searched by time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from projections import queries
from projections.schema import history


@dataclass(frozen=True)
class Row:
    seq: int
    originator_id: str
    version: int
    kind: str
    recorded_at: str
    effective_on: str | None


def last_seq_known_at(conn: Connection, plan_id: str, moment: datetime) -> int:
    """How far the plan's log had got at the moment: the position of the last event
    recorded at or before it (0 when the plan had not been registered yet).

    Everything before that position was committed before it, so the system knew it then.
    One seek down the (plan_id, recorded_at) index, whatever the plan's size; only events
    recorded in the same instant are sorted by position."""
    last = conn.execute(
        select(history.c.seq)
        .where(history.c.plan_id == plan_id, history.c.recorded_at <= moment.isoformat())
        .order_by(history.c.recorded_at.desc(), history.c.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(last or 0)


def last_seq(conn: Connection, plan_id: str) -> int:
    found = conn.execute(
        select(func.max(history.c.seq)).where(history.c.plan_id == plan_id)
    ).scalar_one_or_none()
    return int(found or 0)


def rows_between(conn: Connection, plan_id: str, after: int, up_to: int | None) -> list[Row]:
    """The plan's events after one position, up to another, in log order."""
    q = (
        select(
            history.c.seq,
            history.c.originator_id,
            history.c.originator_version,
            history.c.kind,
            history.c.recorded_at,
            history.c.effective_on,
        )
        .where(history.c.plan_id == plan_id, history.c.seq > after)
        .order_by(history.c.seq)
    )
    if up_to is not None:
        q = q.where(history.c.seq <= up_to)
    return [Row(*r) for r in conn.execute(q)]


def count_between(conn: Connection, plan_id: str, after: int, up_to: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(history)
            .where(history.c.plan_id == plan_id, history.c.seq > after, history.c.seq <= up_to)
        ).scalar_one()
    )


def first_seq_after_day(
    conn: Connection, plan_id: str, day: date, day_ends: datetime
) -> int | None:
    """The first of the plan's events that had not happened by the end of the day: one
    effective later, or recorded later when it names no effective date."""
    effective_later = func.substr(history.c.effective_on, 1, 10) > day.isoformat()
    recorded_later = history.c.effective_on.is_(None) & (
        history.c.recorded_at > day_ends.isoformat()
    )
    found = conn.execute(
        select(func.min(history.c.seq)).where(
            history.c.plan_id == plan_id, effective_later | recorded_later
        )
    ).scalar_one_or_none()
    return int(found) if found is not None else None


def happened_by(row: Row, day: date, day_ends: datetime) -> bool:
    if row.effective_on:
        return row.effective_on[:10] <= day.isoformat()
    return row.recorded_at <= day_ends.isoformat()


def history_between(conn: Connection, plan_id: str, after: int, up_to: int) -> list[dict[str, Any]]:
    """The plan's history rows after one position and up to another, in the caller's
    transaction, without reading the rest of the plan."""
    return queries.history_rows(
        conn, {"id": plan_id}, queries.HistoryFilter(after_seq=after, up_to_seq=up_to)
    )
