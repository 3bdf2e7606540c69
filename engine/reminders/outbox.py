"""The outbox: a table of every dispatch and its state, kept from the Dispatch events.

The events are the record; the table (projections.outbox, one of the read models the
projection runner feeds, with its tracking record moved in the same transaction as its
rows) is the index senders search for work: what is queued, what is due for another
try, whose claim has lapsed, and what `outbox` shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Engine, MetaData, String, Table, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from domain.dispatch import DispatchStatus
from projections.outbox import stamp
from projections.runner import ProjectionRunner
from projections.schema import outbox

metadata = MetaData()

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
    """Searches the outbox table, brought up to date by the projection runner."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner
        self.engine = runner.engine
        create_tables(self.engine)

    def catch_up(self) -> int:
        """Apply every event not yet applied to the read models, the outbox with them;
        returns how many were."""
        return self.runner.catch_up()

    # Searching

    def due(self, now: datetime, limit: int, exclude: Sequence[str] = ()) -> list[str]:
        """Dispatch ids to try now: queued and not waiting for a retry, or claimed by a
        sender whose lease has run out. Oldest first."""
        at = stamp(now)
        return self._oldest(
            or_(
                and_(
                    outbox.c.status == DispatchStatus.QUEUED.value,
                    or_(outbox.c.retry_at.is_(None), outbox.c.retry_at <= at),
                ),
                and_(
                    outbox.c.status == DispatchStatus.SENDING.value,
                    outbox.c.lease_until <= at,
                ),
            ),
            limit,
            exclude,
        )

    def claimed_by(self, sender: str, limit: int, exclude: Sequence[str] = ()) -> list[str]:
        """Dispatch ids the sender named holds a claim on, lease run out or not."""
        return self._oldest(
            and_(outbox.c.status == DispatchStatus.SENDING.value, outbox.c.claimed_by == sender),
            limit,
            exclude,
        )

    def _oldest(self, where: Any, limit: int, exclude: Sequence[str]) -> list[str]:
        """Up to ``limit`` dispatch ids that match, oldest first, leaving out ``exclude``."""
        query = (
            select(outbox.c.dispatch_id)
            .where(where)
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
