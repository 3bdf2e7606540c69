"""The deadlines read model: each action's plan finish and dated success criteria."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete

from projections.schema import deadlines
from projections.views import View


def deadline_rows(view: View) -> list[dict[str, Any]]:
    """Open deadlines only: achieved criteria and ongoing work have none."""
    common = {
        "action_id": view["id"],
        "plan_id": view["plan_id"],
        "ref": view["ref"],
        "status": view["status"],
        # The lead's own rating. The RAG shown depends on the day as well, so it is not
        # kept here: reminders work it out from the view (engine.reminders.gather).
        "reported_rag": view["reported_rag"],
        "leads": json.dumps(view["leads"]),
        "accountable": json.dumps(view["accountable"]) if view["accountable"] else None,
    }
    rows = []
    if view["plan_finish"] and not view["recurrence"]:
        rows.append({**common, "number": 0, "title": view["title"], "due": view["plan_finish"]})
    for n, c in enumerate(view["success_criteria"], 1):
        if c["due"] and not c.get("achieved_on"):
            rows.append({**common, "number": n, "title": c["text"], "due": c["due"]})
    return rows


# Built once: a command that changes one action replaces its deadlines, and building
# the statements anew each time would cost more than running them.
_DELETE = delete(deadlines).where(deadlines.c.action_id.in_(bindparam("ids", expanding=True)))
_INSERT = deadlines.insert()


def replace_deadlines(conn: Connection, actions: Sequence[View]) -> None:
    if not actions:
        return
    ids = [a["id"] for a in actions]
    for i in range(0, len(ids), 500):
        conn.execute(_DELETE, {"ids": ids[i : i + 500]})
    rows = [r for a in actions for r in deadline_rows(a)]
    for i in range(0, len(rows), 500):
        conn.execute(_INSERT, rows[i : i + 500])
