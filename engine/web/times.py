"""Moments typed into the pages' datetime-local pickers: London time, as the plans run."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from domain.clock import LONDON


def local_input_to_utc(value: str, *, end: bool) -> str | None:
    """'2009-07-31T18:00' (London) or a bare date as the ISO UTC text the history is
    indexed by; a bare date means the end (or start) of that day."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            local = datetime.combine(
                date.fromisoformat(text), time.max if end else time.min, tzinfo=LONDON
            )
        else:
            parsed = datetime.fromisoformat(text)
            local = parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON)
    except ValueError:
        raise ValueError(f"'{value}' is not a date and time (use the picker)") from None
    return local.astimezone(UTC).isoformat()
