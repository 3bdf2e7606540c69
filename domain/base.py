"""The aggregate base class: every event is stamped by the domain clock."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.domain import Aggregate

from domain import clock


class TrailAggregate(Aggregate):
    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            # Stored in UTC so that recorded times sort as text in every database.
            return clock.now().astimezone(UTC)

    class Created(Event, Aggregate.Created):
        pass
