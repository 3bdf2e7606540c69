"""What a report of one period is built from: the frozen record of a closed period, or
the live plan for the open one.

A closed period is read from what was recorded when it closed (its frozen actions,
lists and summary, and the plan replayed up to that moment), so its report comes out
the same however much is recorded afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from domain import clock
from domain.periods import Period
from domain.rag_rules import direction, format_date
from domain.values import Cadence, Rag
from engine.plans.closing import parse_period
from engine.reports.replay import PlanReplay
from engine.runtime import Runtime
from projections import queries
from projections.dashboard import plan_document
from projections.lists import lists_for
from projections.views import View

# What a closed period's frozen actions lack, read from the plan replayed to its close.
_REPLAYED_FIELDS = (
    "aim",
    "success_criteria",
    "recurrence",
    "timescale",
    "progress_period",
    "status_since",
    "rag_assessed_at",
    "indicators",
    "readings",
    "reading_history",
)


class Basis(StrEnum):
    CLOSED = "closed"  # as recorded when the period closed
    CURRENT = "current"  # the open period, from the live plan
    LIVE = "live"  # neither closed nor current: the live plan, and the report says so


@dataclass(frozen=True)
class ClosedPeriod:
    period: Period
    summary: dict[str, Any]
    rags: dict[str, str | None]  # action ref -> RAG shown when the period closed
    actions: list[dict[str, Any]]


@dataclass(frozen=True)
class PeriodSnapshot:
    plan: View
    period: Period
    basis: Basis
    as_of: date
    closed_at: str | None
    closed_by: str | None
    actions: list[dict[str, Any]]  # each with "last_rag" and a matching "direction"
    lists: dict[str, list[str]]
    summary: dict[str, Any]
    previous: ClosedPeriod | None
    history: list[ClosedPeriod]  # closed periods up to this one, oldest first
    items: list[View]
    events: list[View]  # history rows up to the snapshot
    up_to_seq: int | None
    notice: str | None
    # When and why the period was reopened after a close, oldest first.
    reopenings: list[dict[str, Any]] = field(default_factory=list)
    early_reason: str | None = None

    @property
    def by_ref(self) -> dict[str, dict[str, Any]]:
        return {a["ref"]: a for a in self.actions}


def resolve_period(plan: View, key: str | None, today: date) -> Period:
    """The period a report is for; by default the one containing today.

    Raises InvalidInput naming the key when it is not one of the plan's periods."""
    cadence = Cadence(plan["cadence"])
    return parse_period(key, cadence) if key else Period.containing(today, cadence)


def take_snapshot(rt: Runtime, slug: str, period_key: str | None) -> PeriodSnapshot:
    rt.catch_up()
    plan = queries.plan(rt.engine, slug)
    today = clock.today()
    period = resolve_period(plan, period_key, today)
    records = {p["period"]: p for p in queries.periods(rt.engine, plan)}
    record = records.get(period.key)
    if record is not None and record.get("state") != "reopened":
        return _closed(rt, plan, period, record)
    live = _live(rt, plan, period, today)
    if record is None:
        return live
    # Reopened: worked out from the live plan until it closes again, and says so.
    last = record["reopenings"][-1]
    notice = (
        f"{period.label} was reopened on {format_date(date.fromisoformat(last['at'][:10]))} "
        f"by {last['by']} ({last['reason']}): this report shows the plan as it stands on "
        f"{format_date(today)} until the period is closed again."
    )
    return replace(live, notice=notice, reopenings=record["reopenings"])


def _closed(rt: Runtime, plan: View, period: Period, record: View) -> PeriodSnapshot:
    seq = _closing_seq(rt, plan, period.key)
    replay = PlanReplay(rt, plan["id"], seq)
    then = replay.plan()
    views = {a["ref"]: a for a in replay.actions()}
    history = _closed_up_to(replay.periods(), lambda p: p <= period)
    earlier = [h for h in history if h.period < period]
    previous = earlier[-1] if earlier else None
    actions = []
    for frozen in record["actions"]:
        view = views.get(frozen["ref"], {})
        extra = {k: view.get(k) for k in _REPLAYED_FIELDS}
        actions.append(_with_last(previous, {**extra, **frozen}))
    return PeriodSnapshot(
        plan=then,
        period=period,
        basis=Basis.CLOSED,
        as_of=date.fromisoformat(record["as_of"]),
        closed_at=record["closed_at"],
        closed_by=record.get("closed_by"),
        actions=actions,
        lists=record["lists"],
        summary=record["summary"],
        previous=previous,
        history=history,
        items=replay.items(),
        events=queries.history_rows(rt.engine, plan, queries.HistoryFilter(up_to_seq=seq)),
        up_to_seq=seq,
        notice=None,
        reopenings=record.get("reopenings", []),
        early_reason=record.get("early_reason"),
    )


def _live(rt: Runtime, plan: View, period: Period, today: date) -> PeriodSnapshot:
    views = queries.actions(rt.engine, plan)
    items = queries.items(rt.engine, plan)
    periods = queries.periods(rt.engine, plan)
    doc = plan_document(plan, views, items, periods, today)
    history = _closed_up_to(periods, lambda p: p < period)
    previous = history[-1] if history else None
    current = Period.containing(today, period.cadence)
    basis = Basis.CURRENT if period == current else Basis.LIVE
    notice = None
    if basis is Basis.LIVE:
        notice = (
            f"{period.label} has not been closed and is not the current period: this report "
            f"shows the plan as it stands on {format_date(today)}, not as it stood then."
        )
    return PeriodSnapshot(
        plan=plan,
        period=period,
        basis=basis,
        as_of=today,
        closed_at=None,
        closed_by=None,
        actions=[_with_last(previous, a) for a in doc["actions"]],
        lists=lists_for(views, period),
        summary=doc["summary"],
        previous=previous,
        history=history,
        items=items,
        events=queries.history_rows(rt.engine, plan),
        up_to_seq=None,
        notice=notice,
    )


def _closed_up_to(views: list[View], keep: Callable[[Period], bool]) -> list[ClosedPeriod]:
    closed = [_closed_period(v) for v in views]
    return sorted((c for c in closed if keep(c.period)), key=lambda c: c.period)


def _closed_period(view: View) -> ClosedPeriod:
    return ClosedPeriod(
        period=Period.parse(view["period"]),
        summary=view["summary"],
        rags={a["ref"]: a.get("rag") for a in view["actions"]},
        actions=view["actions"],
    )


def _with_last(previous: ClosedPeriod | None, action: dict[str, Any]) -> dict[str, Any]:
    """The action with last period's RAG beside this one's, and the arrow between them."""
    last = previous.rags.get(action["ref"]) if previous else None
    shown = Rag(action["rag"]) if action.get("rag") else None
    return {
        **action,
        "last_rag": last,
        "direction": direction(shown, Rag(last) if last else None),
    }


# The events that close a period: the last of them for a period is the close it shows.
CLOSING_KINDS = ("Plan.PeriodClosed", "Plan.PeriodClosedEarly", "Plan.PeriodReclosed")


def _closing_seq(rt: Runtime, plan: View, key: str) -> int:
    found = [
        int(row["seq"])
        for kind in CLOSING_KINDS
        for row in queries.history_rows(rt.engine, plan, queries.HistoryFilter(kind=kind))
        if row["data"].get("period") == key
    ]
    if found:
        return max(found)
    raise LookupError(f"period {key} of plan '{plan['slug']}' is closed but not in its history")
