"""Recomputing the hash chain over the whole event store, and each plan's digest.

One pass in position order over the events and the links side by side. Each link is
checked against the stored link before it, so one problem does not hide the next, and a
problem is located at the position where it is. Which plan an aggregate belongs to is read
from its creation event, not from the read models, which anyone could rewrite.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.plan import Plan
from engine.adapters.eventstore.chain import (
    GENESIS,
    EventRow,
    Head,
    Link,
    RangePage,
    canonical_bytes,
    next_link,
)
from projections.projectors import NO_PLAN, subject_of
from projections.reducer import event_kind

PAGE = 1000
MAX_PROBLEMS = 100


class ChainedRecorder(Protocol):
    def select_range(self, after: int, upto: int) -> RangePage: ...

    def find_link(self, originator_id: str, version: int) -> Link | None: ...

    def find_event_position(self, originator_id: str, version: int) -> int | None: ...


@dataclass(frozen=True)
class Problem:
    position: int
    what: str  # altered, deleted, inserted, reordered or unchained
    originator_id: str
    version: int
    subject: str
    detail: str
    # Plans the aggregate belongs to; empty when that could not be read (then it
    # concerns every plan), "" for users, whose events every plan relies on.
    plans: frozenset[str] = frozenset()

    def concerns(self, plan_id: str) -> bool:
        return not self.plans or NO_PLAN in self.plans or plan_id in self.plans

    def message(self) -> str:
        if self.what == "unchained":
            return f"{self.what} - {self.subject}: {self.detail}"
        return (
            f"position {self.position}: {self.what} - {self.subject} "
            f"(aggregate {self.originator_id}, version {self.version}): {self.detail}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "what": self.what,
            "aggregate": self.originator_id,
            "version": self.version,
            "subject": self.subject,
            "detail": self.detail,
            "message": self.message(),
        }


@dataclass(frozen=True)
class PlanPrefix:
    """The plan's events up to a position of the store: how many there were, the plan's
    digest after them and when the last of them was recorded."""

    position: int
    events: int
    head: str
    last_recorded: str | None


@dataclass
class PlanDigest:
    """The chain over one plan's events alone: what a checkpoint states and proves."""

    plan_id: str
    events: int = 0
    head: str = GENESIS
    last_position: int = 0
    # The digest after the first `checkpoint_events` events, when a checkpoint asks.
    at_checkpoint: str | None = None
    last_recorded: str | None = None
    # The plan's events up to `up_to_position`, when a checkpoint as at a position asks.
    up_to: PlanPrefix | None = None


@dataclass
class Verification:
    events: int = 0
    links: int = 0
    head: Head | None = None
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    plan: PlanDigest | None = None
    seconds: float = 0.0

    @property
    def intact(self) -> bool:
        return not self.problems

    def problems_for(self, plan_id: str | None) -> list[Problem]:
        if plan_id is None:
            return self.problems
        return [p for p in self.problems if p.concerns(plan_id)]

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class _Subjects:
    """What each aggregate is called and which plans it belongs to, from creation events."""

    def __init__(self, mapper: Any) -> None:
        self.mapper = mapper
        self.known: dict[str, tuple[frozenset[str], str]] = {}
        self.slugs: dict[str, str] = {}

    def learn(self, row: EventRow) -> None:
        oid = row[1]
        try:
            event = self.mapper.to_domain_event(_stored(row))
        except Exception:  # noqa: BLE001  (an altered event may not even decode)
            return
        plans, label = subject_of(event)
        kind = event_kind(event)
        if isinstance(event, Plan.Registered):
            self.slugs[oid] = event.slug
        self.known[oid] = (frozenset(plans), self._describe(kind, label, plans))

    def _describe(self, kind: str, label: str | None, plans: list[str]) -> str:
        aggregate = kind.split(".")[0]
        of_plan = ", ".join(f"plan {self.slugs.get(p, p)}" for p in plans if p != NO_PLAN)
        if aggregate == "Action":
            return f"action {label} of {of_plan}"
        if aggregate == "GovernanceItem":
            return f"governance item {label} of {of_plan}"
        if aggregate in ("Plan", "User"):
            return str(label)
        return f"{aggregate} {label or ''}".strip() + (f" of {of_plan}" if of_plan else "")

    def plans(self, oid: str) -> frozenset[str]:
        return self.known.get(oid, (frozenset(), ""))[0]

    def describe(self, oid: str) -> str:
        return self.known.get(oid, (frozenset(), "an aggregate whose creation was not found"))[1]


