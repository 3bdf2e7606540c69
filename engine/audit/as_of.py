"""A plan as the system knew it at a moment, or as it was on a date as far as the record
knows now: replayed views, shown by the same dashboard code as the current plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from domain.clock import london
from domain.errors import NotFound
from domain.ids import plan_id
from engine.audit import timeline
from engine.audit.replay import Replayed, read_events, replay, replay_effective
from engine.runtime import Runtime
from projections import queries
from projections.dashboard import plan_document
from projections.reducer import apply_event
from projections.store import MemoryViewStore
from projections.views import View


def london_day(moment: datetime) -> date:
    return moment.astimezone(london()).date()


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=london()).astimezone(UTC)


def plan_views(store: MemoryViewStore, pid: str) -> tuple[View, list[View], list[View], list[View]]:
    plan = store.get("plan", pid)
    assert plan is not None
    mine = [v for v in store.all("action") if v["plan_id"] == pid]
    items = [v for v in store.all("item") if v["plan_id"] == pid]
    periods = [v for v in store.all("period") if v["plan_id"] == pid]
    return (
        plan,
        sorted(mine, key=lambda a: queries.natural_key(a["ref"])),
        sorted(items, key=lambda i: i["key"]),
        sorted(periods, key=lambda p: p["period"]),
    )


def document(store: MemoryViewStore, pid: str, today: date) -> dict[str, Any]:
    plan, actions, items, periods = plan_views(store, pid)
    return plan_document(plan, actions, items, periods, today)


def _known_plan(rt: Runtime, slug: str) -> str:
    rt.catch_up()
    return str(queries.plan(rt.engine, slug)["id"])


def replayed_as_of(rt: Runtime, slug: str, moment: datetime) -> Replayed:
    pid = _known_plan(rt, slug)
    with rt.engine.connect() as conn:
        seq = timeline.last_seq_known_at(conn, pid, moment)
        if seq == 0:
            raise NotFound(f"plan '{slug}' had not been registered by {moment.isoformat()}")
        return replay(conn, rt.app, pid, seq)


def document_as_of(rt: Runtime, slug: str, moment: datetime) -> dict[str, Any]:
    """The plan exactly as shown at the moment: its events recorded by then, and the RAG
    computed for that moment's date in London."""
    replayed = replayed_as_of(rt, slug, moment)
    doc = document(replayed.store, str(plan_id(slug)), london_day(moment))
    doc["replay"] = _meta("recorded", moment.isoformat(), replayed)
    return doc


def document_effective(rt: Runtime, slug: str, day: date) -> dict[str, Any]:
    """The plan as it was on the day, as far as everything recorded since tells."""
    pid = _known_plan(rt, slug)
    with rt.engine.connect() as conn:
        replayed = replay_effective(conn, rt.app, pid, day, end_of_day(day))
    if replayed.store.get("plan", pid) is None:
        raise NotFound(f"plan '{slug}' had not been registered by {day.isoformat()}")
    doc = document(replayed.store, pid, day)
    doc["replay"] = _meta("effective", day.isoformat(), replayed)
    return doc


def _meta(mode: str, at: str, r: Replayed) -> dict[str, Any]:
    return {
        "mode": mode,
        "at": at,
        "position": r.seq,
        "events": r.events,
        "from_snapshot": r.from_snapshot,
        "replayed": r.replayed,
        "unplaced": [
            {"seq": u.seq, "kind": u.kind, "recorded_at": u.recorded_at} for u in r.unplaced
        ],
    }


def views_for_period_end(rt: Runtime, slug: str, last_day: date) -> tuple[View, list[View]]:
    """The plan and its action views as the record holds them now for the last day of a
    period: every event recorded so far, less those dated after the day (a completion,
    rating, milestone or reading whose effective date is later, and anything about a
    thing that only came about later). Events that name no date count as recorded, so
    updates made after the day for the period (in the first days of the next) are in,
    and a plan imported years later still has its history placed by its own dates."""
    pid = _known_plan(rt, slug)
    store = MemoryViewStore()
    later: set[str] = set()
    chosen = []
    with rt.engine.connect() as conn:
        for row in timeline.rows_between(conn, pid, 0, None):
            if row.originator_id in later:
                continue
            if row.effective_on and row.effective_on[:10] > last_day.isoformat():
                if row.version == 1:
                    later.add(row.originator_id)
                continue
            chosen.append(row)
    for _row, event in read_events(rt.app, chosen):
        try:
            apply_event(store, event)
        except (AssertionError, KeyError, IndexError, TypeError):
            # An event that builds on one dated later cannot be placed on the day.
            continue
    plan, actions, _items, _periods = plan_views(store, pid)
    return plan, actions
