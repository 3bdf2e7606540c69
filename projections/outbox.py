"""The reminders outbox as a projection: a row for every dispatch and its state, kept
from the Dispatch events like the other read models.

The events are the record; this table is the index senders search for work (what is
queued, what is due for another try, whose claim has lapsed) and what `outbox` shows
(engine.reminders.outbox). A sender always re-reads the aggregate before acting, so a
row that lags behind is harmless.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select, update

from domain.dispatch import Dispatch, DispatchStatus
from projections.schema import outbox

EVENTS = (Dispatch.Queued, Dispatch.Claimed, Dispatch.Sent, Dispatch.Failed)

_UPDATE_ROW = (
    update(outbox)
    .where(outbox.c.dispatch_id == bindparam("v_dispatch_id"))
    .values({c.name: bindparam(f"v_{c.name}") for c in outbox.columns if c.name != "dispatch_id"})
)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class OutboxProjection:
    name = "outbox"
    tables: tuple[Table, ...] = (outbox,)

    def forget(self) -> None:
        """Nothing is remembered between batches."""

    def apply_batch(self, conn: Connection, batch: list[tuple[int, Any]]) -> None:
        events = [e for _, e in batch if isinstance(e, EVENTS)]
        if not events:
            return
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
