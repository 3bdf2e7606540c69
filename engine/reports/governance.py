"""The governance report: each item's approvals by every required agency, what is
still pending and since when, and the board's sign-off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.reports.snapshot import PeriodSnapshot
from engine.reports.table import Column, ColumnKind, Table
from engine.reports.text import day, days, to_date
from projections.dashboard import governance_row

STATE_LABELS = {
    "approved": "Approved",
    "rejected": "Rejected",
    "stale": "Approved an earlier version",
    "pending": "Pending",
}


@dataclass(frozen=True)
class Waiting:
    item: str
    version: int
    agency: str
    state: str
    since: str
    for_days: str


@dataclass(frozen=True)
class GovernanceContent:
    agencies: list[str]
    rows: list[dict[str, Any]]  # dashboard governance rows, cells keyed by agency
    waiting: list[Waiting]
    signed: int
    ready: int


def build_governance(snap: PeriodSnapshot) -> GovernanceContent:
    plan_agencies = list(snap.plan.get("agencies") or [])
    rows = []
    agencies = list(plan_agencies)
    for item in snap.items:
        row = governance_row(item, plan_agencies)
        row["by_agency"] = {c["agency"]: c for c in row["agencies"]}
        rows.append(row)
        agencies += [c["agency"] for c in row["agencies"] if c["agency"] not in agencies]
    # Columns only for agencies some item needs, in the plan's order.
    needed = {c["agency"] for r in rows for c in r["agencies"]}
    agencies = [a for a in agencies if a in needed]
    waiting = []
    for r in rows:
        for c in r["agencies"]:
            if c["state"] not in ("pending", "stale"):
                continue
            since = to_date(c["pending_since"])
            waited = (snap.as_of - since).days if since else None
            waiting.append(
                Waiting(
                    item=r["title"],
                    version=r["current_version"],
                    agency=c["agency"],
                    state=(
                        "Pending"
                        if c["state"] == "pending"
                        else f"Approved version {c['version']} only; this version pending"
                    ),
                    since=day(since),
                    for_days=days(max(waited, 0)) if waited is not None else "",
                )
            )
    return GovernanceContent(
        agencies=agencies,
        rows=rows,
        waiting=waiting,
        signed=sum(1 for r in rows if r["signed_off"]),
        ready=sum(1 for r in rows if r["ready_for_signoff"] and not r["signed_off"]),
    )


def board_status(row: dict[str, Any]) -> str:
    signed = row["signed_off"]
    if signed:
        minute = f" (minute {signed['minute_ref']})" if signed.get("minute_ref") else ""
        return f"Signed off by {signed['board']} on {day(signed['decided_on'])}{minute}"
    if row["ready_for_signoff"]:
        return "Ready for sign-off: every agency has approved this version"
    return "Awaiting agency approvals"


def history_line(entry: dict[str, Any]) -> str:
    """One earlier version's sign-off or revocation, as the report lists it."""
    if entry["what"] == "signed off":
        minute = f" (minute {entry['minute_ref']})" if entry.get("minute_ref") else ""
        return (
            f"Version {entry['version']} signed off by {entry['by']} on {day(entry['on'])}{minute}"
        )
    return (
        f"Version {entry['version']} sign-off revoked on {day(entry['on'])} by {entry['by']}: "
        f"{entry['reason']}"
    )


def governance_table(snap: PeriodSnapshot, content: GovernanceContent) -> Table:
    """One row per item and agency."""
    table = Table(
        f"{snap.period.label} governance sign-off",
        [
            Column("Item"),
            Column("Version", ColumnKind.NUMBER),
            Column("Document"),
            Column("Agency"),
            Column("State"),
            Column("Body"),
            Column("Minute ref"),
            Column("Decided on", ColumnKind.DATE),
            Column("Version decided", ColumnKind.NUMBER),
            Column("Pending since", ColumnKind.DATE),
            Column("Reason", ColumnKind.LONG_TEXT),
            Column("Board sign-off", ColumnKind.LONG_TEXT),
        ],
    )
    for r in content.rows:
        for c in r["agencies"]:
            table.add(
                r["title"],
                r["current_version"],
                r["document_name"] or "",
                c["agency"],
                STATE_LABELS[c["state"]],
                c["body"] or "",
                c["minute_ref"] or "",
                to_date(c["decided_on"]),
                c["version"],
                to_date(c["pending_since"]),
                c["reason"] or "",
                "\n".join([board_status(r), *(history_line(h) for h in r["history"])]),
            )
    return table