class _Pages:
    """The store read a range of positions at a time, each range in one consistent
    reading, shared by the two streams the check walks side by side (the events and the
    links); a page is dropped once both have passed it."""

    def __init__(self, recorder: ChainedRecorder, size: int) -> None:
        self.recorder = recorder
        self.size = size
        self.pages: dict[int, RangePage] = {}
        self.passed: dict[int, int] = {}
        self.head: Head | None = None
        self.last = 0
        self.fetched = -1

    def get(self, index: int) -> RangePage | None:
        if index > self.fetched:
            if index > 0 and index * self.size >= self.last:
                return None
            page = self.recorder.select_range(index * self.size, (index + 1) * self.size)
            self.pages[index] = page
            self.fetched = index
            # The latest reading has the last word on where the store ends.
            self.head, self.last = page.head, page.last
        return self.pages.get(index)

    def done_with(self, index: int) -> None:
        self.passed[index] = self.passed.get(index, 0) + 1
        if self.passed[index] == 2:
            self.pages.pop(index, None)
            del self.passed[index]

    def walk(self) -> Iterator[RangePage]:
        """One stream's pass over the pages, in order: each page is passed once the
        stream asks for the next."""
        index = 0
        while (page := self.get(index)) is not None:
            yield page
            self.done_with(index)
            index += 1

    def events(self) -> Iterator[EventRow]:
        for page in self.walk():
            yield from page.events

    def links(self) -> Iterator[Link]:
        for page in self.walk():
            yield from page.links


def verify_store(
    app: Any,
    plan_id: UUID | None = None,
    checkpoint_events: int | None = None,
    page: int = PAGE,
    up_to_position: int | None = None,
) -> Verification:
    """Check every link of the store's chain, and the digest of one plan if asked: of all
    its events, of its first `checkpoint_events` and of those up to `up_to_position`."""
    started = time.perf_counter()
    recorder: ChainedRecorder = app.recorder
    subjects = _Subjects(app.mapper)
    result = Verification()
    digest = PlanDigest(str(plan_id)) if plan_id is not None else None
    result.plan = digest
    last_plan_event: EventRow | None = None
    prefix: tuple[int, str, EventRow] | None = None  # events, head, last event

    def report(problem: Problem) -> None:
        if len(result.problems) < MAX_PROBLEMS:
            result.problems.append(problem)
        else:
            result.more_problems += 1

    pages = _Pages(recorder, page)
    events = pages.events()
    links = pages.links()
    event = next(events, None)
    link = next(links, None)
    previous_link = GENESIS
    previous_number = 0
    previous_position = 0
    while event is not None or link is not None:
        if link is not None and link.number != previous_number + 1:
            missing = link.number - previous_number - 1
            report(
                Problem(
                    link.position,
                    "deleted",
                    link.originator_id,
                    link.originator_version,
                    subjects.describe(link.originator_id),
                    f"{missing} link(s) of the chain are missing between positions "
                    f"{previous_position} and {link.position}: events and their links were "
                    "removed",
                    subjects.plans(link.originator_id),
                )
            )
            previous_number = link.number - 1
        if event is not None and (link is None or event[0] < link.position):
            # An event the chain never saw.
            position, oid, version = event[0], event[1], event[2]
            if version == 1:
                subjects.learn(event)
            chained = recorder.find_link(oid, version)
            report(
                Problem(
                    position,
                    "inserted" if chained is None else "reordered",
                    oid,
                    version,
                    subjects.describe(oid),
                    "stored directly in the database: it has no link in the chain"
                    if chained is None
                    else f"it was chained at position {chained.position}",
                    subjects.plans(oid),
                )
            )
            result.events += 1
            event = next(events, None)
            continue
        assert link is not None
        if event is None or link.position < event[0]:
            # A link whose event is gone.
            where = recorder.find_event_position(link.originator_id, link.originator_version)
            detail = (
                f"missing from the event store (it was chained at this position as link "
                f"{link.number})"
                if where is None
                else f"chained at this position but now stored at position {where}"
            )
            report(
                Problem(
                    link.position,
                    "deleted" if where is None else "reordered",
                    link.originator_id,
                    link.originator_version,
                    subjects.describe(link.originator_id),
                    detail,
                    subjects.plans(link.originator_id),
                )
            )
        else:
            position, oid, version, topic, state = event
            if version == 1:
                subjects.learn(event)
            canonical = canonical_bytes(oid, version, topic, state)
            if oid != link.originator_id or version != link.originator_version:
                report(_moved(recorder, subjects, position, oid, version, link))
            elif next_link(previous_link, canonical) != link.link:
                report(
                    Problem(
                        position,
                        "altered",
                        oid,
                        version,
                        subjects.describe(oid),
                        "its stored content (topic or state) or its link no longer matches "
                        "the chain",
                        subjects.plans(oid),
                    )
                )
            if digest is not None and digest.plan_id in subjects.plans(oid):
                digest.events += 1
                digest.head = next_link(digest.head, canonical)
                digest.last_position = position
                last_plan_event = event
                if checkpoint_events is not None and digest.events == checkpoint_events:
                    digest.at_checkpoint = digest.head
                if up_to_position is not None and position <= up_to_position:
                    prefix = (digest.events, digest.head, event)
            result.events += 1
            event = next(events, None)
        previous_link = link.link
        previous_number = link.number
        previous_position = link.position
        result.links += 1
        link = next(links, None)
    result.head = pages.head
    _check_head(result, previous_position, previous_number, previous_link, subjects, report)
    if result.events and not result.links:
        # No chain at all: one problem says so, rather than one per event.
        result.problems = [_unchained(result.events)]
        result.more_problems = 0
    if digest is not None and last_plan_event is not None:
        digest.last_recorded = _recorded_at(app, last_plan_event)
    if digest is not None and up_to_position is not None:
        count, head, last = prefix if prefix is not None else (0, GENESIS, None)
        digest.up_to = PlanPrefix(
            up_to_position, count, head, _recorded_at(app, last) if last is not None else None
        )
    result.seconds = time.perf_counter() - started
    return result


