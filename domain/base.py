"""The aggregate base class: every event is stamped by the domain clock."""

from __future__ import annotations

from copy import deepcopy
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain import clock
from domain.values import Immutable

# Values that cannot change once made: a deep copy may share them.
_IMMUTABLE = (str, int, float, bool, type(None), UUID, date, datetime, Enum, Immutable)
# The commonest of them, found by their exact type before the slower isinstance.
_PLAIN = frozenset((str, int, float, bool, type(None), UUID, date, datetime))
# Containers that, when empty, a new empty one copies.
_CONTAINERS = frozenset((list, dict, set))


class TrailAggregate(Aggregate):
    class Event(Aggregate.Event):
        @staticmethod
        def create_timestamp() -> datetime:
            # Stored in UTC so that recorded times sort as text in every database.
            return clock.now().astimezone(UTC)

    class Created(Event, Aggregate.Created):
        pass

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        # The repository deep-copies a cached aggregate for every command, so that a
        # command that fails half-way cannot corrupt the cache. Its ids, dates, times
        # and value objects are immutable and are shared; everything else is copied.
        copied = object.__new__(type(self))
        memo[id(self)] = copied
        copied.__dict__.update(
            {
                name: value
                if type(value) in _PLAIN or isinstance(value, _IMMUTABLE)
                else type(value)()
                if not value and type(value) in _CONTAINERS
                else deepcopy(value, memo)
                for name, value in self.__dict__.items()
            }
        )
        return copied
