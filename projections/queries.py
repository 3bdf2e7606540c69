"""Read-side queries over the views and the history."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from domain.errors import NotFound
from domain.ids import plan_id
from projections.dashboard import plan_document
from projections.schema import history, views
from projections.views import View


def natural_key(ref: str) -> list[Any]:
    """Sort "1.2" before "1.10" and "4.2 (b)" after "4.2"."""
    return [(0, int(p)) if p.isdigit() else (1, p.lower()) for p in re.split(r"(\d+)", ref) if p]


def _docs(engine: Engine, kind: str, plan: str | None = None) -> list[View]:
    q = select(views.c.doc).where(views.c.kind == kind)
    if plan is not None:
        q = q.where(views.c.plan_id == plan)
    with engine.connect() as conn:
        return [json.loads(d) for d in conn.execute(q).scalars()]


def _doc(engine: Engine, kind: str, key: str) -> View | None:
    with engine.connect() as conn:
        doc = conn.execute(
            select(views.c.doc).where(views.c.kind == kind, views.c.key == key)
        ).scalar_one_or_none()
    return json.loads(doc) if doc else None


def plans(engine: Engine) -> list[View]:
    return sorted(_docs(engine, "plan"), key=lambda p: p["slug"])


def plan(engine: Engine, slug: str) -> View:
    view = _doc(engine, "plan", str(plan_id(slug)))
    if view is None:
        raise NotFound(f"no plan '{slug}'")
    return view


def actions(engine: Engine, plan_view: View) -> list[View]:
    return sorted(_docs(engine, "action", plan_view["id"]), key=lambda a: natural_key(a["ref"]))


def items(engine: Engine, plan_view: View) -> list[View]:
    return sorted(_docs(engine, "item", plan_view["id"]), key=lambda i: i["key"])


def periods(engine: Engine, plan_view: View) -> list[View]:
    return sorted(_docs(engine, "period", plan_view["id"]), key=lambda p: p["period"])


def document(engine: Engine, plan_view: View, today: date) -> dict[str, Any]:
    """The plan as a board reads it on ``today``, from the current read models."""
    return plan_document(
        plan_view,
        actions(engine, plan_view),
        items(engine, plan_view),
        periods(engine, plan_view),
        today,
    )


def period(engine: Engine, plan_view: View, key: str) -> View:
    view = _doc(engine, "period", f"{plan_view['id']}:{key}")
    if view is None:
        raise NotFound(f"plan '{plan_view['slug']}' has no closed period {key}")
    return view


def users(engine: Engine) -> list[View]:
    return sorted(_docs(engine, "user"), key=lambda u: u["email"])


def action_counts(engine: Engine) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for pid in conn.execute(select(views.c.plan_id).where(views.c.kind == "action")).scalars():
            counts[pid] = counts.get(pid, 0) + 1
    return counts


@dataclass(frozen=True)
class HistoryFilter:
    subject: str | None = None
    actor: str | None = None
    kind: str | None = None
    since: str | None = None  # ISO timestamp, inclusive
    until: str | None = None  # ISO timestamp, inclusive
    up_to_seq: int | None = None


def history_rows(engine: Engine, plan_view: View, f: HistoryFilter | None = None) -> list[View]:
    f = f or HistoryFilter()
    q = select(history).where(history.c.plan_id == plan_view["id"]).order_by(history.c.seq)
    if f.subject:
        q = q.where(history.c.subject == f.subject)
    if f.actor:
        q = q.where(history.c.actor == f.actor.lower())
    if f.kind:
        kind = f.kind
        q = q.where((history.c.kind == kind) | history.c.kind.like(f"%.{kind}"))
    if f.since:
        q = q.where(history.c.recorded_at >= f.since)
    if f.until:
        q = q.where(history.c.recorded_at <= f.until)
    if f.up_to_seq is not None:
        q = q.where(history.c.seq <= f.up_to_seq)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [
        {
            "seq": r["seq"],
            "recorded_at": r["recorded_at"],
            "effective_on": r["effective_on"],
            "actor": r["actor"],
            "kind": r["kind"],
            "subject": r["subject"],
            "data": json.loads(r["data"]),
            "reason": r["reason"],
        }
        for r in rows
    ]
