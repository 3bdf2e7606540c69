"""How reports write people, RAG ratings and dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.clock import london
from domain.periods import Period
from domain.rag_rules import ARROWS, format_date
from domain.safe_text import shown_text

RAG_ORDER = ("red", "amber", "green", "complete", "blue", "grey")

RAG_LABELS = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "complete": "Complete",
    "blue": "Blue",
    "grey": "Grey",
}

# The legend boards read, worded after the Leeds report's "Guidance on RAG Reporting".
RAG_MEANINGS = {
    "blue": "Action completed and success criteria met.",
    "complete": "Action completed, awaiting verification of its success criteria.",
    "green": "Action on track but not completed.",
    "amber": "Action at risk: its finish date is close or a milestone has slipped "
    "within the plan's tolerance.",
    "red": "Either the action is not on track for completion and/or there are "
    "significant risks to completion time.",
    "grey": "Not due to commence.",
}

# Red and amber lead the lists boards read for risks; the rest keep the plan's order.
SEVERITY = {"red": 0, "amber": 1}


def plain(value: object) -> str:
    """Text as it is shown in every report: see domain.safe_text.shown_text."""
    return shown_text(value)


def to_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def day(value: str | date | None) -> str:
    """A date as "30 Jun 2009", or empty."""
    found = to_date(value)
    return format_date(found) if found else ""


def recorded_day(timestamp: str) -> date:
    """The day, where the plans are run, on which an event was recorded."""
    return datetime.fromisoformat(timestamp).astimezone(london()).date()


def people(values: list[dict[str, Any]] | dict[str, Any] | None) -> str:
    """Names with their titles, as the Leeds report names leads and officers."""
    if not values:
        return ""
    items = values if isinstance(values, list) else [values]
    return "; ".join(_person(p) for p in items)


def _person(p: dict[str, Any]) -> str:
    title = p.get("title")
    return f"{p['name']} ({title})" if title and title != p["name"] else str(p["name"])


def rag_label(rag: str | None) -> str:
    return RAG_LABELS.get(rag or "", "")


def arrow(direction: str | None) -> str:
    return ARROWS.get(direction or "", "")


def status_label(status: str | None) -> str:
    return (status or "").replace("_", " ")


def criteria_text(criteria: list[dict[str, Any]] | None) -> list[str]:
    """Each success criterion with its target date and, once met, when it was met."""
    out = []
    for c in criteria or []:
        text = str(c["text"])
        if c.get("due"):
            text += f" (by {day(c['due'])})"
        if c.get("achieved_on"):
            text += f", achieved {day(c['achieved_on'])}"
        out.append(text)
    return out


def period_label(key: str | None) -> str:
    """ "2009-08" as "August 2009"; a key that is not a period is shown as written."""
    if not key:
        return ""
    try:
        return Period.parse(key).label
    except ValueError:
        return key


def days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def schedule_cells(a: dict[str, Any]) -> list[Any]:
    """An action's plan start, plan finish, actual finish, success criteria, leads and
    accountable officer: the cells of the progress report's table from Plan start on."""
    return [
        to_date(a.get("plan_start")),
        to_date(a.get("plan_finish")),
        to_date(a.get("actual_finish")),
        "\n".join(criteria_text(a.get("success_criteria"))),
        people(a.get("leads")),
        people(a.get("accountable")),
    ]
