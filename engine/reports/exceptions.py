"""The exception report: red and amber actions, and those whose lead reports them
better than the rules compute, each with why, its latest narratives and how long it
has been in that state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.periods import Period
from engine.reports.snapshot import Basis, PeriodSnapshot
from engine.reports.table import Column, ColumnKind, Table
from engine.reports.text import SEVERITY, day, days, people, rag_label, recorded_day, to_date
from projections.views import View


@dataclass(frozen=True)
class Run:
    """How many reporting periods in a row, up to this one, a state has held."""

    periods: int
    since: Period

    def describe(self, what: str) -> str:
        count = "1 period" if self.periods == 1 else f"{self.periods} periods"
        return f"{what} for {count}, since {self.since.label}"


@dataclass(frozen=True)
class Reported:
    rag: str
    since: date
    for_days: int


@dataclass(frozen=True)
class Flagged:
    action: dict[str, Any]
    rag_run: Run | None
    exception_run: Run | None
    reported: Reported | None

    @property
    def duration(self) -> list[str]:
        out = []
        if self.rag_run:
            out.append(self.rag_run.describe(f"Shown {rag_label(self.action['rag'])}"))
        if self.exception_run:
            out.append(self.exception_run.describe("An exception"))
        if self.reported:
            out.append(
                f"Reported {rag_label(self.reported.rag)} since {day(self.reported.since)} "
                f"({days(self.reported.for_days)})"
            )
        return out


@dataclass(frozen=True)
class ExceptionContent:
    flagged: list[Flagged]
    red: int
    amber: int
    exceptions: int


def is_flagged(action: dict[str, Any]) -> bool:
    return action.get("rag") in ("red", "amber") or bool(action.get("exception"))


def build_exceptions(snap: PeriodSnapshot) -> ExceptionContent:
    chosen = sorted(
        (a for a in snap.actions if is_flagged(a)),
        key=lambda a: SEVERITY.get(a.get("rag") or "", 2),
    )
    flagged = [
        Flagged(
            action=a,
            rag_run=_run(snap, a["ref"], _shown(a.get("rag"))),
            exception_run=_run(snap, a["ref"], _is_exception) if a.get("exception") else None,
            reported=_reported_since(snap.events, a, snap.as_of),
        )
        for a in chosen
    ]
    return ExceptionContent(
        flagged=flagged,
        red=sum(1 for a in chosen if a.get("rag") == "red"),
        amber=sum(1 for a in chosen if a.get("rag") == "amber"),
        exceptions=sum(1 for a in chosen if a.get("exception")),
    )


Frame = dict[str, Any]


def _shown(rag: str | None) -> Callable[[Frame], bool]:
    return lambda frame: frame.get("rag") == rag


def _is_exception(frame: Frame) -> bool:
    return bool(frame.get("exception"))


def _run(snap: PeriodSnapshot, ref: str, holds: Callable[[Frame], bool]) -> Run | None:
    """Counts back from this period through the closed ones while the state holds."""
    frames: list[tuple[Period, dict[str, Any] | None]] = [
        (c.period, next((f for f in c.actions if f["ref"] == ref), None)) for c in snap.history
    ]
    if snap.basis is not Basis.CLOSED:
        frames.append((snap.period, snap.by_ref.get(ref)))
    count = 0
    since: Period | None = None
    for period, frozen in reversed(frames):
        if frozen is None or not holds(frozen):
            break
        count += 1
        since = period
    return Run(count, since) if since is not None else None


def _reported_since(events: list[View], action: dict[str, Any], as_of: date) -> Reported | None:
    """When the lead's current rating was first given, unchanged since."""
    rag = action.get("reported_rag")
    if not rag:
        return None
    since: date | None = None
    for row in events:
        if row["kind"] != "Action.RagAssessed" or row["subject"] != action["ref"]:
            continue
        if row["data"].get("rag") != rag:
            since = None
        elif since is None:
            since = to_date(row["effective_on"]) or recorded_day(row["recorded_at"])
    if since is None:
        return None
    return Reported(rag, since, max((as_of - since).days, 0))


def exception_table(snap: PeriodSnapshot, content: ExceptionContent) -> Table:
    table = Table(
        f"{snap.period.label} exception report",
        [
            Column("Ref"),
            Column("Action", ColumnKind.LONG_TEXT),
            Column("RAG", ColumnKind.RAG),
            Column("Reported RAG", ColumnKind.RAG),
            Column("Computed RAG", ColumnKind.RAG),
            Column("Reasons", ColumnKind.LONG_TEXT),
            Column("Exception", ColumnKind.LONG_TEXT),
            Column("How long", ColumnKind.LONG_TEXT),
            Column("Plan finish", ColumnKind.DATE),
            Column("Lead"),
            Column("Accountable officer"),
            Column("Latest progress", ColumnKind.LONG_TEXT),
            Column("Risk", ColumnKind.LONG_TEXT),
        ],
    )
    for f in content.flagged:
        a = f.action
        table.add(
            a["ref"],
            a["title"],
            a.get("rag"),
            a.get("reported_rag"),
            a.get("computed_rag"),
            "; ".join(a.get("rag_reasons") or []),
            a.get("exception") or "",
            "; ".join(f.duration),
            to_date(a.get("plan_finish")),
            people(a.get("leads")),
            people(a.get("accountable")),
            a.get("progress") or "",
            a.get("risk") or "",
        )
    return table
