"""Moments typed into the pages' datetime-local pickers: London time, as the plans run."""

from __future__ import annotations

from engine.service.times import MalformedMoment, parse_moment


def local_input_to_utc(value: str, *, end: bool) -> str | None:
    """'2009-07-31T18:00' (London) or a bare date as the ISO UTC text the history is
    indexed by; a bare date means the end (or start) of that day."""
    if not value.strip():
        return None
    try:
        return parse_moment(value, end_of_day=end).isoformat()
    except MalformedMoment:
        raise ValueError(f"'{value}' is not a date and time (use the picker)") from None
