"""The time events are recorded at.

Events take their timestamp from here so that the demo plan and the tests can record
history under a simulated clock; in normal running it is the system clock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


@functools.cache
def london() -> ZoneInfo:
    """Where the plans are run. Loaded when first asked for, not when a command starts."""
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")


def system_clock() -> datetime:
    return datetime.now(tz=UTC)


_clock: ContextVar[Clock] = ContextVar("actiontrail_clock", default=system_clock)


def now() -> datetime:
    return _clock.get()()


def today() -> date:
    """Today's date where the plans are run."""
    return now().astimezone(london()).date()


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


class FixedClock:
    """A clock that stands still until moved; used for simulated histories."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("clock time must be timezone-aware")
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("clock time must be timezone-aware")
        self.at = at
