"""What a use case recorded, as the application service saw it saved.

``collecting()`` gathers, for the block it wraps, every aggregate the application
service saved (``ActionTrail.record``) with the events stored for it: an interface can
then tell its user exactly what was recorded (the command line's ``--format json``)
without reading the store again. Kept free of heavy imports: the command line loads it
for every command.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

_collector: ContextVar[list[RecordedChange] | None] = ContextVar(
    "actiontrail_recorded", default=None
)


@dataclass(frozen=True)
class RecordedEvent:
    kind: str
    topic: str
    version: int
    position: int


@dataclass(frozen=True)
class RecordedChange:
    """One aggregate saved: what it is, its id, its version after the save, its events."""

    subject: str
    id: str
    version: int
    events: tuple[RecordedEvent, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "id": self.id,
            "version": self.version,
            "events": [
                {"kind": e.kind, "topic": e.topic, "version": e.version, "position": e.position}
                for e in self.events
            ],
        }


@contextmanager
def collecting() -> Iterator[list[RecordedChange]]:
    """The changes recorded inside the block, in the order they were saved."""
    changes: list[RecordedChange] = []
    token = _collector.set(changes)
    try:
        yield changes
    finally:
        _collector.reset(token)


def note(subjects: dict[Any, str], recordings: Sequence[Any]) -> None:
    """Called by the application service after each save with the saved aggregates'
    descriptions (by id) and the store's recordings."""
    changes = _collector.get()
    if changes is None:
        return
    by_id: dict[Any, list[RecordedEvent]] = {}
    for r in recordings:
        event = r.domain_event
        topic = r.notification.topic
        by_id.setdefault(event.originator_id, []).append(
            RecordedEvent(
                kind=topic.rsplit(".", 1)[-1],
                topic=topic,
                version=event.originator_version,
                position=r.notification.id,
            )
        )
    for aggregate_id, events in by_id.items():
        changes.append(
            RecordedChange(
                subject=subjects.get(aggregate_id, str(aggregate_id)),
                id=str(aggregate_id),
                version=max(e.version for e in events),
                events=tuple(events),
            )
        )
