"""The one "today" a plan is shown as of, on the command line and on the web alike."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain import clock
from domain.rag_rules import format_date

# The demo's recorded history (the Leeds plan, September 2008 to August 2009) ends here.
DEMO_END = date(2009, 8, 31)


def shown_on(plan: Mapping[str, Any]) -> date:
    """A demo plan is shown as of the last day of its recorded history, since nothing
    was recorded after it (shown as of today, every open action would be years late);
    any other plan as of today."""
    return DEMO_END if plan.get("demo") else clock.today()


def shown_note(plan: Mapping[str, Any]) -> str | None:
    """What both interfaces say when the day shown is not today."""
    if not plan.get("demo"):
        return None
    return (
        f"demo data: shown as of {format_date(DEMO_END)}, the last day of its recorded "
        "history, not today"
    )
