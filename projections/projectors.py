"""The projections the runner keeps: each turns a batch of events into read-model rows."""

from __future__ import annotations

from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, Table, select

from domain.action import Action
from domain.governance import GovernanceItem
from domain.plan import Plan
from domain.users import User
from projections.deadlines import Row, replace_deadlines
from projections.outbox import OutboxProjection
from projections.reducer import apply_event, event_kind
from projections.schema import deadlines, history, subjects, views
from projections.store import SqlViewStore, insert_rows, upsert
from projections.views import id_text, moment_text

# The history's plan for events that belong to no plan (users).
NO_PLAN = ""

# Attributes every event has, and those the history keeps in columns of their own; the
# rest is the event's data.
_NOT_DATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor",
     "reason", "effective_on"}
)  # fmt: skip


class Projection(Protocol):
    name: str
    tables: tuple[Table, ...]

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None: ...

    def forget(self) -> None:
        """Drop what is remembered between batches: another writer may have moved on."""


class ViewsProjection:
    """Current plans, actions, governance items, users and closed periods, and the
    deadlines that follow from the actions."""

    name = "views"
    tables: tuple[Table, ...] = (views, deadlines)

    def __init__(self) -> None:
        # Views, and each action's deadline rows, as this runner last wrote them: valid
        # while no other runner writes, which the runner's compare-and-set on positions
        # proves before each batch.
        self.cache: dict[tuple[str, str], Any] = {}
        self.deadlines: dict[str, list[Row]] = {}

    def forget(self) -> None:
        self.cache = {}
        self.deadlines = {}

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None:
        if len(self.cache) > 50_000:
            self.forget()
        store = SqlViewStore(conn, self.cache)
        for _, event in batch:
            apply_event(store, event)
        changed = [store.cache[k] for k in store.dirty if k[0] == "action"]
        store.flush()
        replace_deadlines(conn, [v for v in changed if v is not None], self.deadlines)


def event_data(event: Any) -> str:
    """The event's own data as JSON text: dates and ids as ISO strings and text."""
    # A copy less what is not data keeps the attributes' order, and costs less than
    # choosing them one by one.
    data = event.__dict__.copy()
    for name in _NOT_DATA:
        data.pop(name, None)
    return orjson.dumps(data, default=_as_text, option=orjson.OPT_NON_STR_KEYS).decode()


def _as_text(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def subject_of(event: Any) -> tuple[list[str], str | None]:
    """(plan ids, label) for the aggregate an event's creation names.

    An aggregate created with ``plan_ids`` (a reminder digest) belongs to each plan."""
    match event:
        case Plan.Registered():
            return [str(event.originator_id)], f"plan {event.slug}"
        case Action.Added():
            return [str(event.plan_id)], event.ref
        case GovernanceItem.Opened():
            return [str(event.plan_id)], event.key
        case User.Registered():
            return [NO_PLAN], f"user {event.email}"
    plan_ids = getattr(event, "plan_ids", None)
    if plan_ids:
        plans = [str(p) for p in plan_ids]
    else:
        plan_id = getattr(event, "plan_id", None)
        plans = [str(plan_id) if plan_id else NO_PLAN]
    return plans, getattr(event, "subject", None)


class HistoryProjection:
    """Every event in order, with who, when, what and why; also the time index."""

    name = "history"
    tables: tuple[Table, ...] = (history, subjects)

    def __init__(self) -> None:
        # What each aggregate is about never changes, so it is remembered across batches.
        self.known: dict[str, tuple[list[str], str | None]] = {}

    def forget(self) -> None:
        self.known = {}

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None:
        if len(self.known) > 100_000:
            self.known.clear()
        known = self.known
        new_subjects = []
        rows: list[tuple[Any, ...]] = []
        for seq, event in batch:
            oid = id_text(event.originator_id)
            if event.originator_version == 1:
                known[oid] = subject_of(event)
                new_subjects += [
                    {"originator_id": oid, "plan_id": p, "label": known[oid][1]}
                    for p in known[oid][0]
                ]
            elif oid not in known:
                found = conn.execute(
                    select(subjects.c.plan_id, subjects.c.label).where(
                        subjects.c.originator_id == oid
                    )
                ).all()
                known[oid] = ([r[0] for r in found], found[0][1]) if found else subject_of(event)
            plan_ids, label = known[oid]
            effective = getattr(event, "effective_on", None)
            # In the order of HISTORY_COLUMNS, after the seq and the plan id.
            common = (
                oid,
                event.originator_version,
                label,
                event_kind(event),
                getattr(event, "actor", None),
                moment_text(event.timestamp),
                effective.isoformat() if effective else None,
                getattr(event, "reason", None),
                event_data(event),
            )
            if len(plan_ids) == 1:
                rows.append((seq, plan_ids[0], *common))
            else:
                rows += [(seq, p, *common) for p in plan_ids]
        upsert(conn, subjects, new_subjects, ["originator_id", "plan_id"])
        insert_rows(conn, history, HISTORY_COLUMNS, rows)


HISTORY_COLUMNS = ("seq", "plan_id", "originator_id", "originator_version", "subject", "kind",
                   "actor", "recorded_at", "effective_on", "reason", "data")  # fmt: skip


def all_projections() -> list[Projection]:
    return [ViewsProjection(), HistoryProjection(), OutboxProjection()]
