"""Errors of the audit features that the command line reports as refusals."""

from __future__ import annotations

from eventsourcing.persistence import PersistenceError

from domain.errors import DomainError


class ChainBroken(PersistenceError, DomainError):
    """The event store was changed behind the engine's back in a way that stops it
    chaining new events (a position the chain already holds was reused)."""


class ChainMissing(ChainBroken):
    """The store holds events that no hash chain covers (its chain tables were dropped,
    or it was made before the chain existed): nothing may be written until an admin
    adopts them, as they stand, with `actiontrail verify --adopt`."""
