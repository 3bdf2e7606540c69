"""Read-side queries over the views and the history, in plain SQL (projections.reading):
the same statements on SQLite and PostgreSQL, through SQLAlchemy or a bare sqlite3
connection."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.errors import NotFound
from domain.ids import action_id, plan_id
from projections.dashboard import plan_document
from projections.reading import ReadModels, fetch
from projections.views import View


def natural_key(ref: str) -> list[Any]:
    """Sort "1.2" before "1.10" and "4.2 (b)" after "4.2"."""
    return [(0, int(p)) if p.isdigit() else (1, p.lower()) for p in re.split(r"(\d+)", ref) if p]


def _docs(db: ReadModels, kind: str, plan: str | None = None) -> list[View]:
    if plan is None:
        rows = fetch(db, "SELECT doc FROM read_views WHERE kind = ?", (kind,))
    else:
        rows = fetch(db, "SELECT doc FROM read_views WHERE kind = ? AND plan_id = ?", (kind, plan))
    return [json.loads(doc) for (doc,) in rows]


def _doc(db: ReadModels, kind: str, key: str) -> View | None:
    rows = fetch(db, "SELECT doc FROM read_views WHERE kind = ? AND key = ?", (kind, key))
    return json.loads(rows[0][0]) if rows else None


def plans(db: ReadModels) -> list[View]:
    return sorted(_docs(db, "plan"), key=lambda p: p["slug"])


def plan(db: ReadModels, slug: str) -> View:
    view = _doc(db, "plan", str(plan_id(slug)))
    if view is None:
        raise NotFound(f"no plan '{slug}'")
    return view


def actions(db: ReadModels, plan_view: View) -> list[View]:
    return sorted(_docs(db, "action", plan_view["id"]), key=lambda a: natural_key(a["ref"]))


def action(db: ReadModels, plan_view: View, ref: str) -> View:
    view = _doc(db, "action", str(action_id(plan_id(plan_view["slug"]), ref)))
    if view is None:
        raise NotFound(f"plan '{plan_view['slug']}' has no action {ref}")
    return view


def items(db: ReadModels, plan_view: View) -> list[View]:
    return sorted(_docs(db, "item", plan_view["id"]), key=lambda i: i["key"])


def periods(db: ReadModels, plan_view: View) -> list[View]:
    return sorted(_docs(db, "period", plan_view["id"]), key=lambda p: p["period"])


def document(db: ReadModels, plan_view: View, today: date) -> dict[str, Any]:
    """The plan as a board reads it on ``today``, from the current read models."""
    return plan_document(
        plan_view,
        actions(db, plan_view),
        items(db, plan_view),
        periods(db, plan_view),
        today,
    )


def period(db: ReadModels, plan_view: View, key: str) -> View:
    view = _doc(db, "period", f"{plan_view['id']}:{key}")
    if view is None:
        raise NotFound(f"plan '{plan_view['slug']}' has no closed period {key}")
    return view


def users(db: ReadModels) -> list[View]:
    return sorted(_docs(db, "user"), key=lambda u: u["email"])


def action_counts(db: ReadModels) -> dict[str, int]:
    rows = fetch(
        db, "SELECT plan_id, COUNT(*) FROM read_views WHERE kind = 'action' GROUP BY plan_id"
    )
    return {pid: int(n) for pid, n in rows}


@dataclass(frozen=True)
class HistoryFilter:
    subject: str | None = None
    actor: str | None = None
    kind: str | None = None
    since: str | None = None  # ISO timestamp, inclusive
    until: str | None = None  # ISO timestamp, inclusive
    after_seq: int | None = None
    up_to_seq: int | None = None


# A history row's fields, in the order the command line's CSV gives them.
HISTORY_COLUMNS = (
    "seq", "recorded_at", "effective_on", "actor", "kind", "subject", "data", "reason"
)  # fmt: skip


def history_rows(
    db: ReadModels, plan_view: Mapping[str, Any], f: HistoryFilter | None = None
) -> list[View]:
    """The plan's history rows in order, as the filter narrows them. With a connection,
    in its transaction (a comparison reads its two ends in one)."""
    f = f or HistoryFilter()
    where = ["plan_id = ?"]
    params: list[object] = [plan_view["id"]]
    for condition, value in (
        ("subject = ?", f.subject),
        ("actor = ?", f.actor.lower() if f.actor else None),
        ("recorded_at >= ?", f.since),
        ("recorded_at <= ?", f.until),
        ("seq > ?", f.after_seq),
        ("seq <= ?", f.up_to_seq),
    ):
        if value is not None and value != "":
            where.append(condition)
            params.append(value)
    if f.kind:
        where.append("(kind = ? OR kind LIKE ?)")
        params += [f.kind, f"%.{f.kind}"]
    rows = fetch(
        db,
        f"SELECT {', '.join(HISTORY_COLUMNS)} FROM event_history "
        f"WHERE {' AND '.join(where)} ORDER BY seq",
        params,
    )
    found = [dict(zip(HISTORY_COLUMNS, row, strict=True)) for row in rows]
    for row in found:
        row["data"] = json.loads(row["data"])
    return found
