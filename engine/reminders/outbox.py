"""The outbox: a table of every dispatch and its state, kept from the Dispatch events.

The events are the record; this table is the index senders search for work (what is
queued, what is due for another try, whose claim has lapsed) and what `outbox`
shows. It is fed like the other read models, from the notification log, with its
position moved in the same transaction as its rows and only if nobody moved it
first, so two processes feeding it never apply an event twice. A sender always
re-reads the aggregate before acting, so a row that lags behind is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from domain.dispatch import Dispatch, DispatchStatus

metadata = MetaData()

outbox = Table(
    "reminder_outbox",
    metadata,
    Column("dispatch_id", String(36), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("name", String(200), nullable=True),
    Column("day", String(10), nullable=False),
    Column("subject", String(400), nullable=False),
    Column("plan_ids", Text, nullable=False),
    Column("items", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("claimed_by", String(200), nullable=True),
    # Moments as fixed-width UTC text, so that they compare as text in every database.
    Column("lease_until", String(32), nullable=True),
    Column("retry_at", String(32), nullable=True),
    Column("detail", Text, nullable=True),
    Column("code", Integer, nullable=True),
    Column("queued_at", String(32), nullable=False),
    Column("sent_at", String(32), nullable=True),
    Column("updated_at", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Index("reminder_outbox_status", "status"),
    Index("reminder_outbox_recipient_day", "recipient", "day"),
)

position = Table(
    "reminder_outbox_position",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

# The days whose digests have been queued (by the scheduler or by `reminders send`),
# so that a scheduler coming back after an outage knows which days it missed. Not
# derived from the events: a day with nothing due leaves none. Dropped, it only
# forgets the past, and catching up starts again from the next day queued.
queued_days = Table(
    "reminder_days_queued",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("queued_at", String(32), nullable=False),
)

_NAME = "outbox"
TOPICS = [
    get_topic(cls) for cls in (Dispatch.Queued, Dispatch.Claimed, Dispatch.Sent, Dispatch.Failed)
]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def create_tables(engine: Engine) -> None:
    # Two processes starting together may both find a table missing and both create
    # it; the loser's error means the table is there now, so look again.
    for attempt in range(3):
        try:
            metadata.create_all(engine)
            return
        except DBAPIError:
            if attempt == 2:
                raise


_UPDATE_ROW = (
    update(outbox)
    .where(outbox.c.dispatch_id == bindparam("v_dispatch_id"))
    .values({c.name: bindparam(f"v_{c.name}") for c in outbox.columns if c.name != "dispatch_id"})
)


class _PositionMoved(Exception):
    pass


@dataclass(frozen=True)
class OutboxRow:
    dispatch_id: str
    key: str
    recipient: str
    name: str | None
    day: str
    subject: str
    plan_ids: list[str]
    items: int
    status: str
    attempts: int
    claimed_by: str | None
    lease_until: str | None
    retry_at: str | None
    detail: str | None
    code: int | None
    queued_at: str
    sent_at: str | None
    updated_at: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Outbox:
    """Keeps the outbox table up to date from the event store, and searches it."""

    def __init__(self, app: Any, engine: Engine, page_size: int = 1000) -> None:
        self.app = app
        self.engine = engine
        self.page_size = page_size
        create_tables(engine)

    # Keeping up

    def catch_up(self) -> int:
        """Apply every Dispatch event not yet applied; returns how many were."""
        self._ensure_position()
        applied = 0
        while True:
            start = self._position()
            notifications = self.app.recorder.select_notifications(
                start=start, limit=self.page_size, topics=TOPICS, inclusive_of_start=False
            )
            if not notifications:
                return applied
            events = [self.app.mapper.to_domain_event(n) for n in notifications]
            try:
                self._commit(start, notifications[-1].id, events)
            except _PositionMoved:
                continue  # another process applied this page; read on from where it got
            applied += len(events)

    def _ensure_position(self) -> None:
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(
                dialect.insert(position).values(name=_NAME, position=0).on_conflict_do_nothing()
            )

    def _position(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(position.c.position).where(position.c.name == _NAME)
                ).scalar_one()
            )

    def _commit(self, start: int, last: int, events: list[Any]) -> None:
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(position)
                .where(position.c.name == _NAME, position.c.position == start)
                .values(position=last)
            )
            if moved.rowcount != 1:
                raise _PositionMoved()
            ids = sorted({str(e.originator_id) for e in events})
            rows: dict[str, dict[str, Any]] = {}
            for i in range(0, len(ids), 500):
                found = conn.execute(
                    select(outbox).where(outbox.c.dispatch_id.in_(ids[i : i + 500]))
                ).mappings()
                rows.update({r["dispatch_id"]: dict(r) for r in found})
            existing = set(rows)
            for e in events:
                _apply(rows, e)
            new = [r for k, r in rows.items() if k not in existing]
            changed = [r for k, r in rows.items() if k in existing]
            for i in range(0, len(new), 200):
                conn.execute(outbox.insert(), new[i : i + 200])
            if changed:
                # One statement for every changed row: a batch of claims or outcomes is
                # hundreds of rows.
                conn.execute(_UPDATE_ROW, [{f"v_{k}": v for k, v in r.items()} for r in changed])

    # Searching

    def due(self, now: datetime, limit: int, exclude: Sequence[str] = ()) -> list[str]:
        """Dispatch ids to try now: queued and not waiting for a retry, or claimed by a
        sender whose lease has run out. Oldest first."""
        at = stamp(now)
        query = (
            select(outbox.c.dispatch_id)
            .where(
                or_(
                    and_(
                        outbox.c.status == DispatchStatus.QUEUED.value,
                        or_(outbox.c.retry_at.is_(None), outbox.c.retry_at <= at),
                    ),
                    and_(
                        outbox.c.status == DispatchStatus.SENDING.value,
                        outbox.c.lease_until <= at,
                    ),
                )
            )
            .order_by(outbox.c.queued_at, outbox.c.dispatch_id)
            .limit(limit + len(exclude))
        )
        skip = set(exclude)
        with self.engine.connect() as conn:
            found = [i for i in conn.execute(query).scalars() if i not in skip]
        return found[:limit]

    def claimed_by(self, sender: str, limit: int, exclude: Sequence[str] = ()) -> list[str]:
        """Dispatch ids the sender named holds a claim on, lease run out or not."""
        query = (
            select(outbox.c.dispatch_id)
            .where(outbox.c.status == DispatchStatus.SENDING.value, outbox.c.claimed_by == sender)
            .order_by(outbox.c.queued_at, outbox.c.dispatch_id)
            .limit(limit + len(exclude))
        )
        skip = set(exclude)
        with self.engine.connect() as conn:
            found = [i for i in conn.execute(query).scalars() if i not in skip]
        return found[:limit]

    def recipients_on(self, day: date) -> set[str]:
        with self.engine.connect() as conn:
            return set(
                conn.execute(
                    select(outbox.c.recipient).where(outbox.c.day == day.isoformat())
                ).scalars()
            )

    def rows(
        self, status: str | None = None, day: date | None = None, limit: int | None = None
    ) -> list[OutboxRow]:
        query = select(outbox).order_by(outbox.c.day.desc(), outbox.c.recipient, outbox.c.queued_at)
        if status is not None:
            query = query.where(outbox.c.status == status)
        if day is not None:
            query = query.where(outbox.c.day == day.isoformat())
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            found = conn.execute(query).mappings().all()
        return [
            OutboxRow(
                **{**{k: r[k] for k in r if k != "version"}, "plan_ids": json.loads(r["plan_ids"])}
            )
            for r in found
        ]

    # Days queued

    def mark_queued(self, day: date, at: datetime) -> None:
        """Record that ``day``'s digests have been queued (again, if they had been)."""
        with self.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            insert = dialect.insert(queued_days).values(day=day.isoformat(), queued_at=stamp(at))
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[queued_days.c.day], set_={"queued_at": stamp(at)}
                )
            )

    def days_queued(self, start: date, end: date) -> set[date]:
        """The days from ``start`` to ``end`` inclusive whose digests have been queued."""
        with self.engine.connect() as conn:
            found = conn.execute(
                select(queued_days.c.day).where(
                    queued_days.c.day >= start.isoformat(), queued_days.c.day <= end.isoformat()
                )
            ).scalars()
            return {date.fromisoformat(d) for d in found}

    def first_day_queued(self) -> date | None:
        with self.engine.connect() as conn:
            first = conn.execute(select(func.min(queued_days.c.day))).scalar_one_or_none()
        return date.fromisoformat(first) if first else None

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in DispatchStatus}
        with self.engine.connect() as conn:
            for status in conn.execute(select(outbox.c.status)).scalars():
                out[status] = out.get(status, 0) + 1
        return out


