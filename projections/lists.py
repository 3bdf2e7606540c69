"""The Leeds report's period lists, from the action views."""

from __future__ import annotations

from datetime import date

from domain.periods import ActionDates, Period, period_lists
from domain.values import Status
from projections.views import View


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def dates_of(view: View) -> ActionDates:
    return ActionDates(
        ref=view["ref"],
        status=Status(view["status"]),
        plan_start=_date(view["plan_start"]),
        plan_finish=_date(view["plan_finish"]),
        actual_finish=_date(view["actual_finish"]),
        recurrence=view["recurrence"],
    )


def lists_for(actions: list[View], period: Period) -> dict[str, list[str]]:
    lists = period_lists([dates_of(a) for a in actions], period)
    return {
        "completed": [a.ref for a in lists.completed],
        "overdue": [a.ref for a in lists.overdue],
        "due_next": [a.ref for a in lists.due_next],
        "commencing_next": [a.ref for a in lists.commencing_next],
    }
