"""The monthly progress report, laid out as the Leeds report: the period's four lists,
an overview of the RAG counts and how they moved, risks, amendments, the RAG guidance,
then every action grouped by recommendation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.reports.snapshot import PeriodSnapshot
from engine.reports.table import Column, ColumnKind, Table
from engine.reports.text import (
    RAG_LABELS,
    RAG_MEANINGS,
    RAG_ORDER,
    SEVERITY,
    arrow,
    day,
    people,
    recorded_day,
    schedule_cells,
    status_label,
)
from projections.dashboard import setup_label

LIST_TITLES = {
    "completed": "Completed actions this reporting period",
    "overdue": "Overdue actions this reporting period",
    "due_next": "Actions due for completion by the next reporting period",
    "commencing_next": "Actions commencing in the next reporting period",
}

# Which date each list is about.
_LIST_DATES = {
    "completed": ("Actual finish", "actual_finish"),
    "overdue": ("Plan finish", "plan_finish"),
    "due_next": ("Plan finish", "plan_finish"),
    "commencing_next": ("Plan start", "plan_start"),
}

OTHER_GROUP = "Actions outside any recommendation"


@dataclass(frozen=True)
class ListRow:
    ref: str
    title: str
    when: str
    lead: str
    rag: str | None


@dataclass(frozen=True)
class ActionList:
    key: str
    title: str
    date_title: str
    rows: list[ListRow]


@dataclass(frozen=True)
class RagCount:
    rag: str
    label: str
    last: int | None
    this: int

    @property
    def change(self) -> str:
        if self.last is None:
            return ""
        moved = self.this - self.last
        return f"{moved:+d}" if moved else "0"


@dataclass(frozen=True)
class Overview:
    previous_label: str | None
    counts: list[RagCount]
    improved: int
    worsened: int
    unchanged: int
    actions: int
    complete_pct: float
    overdue: int
    exceptions: int
    needs_setup: int = 0  # open actions without a lead, accountable officer or end


@dataclass(frozen=True)
class Risk:
    ref: str
    title: str
    rag: str | None
    text: str


@dataclass(frozen=True)
class Amendment:
    ref: str
    old: str
    new: str
    reason: str
    actor: str
    recorded: str


@dataclass
class Group:
    ref: str | None
    title: str
    actions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class ProgressContent:
    lists: list[ActionList]
    overview: Overview
    risks: list[Risk]
    amendments: list[Amendment]
    guidance: list[tuple[str, str, str]]  # rag, label, meaning
    groups: list[Group]
    # The plan owner's own overview, risks and issues for the period, where written.
    narrative: PeriodNarrative = field(default_factory=lambda: PeriodNarrative())


@dataclass(frozen=True)
class PeriodNarrative:
    overview: str | None = None
    risks: str | None = None
    issues: str | None = None
    by: str | None = None


def build_progress(snap: PeriodSnapshot) -> ProgressContent:
    return ProgressContent(
        lists=period_lists(snap),
        overview=overview(snap),
        risks=risks(snap),
        amendments=amendments(snap),
        guidance=[(r, RAG_LABELS[r], RAG_MEANINGS[r]) for r in RAG_ORDER],
        groups=groups(snap),
        narrative=period_narrative(snap),
    )


def period_narrative(snap: PeriodSnapshot) -> PeriodNarrative:
    written = (snap.plan.get("narratives") or {}).get(snap.period.key) or {}
    return PeriodNarrative(
        overview=written.get("overview"),
        risks=written.get("risks"),
        issues=written.get("issues"),
        by=written.get("by"),
    )


def period_lists(snap: PeriodSnapshot) -> list[ActionList]:
    by_ref = snap.by_ref
    out = []
    for key, title in LIST_TITLES.items():
        date_title, field_name = _LIST_DATES[key]
        rows = []
        for ref in snap.lists.get(key, []):
            a = by_ref.get(ref, {"ref": ref})
            rows.append(
                ListRow(
                    ref=ref,
                    title=a.get("title") or "",
                    when=day(a.get(field_name)),
                    lead=people(a.get("leads")),
                    rag=a.get("rag"),
                )
            )
        out.append(ActionList(key, title, date_title, rows))
    return out


def overview(snap: PeriodSnapshot) -> Overview:
    this = snap.summary["by_rag"]
    last = snap.previous.summary["by_rag"] if snap.previous else None
    counts = [
        RagCount(r, RAG_LABELS[r], (last.get(r, 0) if last is not None else None), this.get(r, 0))
        for r in RAG_ORDER
    ]
    directions = [a["direction"] for a in snap.actions]
    return Overview(
        previous_label=snap.previous.period.label if snap.previous else None,
        counts=counts,
        improved=directions.count("up"),
        worsened=directions.count("down"),
        unchanged=directions.count("same"),
        actions=snap.summary["actions"],
        complete_pct=snap.summary["complete_pct"],
        overdue=snap.summary["overdue"],
        exceptions=snap.summary["exceptions"],
        needs_setup=snap.summary.get("needs_setup", 0),
    )


def risks(snap: PeriodSnapshot) -> list[Risk]:
    found = [
        Risk(a["ref"], a["title"], a.get("rag"), a["risk"].strip())
        for a in snap.actions
        if a.get("risk") and a["risk"].strip()
    ]
    return sorted(found, key=lambda r: SEVERITY.get(r.rag or "", 2))


def amendments(snap: PeriodSnapshot) -> list[Amendment]:
    """Plan finishes moved by amendments recorded within the period."""
    out = []
    for row in snap.events:
        if row["kind"] != "Action.Amended" or row["data"].get("field") != "plan_finish":
            continue
        if recorded_day(row["recorded_at"]) not in snap.period:
            continue
        out.append(
            Amendment(
                ref=row["subject"] or "",
                old=day(row["data"].get("old")) or "none",
                new=day(row["data"].get("new")) or "none",
                reason=row["reason"] or "",
                actor=row["actor"] or "",
                recorded=day(recorded_day(row["recorded_at"])),
            )
        )
    return out


def groups(snap: PeriodSnapshot) -> list[Group]:
    found = {g["ref"]: Group(g["ref"], g["title"]) for g in snap.plan.get("groups", [])}
    other = Group(None, OTHER_GROUP)
    for a in snap.actions:
        found.get(a.get("group") or "", other).actions.append(a)
    listed = [g for g in found.values() if g.actions]
    return listed + ([other] if other.actions else [])


def progress_table(snap: PeriodSnapshot, content: ProgressContent) -> Table:
    """One row per action, for CSV and the spreadsheet."""
    table = Table(
        f"{snap.period.label} progress report",
        [
            Column("Ref"),
            Column("Recommendation", ColumnKind.LONG_TEXT),
            Column("Aim/Outcome", ColumnKind.LONG_TEXT),
            Column("Action", ColumnKind.LONG_TEXT),
            Column("Status"),
            Column(f"Last {_unit(snap)} RAG", ColumnKind.RAG),
            Column(f"This {_unit(snap)} RAG", ColumnKind.RAG),
            Column("Direction"),
            Column("Plan start", ColumnKind.DATE),
            Column("Plan finish", ColumnKind.DATE),
            Column("Actual finish", ColumnKind.DATE),
            Column("Success criteria", ColumnKind.LONG_TEXT),
            Column("Lead"),
            Column("Accountable officer"),
            Column("Report of progress", ColumnKind.LONG_TEXT),
            Column("Risk report", ColumnKind.LONG_TEXT),
            Column("RAG reasons", ColumnKind.LONG_TEXT),
        ],
    )
    for g in content.groups:
        for a in g.actions:
            table.add(
                a["ref"],
                g.title,
                a.get("aim") or "",
                a["title"],
                status_label(a.get("status")),
                a.get("last_rag"),
                setup_label(a) or a.get("rag") or status_label(a.get("status")),
                arrow(a.get("direction")),
                *schedule_cells(a),
                a.get("progress") or "",
                a.get("risk") or "",
                "; ".join(a.get("rag_reasons") or []),
            )
    return table


def _unit(snap: PeriodSnapshot) -> str:
    return "month" if snap.period.cadence.value == "monthly" else "quarter"
