"""The deadlines read model: each action's plan finish and dated success criteria."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from projections.reading import execute_many
from projections.schema import deadlines
from projections.store import insert_rows, upsert
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


COLUMNS = ("action_id", "number", "plan_id", "ref", "title", "due", "status", "reported_rag",
           "leads", "accountable")  # fmt: skip
KEY = ["action_id", "number"]

Row = tuple[object, ...]


def replace_deadlines(
    conn: Connection, actions: Sequence[View], written: dict[str, list[Row]] | None = None
) -> None:
    """Bring the deadlines of the given actions' views into the table.

    ``written`` holds the rows last written for each action, by the caller's own
    earlier batches (valid while no other writer moves the read models). A known
    action's rows are changed in place, and only where they differ; a status change
    then rewrites two rows, not their indexes. Others are deleted and inserted."""
    written = {} if written is None else written
    deleted: list[Row] = []  # every deadline of an action not known
    dropped: list[Row] = []  # a known action's deadlines it no longer has
    inserted: list[Row] = []
    upserted: list[Row] = []
    for action in actions:
        rows = [tuple(r[c] for c in COLUMNS) for r in deadline_rows(action)]
        before = written.get(action["id"])
        written[action["id"]] = rows
        if before is None:
            deleted.append((action["id"],))
            inserted += rows
            continue
        numbers = {r[1] for r in rows}
        dropped += [(action["id"], r[1]) for r in before if r[1] not in numbers]
        upserted += [r for r in rows if r not in before]
    execute_many(conn, f"DELETE FROM {deadlines.name} WHERE action_id = ?", deleted)
    execute_many(conn, f"DELETE FROM {deadlines.name} WHERE action_id = ? AND number = ?", dropped)
    insert_rows(conn, deadlines, COLUMNS, inserted)
    upsert(conn, deadlines, [dict(zip(COLUMNS, r, strict=True)) for r in upserted], KEY)
