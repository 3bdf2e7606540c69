"""An admin's adoption of stored events that no hash chain covers.

A store whose chain tables were dropped (or that predates the chain) holds events
nothing vouches for: any of them may have been altered. The store accepts no write
until an admin adopts them as they stand; the adoption is itself an event, chained
after them in the same transaction that seals them, so the record says who adopted
how many events, when and why.
"""

from __future__ import annotations

from eventsourcing.domain import event

from domain.base import TrailAggregate
from domain.errors import InvalidInput


class ChainAdoption(TrailAggregate):
    class Adopted(TrailAggregate.Created):
        class_version = 1
        events: int  # how many stored events were adopted
        through_position: int  # the last of them
        reason: str
        actor: str

    @event(Adopted)
    def __init__(self, events: int, through_position: int, reason: str, actor: str) -> None:
        self.events = events
        self.through_position = through_position
        self.reason = reason
        self.actor = actor

    @classmethod
    def adopt(cls, events: int, through_position: int, reason: str, actor: str) -> ChainAdoption:
        if not reason.strip():
            raise InvalidInput("adopting events no chain covers needs a reason (--reason)")
        return cls(events=events, through_position=through_position, reason=reason, actor=actor)
