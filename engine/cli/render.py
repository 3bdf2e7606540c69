"""How plans, actions and histories are shown in a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.rag_rules import ARROWS
from domain.values import with_tentative_mark
from engine.cli import lazy, output

if TYPE_CHECKING:
    from rich.text import Text

    from projections.dashboard import setup_label
else:
    Text = lazy.function("rich.text", "Text")
    setup_label = lazy.function("projections.dashboard", "setup_label")


def people(values: list[dict[str, Any]] | dict[str, Any] | None) -> str:
    if not values:
        return ""
    items = values if isinstance(values, list) else [values]
    return "; ".join(p["name"] + (f" <{p['email']}>" if p.get("email") else "") for p in items)


def short_people(values: list[dict[str, Any]] | dict[str, Any] | None) -> str:
    if not values:
        return ""
    items = values if isinstance(values, list) else [values]
    return "; ".join(p["name"] for p in items)


def show_plan(doc: dict[str, Any]) -> None:
    s = doc["summary"]
    header = f"{doc['title']} [{doc['slug']}]"
    if doc["demo"]:
        header += " (demo data)"
    output.console.print(Text(header, style="bold"))
    if doc.get("shown_note"):
        output.console.print(Text(doc["shown_note"]))
    meta = [doc.get("organisation"), doc.get("source"), f"reporting {doc['cadence']}"]
    if doc.get("owners"):
        meta.append("owners " + ", ".join(doc["owners"]))
    output.console.print(Text(" · ".join(m for m in meta if m)))
    output.console.print(
        Text(
            f"as of {doc['as_of']} · {s['actions']} actions · {s['complete_pct']}% complete · "
            f"{s['overdue']} overdue · {s['exceptions']} exceptions · "
            + (f"{s['needs_setup']} need set-up · " if s.get("needs_setup") else "")
            + ", ".join(f"{k} {v}" for k, v in s["by_rag"].items() if v)
        )
    )
    rows = []
    for a in doc["actions"]:
        arrow = ARROWS.get(a["direction"] or "", "")
        rows.append(
            [
                a["ref"],
                clip(a["title"], 48),
                a["status"].replace("_", " "),
                _rag_or_setup(a),
                arrow,
                a["reported_rag"] or "",
                a["computed_rag"] or "",
                with_tentative_mark(a["plan_finish"] or "", a.get("plan_finish_tentative"))
                or (a["recurrence"] or a["timescale"] or ""),
                short_people(a["leads"]),
            ]
        )
    output.table(
        None,
        ["Ref", "Action", "Status", "RAG", "", "Reported", "Computed", "Finish", "Lead"],
        rows,
    )
    flagged = [a for a in doc["actions"] if a["exception"] or a["rag"] in ("red", "amber")]
    if flagged:
        output.console.print(Text("Why (red, amber and exceptions):", style="bold"))
        for a in flagged:
            why = f"EXCEPTION: {a['exception']}" if a["exception"] else "; ".join(a["rag_reasons"])
            line = f"  {a['ref']} {(a['rag'] or '').upper()}: {why}"
            output.console.print(Text(output.plain(line)))
    unset = [a for a in doc["actions"] if a.get("needs_setup")]
    if unset:
        output.console.print(Text("Needs set-up (nobody can be held to these yet):", style="bold"))
        for a in unset:
            line = f"  {a['ref']}: no {', no '.join(a['needs_setup'])}"
            output.console.print(Text(output.plain(line)))
    if doc["governance"]:
        show_matrix(doc["governance"])


def _rag_or_setup(action: dict[str, Any]) -> Text:
    label = setup_label(action)
    if label:
        return Text(f" {label} ", style="bold black on bright_white")
    return output.rag_cell(action["rag"])


def clip(text: str | None, width: int) -> str:
    value = (text or "").replace("\n", " ")
    return value if len(value) <= width else value[: width - 1] + "…"


def show_matrix(rows: list[dict[str, Any]]) -> None:
    agencies: list[str] = []
    for r in rows:
        for c in r["agencies"]:
            if c["agency"] not in agencies:
                agencies.append(c["agency"])
    table_rows = []
    for r in rows:
        cells: list[Any] = [f"{r['title']} v{r['current_version']}"]
        by_agency = {c["agency"]: c for c in r["agencies"]}
        for agency in agencies:
            c = by_agency.get(agency)
            if c is None:
                cells.append("-")
            elif c["state"] == "approved":
                cells.append(f"approved {c['decided_on']} ({c['body']} {c['minute_ref'] or ''})")
            elif c["state"] == "rejected":
                cells.append(f"REJECTED {c['decided_on']}: {c['reason']}")
            elif c["state"] == "stale":
                cells.append(
                    f"stale (approved v{c['version']}); pending since {c['pending_since'][:10]}"
                )
            else:
                cells.append(f"pending since {c['pending_since'][:10]}")
        signed = r["signed_off"]
        cells.append(
            f"signed off {signed['decided_on']} by {signed['board']}"
            if signed
            else ("ready for sign-off" if r["ready_for_signoff"] else "awaiting approvals")
        )
        table_rows.append(cells)
    output.table("Governance sign-off matrix", ["Item", *agencies, "Board"], table_rows)


def show_history(rows: list[dict[str, Any]]) -> None:
    output.table(
        None,
        ["#", "Recorded", "Effective", "Who", "What", "Subject", "Details", "Why"],
        [
            [
                r["seq"],
                r["recorded_at"][:19].replace("T", " "),
                r["effective_on"] or "",
                r["actor"] or "",
                r["kind"],
                r["subject"] or "",
                summarise(r["data"]),
                r["reason"] or "",
            ]
            for r in rows
        ],
    )


# Ids that mean nothing to a reader of the history table (the JSON output keeps them).
HIDDEN_DETAILS = {"plan_id", "plan_ids"}


def summarise(data: dict[str, Any], limit: int = 120) -> str:
    parts = []
    for k, v in data.items():
        if v in (None, [], {}, "") or k in HIDDEN_DETAILS:
            continue
        parts.append(f"{k}={readable(v)}")
    joined = ", ".join(parts)
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


# The keys a person is recorded with; a mapping with a name and no other keys is one.
PERSON_KEYS = frozenset({"name", "email", "agency", "title", "role", "roles", "key"})


def readable(value: Any) -> str:
    """A recorded value as a person reads it, never as Python's text for it: people as
    "Mary Lyons (NHS Leeds)", dates and times as dates, lists joined, other mappings as
    "key: value" pairs."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return _moment(value)
    if isinstance(value, dict):
        if "name" in value and set(value) <= PERSON_KEYS:
            return person(value)
        if "text" in value and set(value) <= {"text", "due", "number"}:
            due = value.get("due")
            return value["text"] + (f" (by {_moment(str(due))})" if due else "")
        return ", ".join(
            f"{k}: ({readable(v)})" if _nested(v) else f"{k}: {readable(v)}"
            for k, v in value.items()
            if v not in (None, [], {}, "")
        )
    if isinstance(value, list | tuple | set | frozenset):
        items = [readable(v) for v in value]
        if not items:
            return "none"
        # Items that hold commas of their own are kept apart by semicolons.
        return (
            "; "
            if any("," in i for i in items) or any(isinstance(v, dict) for v in value)
            else ", "
        ).join(items)
    if hasattr(value, "isoformat"):
        return _moment(value.isoformat())
    return str(value)


def _nested(value: Any) -> bool:
    """A mapping shown inside another, which parentheses keep apart."""
    return isinstance(value, dict) and not ("name" in value and set(value) <= PERSON_KEYS)


def person(value: dict[str, Any]) -> str:
    """ "Mary Lyons (NHS Leeds)"; the email stands in for a missing name."""
    name = value.get("name") or value.get("email") or "?"
    return f"{name} ({value['agency']})" if value.get("agency") else str(name)


def _moment(text: str) -> str:
    """An ISO date stays as it is; an ISO time loses its seconds and a midnight UTC
    time (a date recorded as a time) is shown as the date."""
    if len(text) < 16 or text[4:5] != "-" or text[10:11] != "T":
        return text
    try:
        from datetime import datetime

        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M")