def _unchained(events: int) -> Problem:
    return Problem(
        0,
        "unchained",
        "",
        0,
        "the whole record",
        f"none of the {events} stored events is covered by the hash chain (its tables "
        "were dropped, or the store predates them): nothing vouches that they are as "
        "recorded, and the store accepts no write until an admin adopts them as they "
        "stand with 'actiontrail verify --adopt --reason TEXT'",
    )


def _moved(
    recorder: ChainedRecorder,
    subjects: _Subjects,
    position: int,
    oid: str,
    version: int,
    link: Link,
) -> Problem:
    """The event at a position is not the one chained there: moved, or swapped in."""
    chained = recorder.find_link(oid, version)
    if chained is not None:
        return Problem(
            position,
            "reordered",
            oid,
            version,
            subjects.describe(oid),
            f"it was chained at position {chained.position}; position {position} was chained "
            f"for aggregate {link.originator_id} version {link.originator_version}",
            subjects.plans(oid),
        )
    return Problem(
        position,
        "inserted",
        oid,
        version,
        subjects.describe(oid),
        f"it has no link in the chain, and it replaced aggregate {link.originator_id} "
        f"version {link.originator_version}, which was chained at this position",
        subjects.plans(oid) | subjects.plans(link.originator_id),
    )


def _check_head(
    result: Verification,
    position: int,
    number: int,
    link: str,
    subjects: _Subjects,
    report: Any,
) -> None:
    head = result.head
    if head is None:
        if number:
            report(
                Problem(
                    position,
                    "deleted",
                    "",
                    0,
                    "the chain's head",
                    "the record of the chain's head is missing",
                )
            )
        return
    if (head.position, head.number, head.link) != (position, number, link):
        report(
            Problem(
                head.position,
                "deleted",
                "",
                0,
                "the end of the record",
                f"the chain's head records {head.number} links up to position "
                f"{head.position}, but the chain ends with link {number} at position "
                f"{position}: the last events were removed",
            )
        )


def _stored(row: EventRow) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(row[1]), originator_version=row[2], topic=row[3], state=row[4]
    )


def _recorded_at(app: Any, row: EventRow) -> str | None:
    try:
        event = app.mapper.to_domain_event(_stored(row))
    except Exception:  # noqa: BLE001  (reported as altered already)
        return None
    return str(event.timestamp.isoformat())