def _apply(rows: dict[str, dict[str, Any]], e: Any) -> None:
    oid = str(e.originator_id)
    at = stamp(e.timestamp)
    if isinstance(e, Dispatch.Queued):
        rows[oid] = {
            "dispatch_id": oid,
            "key": e.key,
            "recipient": str(e.recipient["email"]).lower(),
            "name": e.recipient.get("name"),
            "day": e.day.isoformat(),
            "subject": e.subject,
            "plan_ids": json.dumps([str(p) for p in e.plan_ids]),
            "items": len(e.items),
            "status": DispatchStatus.QUEUED.value,
            "attempts": 0,
            "claimed_by": None,
            "lease_until": None,
            "retry_at": None,
            "detail": None,
            "code": None,
            "queued_at": at,
            "sent_at": None,
            "updated_at": at,
            "version": e.originator_version,
        }
        return
    row = rows.get(oid)
    if row is None:
        return  # events are applied in log order, so a dispatch's Queued comes first
    row["updated_at"] = at
    row["version"] = e.originator_version
    if isinstance(e, Dispatch.Claimed):
        row.update(
            status=DispatchStatus.SENDING.value,
            attempts=e.attempt,
            claimed_by=e.by,
            lease_until=stamp(e.lease_until),
        )
    elif isinstance(e, Dispatch.Sent):
        row.update(
            status=DispatchStatus.SENT.value,
            lease_until=None,
            retry_at=None,
            detail=e.detail,
            sent_at=at,
        )
    elif isinstance(e, Dispatch.Failed):
        row.update(
            status=(DispatchStatus.FAILED if e.permanent else DispatchStatus.QUEUED).value,
            claimed_by=None,
            lease_until=None,
            retry_at=stamp(e.retry_at) if e.retry_at else None,
            detail=e.detail,
            code=e.code,
        )
