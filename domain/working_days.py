"""Working days in England and Wales: weekdays that are not bank holidays.

Reminder dates are counted in working days because officers are not at their desks
at weekends or on bank holidays, and a reminder that lands then is a reminder missed.
Bank holidays come from the ``holidays`` package so that one-off days (jubilees,
state funerals) and substitute days are right without anyone maintaining a list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import holidays

from domain.clock import london

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> frozenset[date]:
    # A frozen set per year: the holidays object is slow to query one date at a
    # time, and reminder runs ask about the same few years over and over.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(d: date) -> bool:
    return d in _bank_holidays(d.year)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def add_working_days(d: date, n: int) -> date:
    """The date ``n`` working days after ``d`` (before it when ``n`` is negative).

    ``d`` itself need not be a working day: one working day after a Saturday is the
    Monday (or Tuesday after a bank holiday Monday). ``n == 0`` returns ``d``
    unchanged, working day or not.
    """
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return d


def last_working_day_on_or_before(d: date) -> date:
    while not is_working_day(d):
        d -= _ONE_DAY
    return d


def next_working_day_on_or_after(d: date) -> date:
    while not is_working_day(d):
        d += _ONE_DAY
    return d


def working_days_before(deadline: date, n: int) -> date:
    """The working day ``n`` working days before ``deadline``.

    A deadline that falls on a weekend or bank holiday is treated as falling due on
    the last working day before it, since that is the last day anyone can act on it;
    the count starts from there. So ``n == 0`` gives the deadline itself when it is a
    working day and otherwise the last working day before it, and every ``n`` gives
    a different day (the rungs of a reminder ladder never collapse onto one day).
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    return add_working_days(last_working_day_on_or_before(deadline), -n)


def london_today(now_utc: datetime) -> date:
    """The calendar date in London at ``now_utc``.

    A naive datetime is taken to be UTC, the form ``datetime.utcnow()`` produces.
    """
    if now_utc.tzinfo is None:
        now_utc = now_utc.replace(tzinfo=UTC)
    return now_utc.astimezone(london()).date()
