"""The hash chain over stored events: how an event's bytes and its link are computed.

Each link is SHA-256 over the previous link and the event's canonical bytes, so changing,
removing, adding or moving any stored event changes every link after it. The same formula
gives a plan's digest (the chain over that plan's events alone), which survives export and
restore because it does not depend on positions in one particular store.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from engine.adapters.eventstore.errors import ChainBroken, ChainMissing

GENESIS = "0" * 64
HASH_PREFIX = "sha256:"
# The one event a store whose events no chain covers accepts: an admin's adoption of
# them (domain.chain_adoption), in whose transaction they are sealed as they stand.
ADOPTION_TOPIC = "domain.chain_adoption:ChainAdoption.Adopted"


def missing_chain_message(unchained: int) -> str:
    return (
        f"the event store holds {unchained} event(s) that its hash chain does not cover "
        "(the chain's tables were dropped, or the store predates them), so nothing can be "
        "recorded: run 'actiontrail verify' to see the record, then, as an admin, "
        "'actiontrail verify --adopt --reason TEXT' to adopt those events as they stand"
    )


# position, originator id (text), version, topic, state: an event as stored.
EventRow = tuple[int, str, int, str, bytes]


class Link(NamedTuple):
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


_LENGTH = struct.Struct(">Q").pack


def canonical_bytes(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """Each field prefixed by its length (8 bytes, big-endian), so no choice of topic or
    state can be mistaken for another split of the same bytes."""
    oid = id_text(originator_id).encode("ascii")
    ver = b"%d" % int(version)
    top = topic.encode("utf-8")
    data = bytes(state)
    return b"".join(
        (
            _LENGTH(len(oid)),
            oid,
            _LENGTH(len(ver)),
            ver,
            _LENGTH(len(top)),
            top,
            _LENGTH(len(data)),
            data,
        )
    )


def next_link(previous: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + canonical).hexdigest()


def link_of(
    previous: str, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> str:
    return next_link(previous, canonical_bytes(originator_id, version, topic, state))


def head_of(row: Any) -> Head:
    """The chain's head from its row (either store's), or the genesis when there is none."""
    if row is None:
        return Head(0, 0, GENESIS)
    return Head(
        row["position"], row["number"], row["link"], row["sealed_through"], row["sealed_at"]
    )


def link_row(row: Any) -> Link:
    return Link(
        position=row["position"],
        number=row["number"],
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        link=row["link"],
    )


def refuse_unchained(unchained: int, events: Sequence[StoredEvent]) -> None:
    """Events the chain does not cover may only be adopted, in an adoption's transaction."""
    if unchained and not any(e.topic == ADOPTION_TOPIC for e in events):
        raise ChainMissing(missing_chain_message(unchained))


def new_links(
    head: Head, events: Sequence[StoredEvent], positions: Sequence[int]
) -> list[tuple[int, int, str, int, str]]:
    """The rows that chain newly stored events on from the head: position, number,
    originator, version and link, in the order the store issued the positions."""
    previous, number = head.link, head.number
    links = []
    for event, position in zip(events, positions, strict=True):
        if position <= head.position:
            raise ChainBroken(
                f"the event store issued position {position}, which is not after the "
                f"hash chain's head ({head.position}): the store was changed behind the "
                "engine's back; run 'actiontrail verify'"
            )
        number += 1
        previous = link_of(
            previous, event.originator_id, event.originator_version, event.topic, event.state
        )
        links.append(
            (position, number, id_text(event.originator_id), event.originator_version, previous)
        )
    return links


class ChainExtension:
    """What both stores' recorders share: the chain extended over newly stored events
    in the transaction that stores them. Each store reads and writes its own tables."""

    def _extend_chain(
        self, cursor: Any, stored_events: Sequence[StoredEvent], positions: Sequence[int]
    ) -> None:
        if not stored_events:
            return
        head = self._read_head(cursor)
        if head.number == 0:
            # Events stored before these that no chain covers are refused, unless
            # these adopt them: then they are sealed as they stand first.
            unchained = self._unchained_before(cursor, positions[0])
            if unchained:
                refuse_unchained(unchained, stored_events)
                self._seal_existing(cursor, before=positions[0])
                head = self._read_head(cursor)
        self._write_links(cursor, new_links(head, stored_events, positions))

    def _read_head(self, cursor: Any) -> Head:
        raise NotImplementedError

    def _unchained_before(self, cursor: Any, position: int) -> int:
        """How many events are stored before the position."""
        raise NotImplementedError

    def _seal_existing(self, cursor: Any, before: int) -> None:
        raise NotImplementedError

    def _write_links(self, cursor: Any, links: list[tuple[int, int, str, int, str]]) -> None:
        """Store the chain rows and move the head to the last of them."""
        raise NotImplementedError


def seal_pages(
    page_after: Callable[[int], Sequence[Any]],
    position: str,
    keep: Callable[[list[tuple[int, int, str, int, str]]], None],
) -> tuple[int, int, str]:
    """Chain stored events as they stand, from the genesis, a page at a time (either
    store's): `page_after` gives the rows after a position in log order, each with its
    position under `position`, and `keep` stores each page's chain rows. The last
    position, the number of events chained and the last link."""
    after, number, previous = 0, 0, GENESIS
    while rows := page_after(after):
        links = []
        for row in rows:
            number += 1
            previous = link_of(
                previous,
                row["originator_id"],
                row["originator_version"],
                row["topic"],
                bytes(row["state"]),
            )
            links.append(
                (
                    row[position],
                    number,
                    id_text(row["originator_id"]),
                    row["originator_version"],
                    previous,
                )
            )
        keep(links)
        after = rows[-1][position]
    return after, number, previous
