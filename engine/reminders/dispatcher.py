"""Queueing a day's digests in the event store and sending them, each exactly once.

Queueing records one Dispatch per digest; its id comes from the digest's key, so a
second run, or a second process, computing the same digest clashes on the id and
skips it. A person gets one digest a day: once anything is queued for them that day,
later runs leave them alone, and what changes during the day reaches them next time.

Sending claims a batch of dispatches (recorded before anything is sent, so a rival
sender's claim on the same version fails and it moves on), sends the batch over one
set of connections, and records each message's outcome as soon as the server answers,
before that connection sends another: a sender killed part-way has sent at most one
message per connection that it has not recorded (docs/reminders.md). A sender that
restarts under its old name (see engine.reminders.sender) takes back its own claims at
once instead of waiting out their lease. See domain.dispatch for the lease and the
retry rules.

Every write goes through the application service (queue_dispatches, claim_dispatches,
record_attempt).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from uuid import UUID

from config.logging import get_logger
from domain import clock
from domain.dispatch import Attempt, Dispatch, DispatchStatus, RetryPolicy, dispatch_id
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
from engine.reminders.sender import SenderSlot, take_slot
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
    unreachable: list[Reminder]  # the recipient has no email address, or is deactivated
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
    reclaimed: int = 0  # own claims of a sender that died, taken back at once
    # Reminders left out of the digest they were in, because they could not be
    # rendered: "recipient: ref (why)". The rest of each of those digests went.
    left_out: list[str] = field(default_factory=list)

    def add(self, other: SendReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


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
        # A name given is used as it is; otherwise the host's first free sender slot,
        # which a restarted sender gets back (engine.reminders.sender).
        self.slot = SenderSlot(name, None) if name else take_slot(rt.settings.database_url)
        self.name = self.slot.name
        # Dispatches this sender claimed itself: its other claims are a predecessor's.
        self._claimed_here: set[UUID] = set()
        self.render = Renderer(rt.settings)
        self.outbox = Outbox(rt.runner)

    def close(self) -> None:
        """Give up the sender's name (done anyway when the process ends)."""
        self.slot.release()

    # What is due

    def due(self, day: date) -> DayReminders:
        self.rt.catch_up()
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
        return int(self.rt.app.queue_dispatches(dispatches))

    # Sending

    def send_due(self) -> SendReport:
        """Send everything queued, due for a retry, or left by a sender whose lease ran
        out; and first whatever this sender's name still holds from before a restart."""
        report = SendReport()
        tried: set[str] = set()
        with self.rt.app.deferred_projection():
            while True:
                self.outbox.catch_up()
                now = self.now()
                own = self._predecessors_claims(now, tried)
                ids = own or self.outbox.due(now, self.config.batch, exclude=tuple(tried))
                if not ids:
                    break
                tried.update(ids)
                report.add(self._send_batch(ids, reclaim={UUID(i) for i in own}))
        if report.claimed:
            log.info("reminders sent", sender=self.name, **report.counts())
        for line in report.left_out:
            log.warning("reminder left out of its digest", item=line)
        return report

    def _predecessors_claims(self, now: datetime, tried: set[str]) -> list[str]:
        if not self.slot.held:
            return []
        found = self.outbox.claimed_by(self.name, self.config.batch, exclude=tuple(tried))
        return [i for i in found if UUID(i) not in self._claimed_here]

    def run(self, day: date) -> tuple[QueueReport, SendReport]:
        return self.queue(day), self.send_due()

    def _send_batch(self, ids: list[str], reclaim: set[UUID]) -> SendReport:
        report = SendReport()
        now = self.now()
        claimed = self.rt.app.claim_dispatches(
            [UUID(i) for i in ids], self.name, now, self.config.lease, reclaim=reclaim
        )
        self._claimed_here.update(d.id for d in claimed)
        report.claimed = len(claimed)
        report.reclaimed = sum(d.id in reclaim for d in claimed)
        report.skipped = len(ids) - len(claimed)
        if not claimed:
            return report
        messages: list[EmailMessage] = []
        sendable: list[Dispatch] = []
        for d in claimed:
            try:
                rendered = self.render.digest(d, now)
            except Exception as exc:  # noqa: BLE001  (one that cannot be rendered never will be)
                log.warning("reminder could not be rendered", dispatch=d.key, error=repr(exc))
                failed = Attempt(sent=False, permanent=True, detail=f"not rendered: {exc!r}")
                self._record(d, failed, report)
                continue
            report.left_out += [f"{d.recipient.email}: {why}" for why in rendered.left_out]
            messages.append(rendered.message)
            sendable.append(d)
        if messages:

            def recorded_at_once(index: int, result: SendResult) -> None:
                self._record(sendable[index], _attempt(result), report)

            asyncio.run(self.transport.send_batch(messages, on_result=recorded_at_once))
        return report

    def _record(self, d: Dispatch, attempt: Attempt, report: SendReport) -> None:
        if attempt.sent:
            report.sent += 1
        elif attempt.permanent:
            report.failed += 1
        else:
            report.retrying += 1
        if self.rt.app.record_attempt(d, self.name, attempt, self.now(), self.config.retry):
            self._claimed_here.discard(d.id)  # no longer held: nothing to remember
        else:
            log.warning("reminder outcome not recorded", dispatch=d.key)


def _attempt(r: SendResult) -> Attempt:
    if r.outcome is Outcome.SENT:
        return Attempt(sent=True, detail=r.detail or "accepted")
    return Attempt(
        sent=False, permanent=r.outcome is Outcome.PERMANENT, detail=r.detail, code=r.code
    )


def find_dispatch(rt: Runtime, key: str) -> Dispatch | None:
    found: Dispatch | None = rt.app.dispatch(dispatch_id(key))
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
