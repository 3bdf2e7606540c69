"""Reporting periods and the four action lists of a period's summary report.

A period is a calendar month ("2009-08") or quarter ("2009-Q3"). Periods order by
their start (then end) date, so months and quarters can be sorted together.

The summary report lists, for a period P and the period after it, N:

* **Completed this period**: the actual finish falls within P.
* **Overdue**: not ongoing or recurring, the plan finish is on or before the last
  day of P (it has passed by the time P closes), and the action was not completed
  by the end of P. Overdue actions stay on this list every period until completed;
  one completed late in P shows as completed, not overdue.
* **Due for completion by the end of the next period**: not ongoing or recurring,
  the plan finish falls within N, and not completed by the end of P.
* **Commencing in the next period**: the plan start falls within N and the action
  was not completed by the end of P.

"Completed by a day" reads the actual finish: finished on or before that day. An
action whose status is completed or verified but whose finish date is unknown
counts as completed by any day, since when it finished cannot be placed. The dates,
not the current status, decide, so the lists for a past period can be rebuilt.
Deferred and cancelled actions appear on none of the lists. Each list keeps the
order the actions were given in.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.values import Cadence, Status

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_KEY = re.compile(r"^(\d{4})-(?:(\d{2})|[Qq]([1-4]))$")


@functools.total_ordering
@dataclass(frozen=True)
class Period:
    """A calendar month or quarter: ``number`` is the month (1-12) or the quarter (1-4)."""

    cadence: Cadence
    year: int
    number: int

    def __post_init__(self) -> None:
        top = 12 if self.cadence is Cadence.MONTHLY else 4
        if not 1 <= self.number <= top:
            raise ValueError(f"no {self.cadence.value} period {self.number} in a year")

    @classmethod
    def parse(cls, key: str) -> Period:
        """A period from its key: "2009-08" for a month, "2009-Q3" for a quarter."""
        match = _KEY.match(key.strip())
        if match is None:
            raise ValueError(f"not a period key: {key!r} (expected like 2009-08 or 2009-Q3)")
        year, month, quarter = match.groups()
        if quarter is not None:
            return cls(Cadence.QUARTERLY, int(year), int(quarter))
        return cls(Cadence.MONTHLY, int(year), int(month))

    @classmethod
    def containing(cls, day: date, cadence: Cadence) -> Period:
        """The month or quarter that ``day`` falls in."""
        if cadence is Cadence.MONTHLY:
            return cls(cadence, day.year, day.month)
        return cls(cadence, day.year, (day.month - 1) // 3 + 1)

    @property
    def key(self) -> str:
        if self.cadence is Cadence.MONTHLY:
            return f"{self.year:04d}-{self.number:02d}"
        return f"{self.year:04d}-Q{self.number}"

    @property
    def label(self) -> str:
        """How a report heading names the period: "August 2009", "Q3 2009"."""
        if self.cadence is Cadence.MONTHLY:
            return f"{_MONTH_NAMES[self.number - 1]} {self.year}"
        return f"Q{self.number} {self.year}"

    @property
    def start(self) -> date:
        return date(self.year, self._first_month, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    def next(self) -> Period:
        top = 12 if self.cadence is Cadence.MONTHLY else 4
        if self.number == top:
            return Period(self.cadence, self.year + 1, 1)
        return Period(self.cadence, self.year, self.number + 1)

    def previous(self) -> Period:
        if self.number == 1:
            top = 12 if self.cadence is Cadence.MONTHLY else 4
            return Period(self.cadence, self.year - 1, top)
        return Period(self.cadence, self.year, self.number - 1)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, self.end) < (other.start, other.end)

    def __str__(self) -> str:
        return self.key

    @property
    def _first_month(self) -> int:
        return self.number if self.cadence is Cadence.MONTHLY else 3 * self.number - 2


@dataclass(frozen=True)
class ActionDates:
    """What the period lists need to know about one action."""

    ref: str
    status: Status
    plan_start: date | None = None
    plan_finish: date | None = None
    actual_finish: date | None = None
    recurrence: str | None = None

    def completed_by(self, day: date) -> bool:
        if self.actual_finish is not None:
            return self.actual_finish <= day
        return self.status in (Status.COMPLETED, Status.VERIFIED)


@dataclass(frozen=True)
class PeriodLists:
    """The summary report's four lists for one period."""

    period: Period
    completed: list[ActionDates]
    overdue: list[ActionDates]
    due_next: list[ActionDates]
    commencing_next: list[ActionDates]


def period_lists(actions: list[ActionDates], period: Period) -> PeriodLists:
    """Sort actions into the period's lists; see the module docstring for the rules."""
    following = period.next()
    lists = PeriodLists(period, [], [], [], [])
    for action in actions:
        if action.status in (Status.DEFERRED, Status.CANCELLED):
            continue
        done = action.completed_by(period.end)
        # Ongoing and recurring work has no single finish to be overdue against.
        finish = None if action.recurrence else action.plan_finish
        if action.actual_finish in period:
            lists.completed.append(action)
        if finish is not None and not done:
            if finish <= period.end:
                lists.overdue.append(action)
            elif finish in following:
                lists.due_next.append(action)
        if not done and action.plan_start in following:
            lists.commencing_next.append(action)
    return lists
