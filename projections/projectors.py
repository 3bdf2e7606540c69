"""The projections the runner keeps: each turns a batch of events into read-model rows."""

from __future__ import annotations

import json
from typing import Any, Protocol

from sqlalchemy import Connection, Table, select

from projections.reducer import apply_event, event_kind
from projections.schema import history, subjects, views
from projections.store import SqlViewStore, upsert
from projections.views import iso

# Attributes every event has; the rest is the event's data.
_COMMON = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}


class Projection(Protocol):
    name: str
    tables: tuple[Table, ...]

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None: ...


class ViewsProjection:
    """Current plans, actions, governance items, users and closed periods."""

    name = "views"
    tables = (views,)

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None:
        store = SqlViewStore(conn)
        for _, event in batch:
            apply_event(store, event)
        store.flush()


def event_data(event: Any) -> dict[str, Any]:
    return {
        k: iso(v)
        for k, v in event.__dict__.items()
        if k not in _COMMON and k not in ("reason", "effective_on")
    }


def subject_of(event: Any) -> tuple[str | None, str | None]:
    """(plan id, label) for the aggregate an event's creation names."""
    kind = event_kind(event)
    if kind == "Plan.Registered":
        return str(event.originator_id), f"plan {event.slug}"
    if kind == "Action.Added":
        return str(event.plan_id), event.ref
    if kind == "GovernanceItem.Opened":
        return str(event.plan_id), event.key
    if kind == "User.Registered":
        return None, f"user {event.email}"
    plan_id = getattr(event, "plan_id", None)
    return (str(plan_id) if plan_id else None), getattr(event, "subject", None)


class HistoryProjection:
    """Every event in order, with who, when, what and why; also the time index."""

    name = "history"
    tables = (history, subjects)

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None:
        known: dict[str, tuple[str | None, str | None]] = {}
        new_subjects = []
        rows = []
        for seq, event in batch:
            oid = str(event.originator_id)
            if event.originator_version == 1:
                known[oid] = subject_of(event)
                new_subjects.append(
                    {"originator_id": oid, "plan_id": known[oid][0], "label": known[oid][1]}
                )
            elif oid not in known:
                row = conn.execute(
                    select(subjects.c.plan_id, subjects.c.label).where(
                        subjects.c.originator_id == oid
                    )
                ).first()
                known[oid] = (row[0], row[1]) if row else subject_of(event)
            plan_id, label = known[oid]
            effective = getattr(event, "effective_on", None)
            rows.append(
                {
                    "seq": seq,
                    "plan_id": plan_id,
                    "originator_id": oid,
                    "originator_version": event.originator_version,
                    "subject": label,
                    "kind": event_kind(event),
                    "actor": getattr(event, "actor", None),
                    "recorded_at": event.timestamp.isoformat(),
                    "effective_on": effective.isoformat() if effective else None,
                    "reason": getattr(event, "reason", None),
                    "data": json.dumps(event_data(event), separators=(",", ":")),
                }
            )
        for i in range(0, len(new_subjects), 500):
            upsert(conn, subjects, new_subjects[i : i + 500], ["originator_id"])
        for i in range(0, len(rows), 500):
            conn.execute(history.insert(), rows[i : i + 500])


def all_projections() -> list[Projection]:
    return [ViewsProjection(), HistoryProjection()]
