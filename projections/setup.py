"""Actions that need set-up: open, yet without a lead, an accountable officer, or a
finish or recurrence, so that nobody can be held to them or reminded about them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from domain.setup import setup_gaps
from projections import queries
from projections.views import View


def gaps(action: View) -> list[str]:
    return setup_gaps(
        action["status"],
        bool(action["leads"]),
        bool(action["accountable"]),
        bool(action["plan_finish"] or action["recurrence"]),
    )


def plan_setup(engine: Engine, plan: View) -> list[dict[str, Any]]:
    """The plan's actions needing set-up, in ref order, each with what it lacks."""
    rows = []
    for a in queries.actions(engine, plan):
        missing = gaps(a)
        if missing:
            rows.append(
                {
                    "plan": plan["slug"],
                    "ref": a["ref"],
                    "title": a["title"],
                    "group": a["group"],
                    "missing": missing,
                    "leads": a["leads"],
                    "accountable": a["accountable"],
                    "plan_start": a["plan_start"],
                    "plan_finish": a["plan_finish"],
                    "recurrence": a["recurrence"],
                    "version": a["version"],
                    # Who should see to it: the plan's owners (admins otherwise).
                    "owners": list(plan.get("owners", [])),
                }
            )
    return rows


def all_setup(engine: Engine) -> list[dict[str, Any]]:
    return [row for p in queries.plans(engine) for row in plan_setup(engine, p)]
