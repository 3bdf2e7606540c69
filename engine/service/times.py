"""Moments given on the command line or the web: a date or a date and time, London time.

The one parser for both: each turns MalformedMoment into its own message (the command
line as bad usage of the option, the web as a hint to use the picker)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from domain.clock import london
from domain.errors import MalformedValue


class MalformedMoment(MalformedValue):
    def __init__(self, value: str, option: str | None = None) -> None:
        super().__init__(
            f"'{value}' is not a date or time (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)", option
        )
        self.value = value


def parse_moment(value: str, *, end_of_day: bool = True, option: str = "TIME") -> datetime:
    """'2009-09-30' means the end of that day (or its start), London time; a time without
    a zone is London time. The result is in UTC, as events are recorded."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            local = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=london())
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            local = parsed if parsed.tzinfo else parsed.replace(tzinfo=london())
    except ValueError:
        raise MalformedMoment(value, option) from None
    return local.astimezone(UTC)
