"""Queueing a day's digests in the event store and sending them, each exactly once.

Queueing records one Dispatch per digest; its id comes from the digest's key, so a
second run, or a second process, computing the same digest clashes on the id and
skips it. A person gets one digest a day: once anything is queued for them that day,
later runs leave them alone, and what changes during the day reaches them next time.

Sending claims a batch of dispatches (recorded before anything is sent, so a rival
sender's claim on the same version fails and it moves on), sends the batch over one
set of connections, and records each outcome. See domain.dispatch for the lease and
the retry rules.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from config.logging import get_logger
from domain import clock
from domain.dispatch import Dispatch, DispatchStatus, NotClaimable, RetryPolicy, dispatch_id
from domain.errors import Conflict, DomainError
from domain.reminders import Digest, Reminder, Unaddressed, build_digests
from domain.working_days import is_working_day
from engine.reminders.delivery import Renderer, make_transport
from engine.reminders.gather import (
    DayReminders,
    collector_paused,
    reminders_for_day,
    shown_rags,
)
from engine.reminders.items import digest_items
from engine.reminders.outbox import Outbox
from engine.runtime import Runtime
from notifiers.transport import Outcome, SendResult, Transport

log = get_logger(__name__)


@dataclass(frozen=True)
class DispatchConfig:
    # Long enough to send a batch through a slow server; a sender that dies holds its
    # batch this long before another takes it over.
    lease: timedelta = timedelta(minutes=10)
    batch: int = 200
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    digest_hour: int = 8  # London time; when the scheduler sends the day's digests


@dataclass(frozen=True)
class Preview:
    day: date
    digests: list[Digest]
    unreachable: list[Reminder]  # the recipient has no email address
    unaddressed: list[Unaddressed]  # nobody to send it to
    state: dict[str, str]  # digest key -> outbox status, for digests already queued
    queued_today: set[str]  # recipients who already have a digest for the day


@dataclass
class QueueReport:
    day: date
    digests: int = 0
    queued: int = 0
    already: int = 0  # the recipient already has that day's digest
    unreachable: int = 0  # no email address, or nobody to send to


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # claimed by another sender, or no longer needing sending

    def add(self, other: SendReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def sender_name() -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"


class Dispatcher:
    def __init__(
        self,
        rt: Runtime,
        transport: Transport | None = None,
        *,
        config: DispatchConfig | None = None,
        now: Callable[[], datetime] = clock.now,
        name: str | None = None,
    ) -> None:
        self.rt = rt
        self.transport = transport or make_transport(rt.settings)
        self.config = config or DispatchConfig()
        self.now = now
        self.name = name or sender_name()
        self.render = Renderer(rt.settings)
        self.outbox = Outbox(rt.app, rt.engine)

    # What is due

    def due(self, day: date) -> DayReminders:
        self.rt.runner.catch_up()
        return reminders_for_day(self.rt.engine, day, self.config.digest_hour)

    def preview(self, day: date) -> Preview:
        found = self.due(day)
        self.outbox.catch_up()
        rows = self.outbox.rows(day=day)
        return Preview(
            day=day,
            digests=build_digests(found.reminders),
            unreachable=found.unreachable,
            unaddressed=found.unaddressed,
            state={r.key: r.status for r in rows},
            queued_today={r.recipient for r in rows},
        )

    # Queueing

    def queue(self, day: date) -> QueueReport:
        found = self.due(day)
        with collector_paused():
            digests = build_digests(found.reminders)
        report = QueueReport(
            day,
            digests=len(digests),
            unreachable=len(found.unreachable) + len(found.unaddressed),
        )
        self.outbox.catch_up()
        done = self.outbox.recipients_on(day)
        waiting = []
        for d in digests:
            assert d.recipient.email is not None  # build_digests keeps only those with one
            if d.recipient.email.strip().lower() in done:
                report.already += 1
                continue
            waiting.append(d)
        ratings = shown_rags(self.rt.engine, found, (r for d in waiting for r in d.reminders))
        fresh = [
            Dispatch.queue(
                d.key, d.recipient, day, found.plans_of(d.reminders), digest_items(d, ratings)
            )
            for d in waiting
        ]
        with self.rt.app.deferred_projection():
            for i in range(0, len(fresh), self.config.batch):
                recorded = self._record_new(fresh[i : i + self.config.batch])
                report.queued += recorded
                report.already += len(fresh[i : i + self.config.batch]) - recorded
        self.outbox.mark_queued(day, self.now())
        if report.queued:
            log.info("reminders queued", **{**report.__dict__, "day": day.isoformat()})
        return report

    def missed_days(self, today: date, back: int) -> list[date]:
        """Working days in the ``back`` days before ``today`` whose digests were never
        queued, oldest first. Only days after the first day ever queued count: a new
        installation, or one that has not queued since this was recorded, does not
        send a week of old digests on its first run."""
        first = self.outbox.first_day_queued()
        if first is None:
            return []
        start = max(today - timedelta(days=back), first + timedelta(days=1))
        yesterday = today - timedelta(days=1)
        if start > yesterday:
            return []
        done = self.outbox.days_queued(start, yesterday)
        days = (start + timedelta(days=n) for n in range((yesterday - start).days + 1))
        return [d for d in days if is_working_day(d) and d not in done]

    def _record_new(self, dispatches: list[Dispatch]) -> int:
        app = self.rt.app
        try:
            app.record(*dispatches)
            return len(dispatches)
        except Conflict:
            pass
        # Someone queued some of these first; keep the rest.
        recorded = 0
        for d in dispatches:
            fresh = Dispatch.queue(d.key, d.recipient, d.day, d.plan_ids, d.items)
            try:
                app.record(fresh)
                recorded += 1
            except Conflict:
                continue
        return recorded

    # Sending

    def send_due(self) -> SendReport:
        """Send everything queued, due for a retry, or left by a sender whose lease ran out."""
        report = SendReport()
        tried: set[str] = set()
        with self.rt.app.deferred_projection():
            while True:
                self.outbox.catch_up()
                ids = self.outbox.due(self.now(), self.config.batch, exclude=tuple(tried))
                if not ids:
                    break
                tried.update(ids)
                report.add(self._send_batch(ids))
        if report.claimed:
            log.info("reminders sent", sender=self.name, **report.__dict__)
        return report

    def run(self, day: date) -> tuple[QueueReport, SendReport]:
        return self.queue(day), self.send_due()

    def _send_batch(self, ids: list[str]) -> SendReport:
        report = SendReport()
        now = self.now()
        claimed = self._claim([UUID(i) for i in ids], now)
        report.claimed = len(claimed)
        report.skipped = len(ids) - len(claimed)
        if not claimed:
            return report
        messages: list[EmailMessage] = []
        results: dict[int, SendResult] = {}
        for n, d in enumerate(claimed):
            try:
                messages.append(self.render(d, now))
            except Exception as exc:  # a digest that cannot be rendered never will be
                log.exception("reminder could not be rendered", dispatch=d.key)
                results[n] = SendResult(d.key, Outcome.PERMANENT, f"not rendered: {exc!r}")
        sendable = [n for n in range(len(claimed)) if n not in results]
        outcomes = asyncio.run(self.transport.send_batch(messages)) if messages else []
        results.update(zip(sendable, outcomes, strict=True))
        self._record_outcomes(claimed, [results[n] for n in range(len(claimed))], report)
        return report

    def _claim(self, ids: list[UUID], now: datetime) -> list[Dispatch]:
        app = self.rt.app
        batch = [d for d in (self._load(i) for i in ids) if d is not None and d.claimable(now)]
        for d in batch:
            d.claim(self.name, now, self.config.lease)
        if not batch:
            return []
        try:
            app.record(*batch)
            return batch
        except Conflict:
            pass
        # Another sender claimed some of these since they were read: take the rest.
        claimed = []
        for i in (d.id for d in batch):
            again = self._load(i)
            if again is None:
                continue
            try:
                again.claim(self.name, now, self.config.lease)
                app.record(again)
            except (NotClaimable, Conflict):
                continue
            claimed.append(again)
        return claimed

    def _load(self, dispatch: UUID) -> Dispatch | None:
        try:
            found: Dispatch = self.rt.app.repository.get(dispatch)
        except AggregateNotFoundError:
            return None
        return found

    def _record_outcomes(
        self, claimed: list[Dispatch], results: list[SendResult], report: SendReport
    ) -> None:
        for d, r in zip(claimed, results, strict=True):
            self._apply_outcome(d, r)
            if r.outcome is Outcome.SENT:
                report.sent += 1
            elif r.outcome is Outcome.PERMANENT:
                report.failed += 1
            else:
                report.retrying += 1
        try:
            self.rt.app.record(*claimed)
            return
        except Conflict:
            pass
        # A lease ran out mid-batch and another sender took some over: record ours one
        # by one against what is stored now.
        for d, r in zip(claimed, results, strict=True):
            current = self._load(d.id)
            if current is None:
                continue
            try:
                self._apply_outcome(current, r)
                self.rt.app.record(current)
            except (DomainError, Conflict) as exc:
                log.warning("reminder outcome not recorded", dispatch=d.key, reason=str(exc))

    def _apply_outcome(self, d: Dispatch, r: SendResult) -> None:
        if r.outcome is Outcome.SENT:
            d.record_sent(self.name, r.detail or "accepted")
            return
        d.record_failure(
            self.name,
            permanent=r.outcome is Outcome.PERMANENT,
            detail=r.detail,
            code=r.code,
            now=self.now(),
            retry=self.config.retry,
        )


def find_dispatch(rt: Runtime, key: str) -> Dispatch | None:
    try:
        found: Dispatch = rt.app.repository.get(dispatch_id(key))
    except AggregateNotFoundError:
        return None
    return found


__all__ = [
    "Dispatcher",
    "DispatchConfig",
    "DispatchStatus",
    "Preview",
    "QueueReport",
    "SendReport",
    "find_dispatch",
]
