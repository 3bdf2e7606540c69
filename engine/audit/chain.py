"""The hash chain over stored events: how an event's bytes and its link are computed.

Each link is SHA-256 over the previous link and the event's canonical bytes, so changing,
removing, adding or moving any stored event changes every link after it. The same formula
gives a plan's digest (the chain over that plan's events alone), which survives export and
restore because it does not depend on positions in one particular store.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

GENESIS = "0" * 64
HASH_PREFIX = "sha256:"

# position, originator id (text), version, topic, state: an event as stored.
EventRow = tuple[int, str, int, str, bytes]


@dataclass(frozen=True)
class Link:
    """One link as kept beside the events: which event sits at a position, and its hash."""

    position: int
    number: int  # 1 for the first link; a gap means links were removed
    originator_id: str
    originator_version: int
    link: str


@dataclass(frozen=True)
class Head:
    position: int
    number: int
    link: str
    # Events up to this position were already stored when the chain was first added to
    # the store; they were chained then, not as each was recorded.
    sealed_through: int = 0
    sealed_at: str | None = None


@dataclass(frozen=True)
class RangePage:
    """The events and links at the positions of one range, and the head, as one
    consistent reading of the store (one read transaction)."""

    events: list[EventRow]
    links: list[Link]
    head: Head | None
    # The highest position anything (an event, a link or the head) is at.
    last: int


def id_text(originator_id: UUID | str) -> str:
    """The canonical text of an aggregate id: lower-case, with hyphens."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    if len(originator_id) == 36 and originator_id.islower():
        return originator_id
    return str(UUID(originator_id))


def _field(data: bytes) -> bytes:
    # Length-prefixed, so no choice of topic or state can be mistaken for another split.
    return len(data).to_bytes(8, "big") + data


def canonical_bytes(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    return (
        _field(id_text(originator_id).encode("ascii"))
        + _field(str(int(version)).encode("ascii"))
        + _field(topic.encode("utf-8"))
        + _field(bytes(state))
    )


def next_link(previous: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + canonical).hexdigest()


def link_of(
    previous: str, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> str:
    return next_link(previous, canonical_bytes(originator_id, version, topic, state))
