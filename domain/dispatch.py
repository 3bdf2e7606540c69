"""The Dispatch aggregate: one reminder digest on its way to one person, exactly once.

A digest's identity is its key (``Digest.key``), and the aggregate's id is derived
from it, so queueing the same digest twice is a clash on the id and the second is
skipped. Sending is guarded by a claim with a lease: a sender records Claimed before
it sends, and two senders that read the same version cannot both record it, so only
one of them sends. A claim whose lease has run out may be taken over, which is what
recovers a digest whose sender died; if that sender had already handed the message
to the server, the recipient gets it twice (at least once, never lost).

Temporary failures are retried with exponential backoff until the server takes the
message; a permanent refusal (an SMTP 5xx) is recorded and never retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import TrailAggregate
from domain.errors import DomainError, InvalidInput
from domain.values import Person

# Dispatches are the engine's doing, not a person's.
ACTOR = "actiontrail"


def dispatch_id(key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"actiontrail:dispatch:{key}")


class DispatchStatus(StrEnum):
    QUEUED = "queued"  # waiting to be sent, for the first time or again
    SENDING = "sending"  # claimed by a sender until its lease runs out
    SENT = "sent"
    FAILED = "failed"  # refused for good; not retried


@dataclass(frozen=True)
class RetryPolicy:
    """Waits between attempts after temporary failures: first, doubling, at most max."""

    first: timedelta = timedelta(minutes=1)
    most: timedelta = timedelta(hours=1)

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure in a row (1 for the first)."""
        if failures <= 1:
            return min(self.first, self.most)
        # Capped before doubling so that many failures cannot overflow.
        doubled = self.first * (2 ** min(failures - 1, 32))
        return min(doubled, self.most)


@dataclass(frozen=True)
class Attempt:
    """What became of one attempt to send a dispatch, as the mail server answered."""

    sent: bool
    permanent: bool = False  # refused for good (an SMTP 5xx); else worth trying again
    detail: str = ""
    code: int | None = None


class NotClaimable(DomainError):
    """Another sender holds the claim, or the digest needs no sending now."""


class Dispatch(TrailAggregate):
    # Declared rather than named in @event so that readers of the events (the outbox
    # table) can refer to them and their attributes with types.
    class Queued(TrailAggregate.Created):
        class_version = 1
        key: str
        recipient: dict[str, Any]
        day: date
        plan_ids: list[UUID]
        subject: str
        items: list[dict[str, Any]]
        actor: str

    class Claimed(TrailAggregate.Event):
        class_version = 1
        by: str
        lease_until: datetime
        attempt: int
        actor: str

    class Sent(TrailAggregate.Event):
        class_version = 1
        by: str
        detail: str
        actor: str

    class Failed(TrailAggregate.Event):
        class_version = 1
        by: str
        permanent: bool
        detail: str
        code: int | None
        retry_at: datetime | None
        attempt: int
        actor: str

    @staticmethod
    def create_id(key: str, **_: object) -> UUID:
        return dispatch_id(key)

    @event(Queued)
    def __init__(
        self,
        key: str,
        recipient: dict[str, Any],
        day: date,
        plan_ids: list[UUID],
        subject: str,
        items: list[dict[str, Any]],
        actor: str,
    ) -> None:
        self.key = key
        self.recipient = Person.from_dict(recipient)
        self.day = day
        self.plan_ids = list(plan_ids)
        self.subject = subject
        self.items = list(items)
        self.status = DispatchStatus.QUEUED
        self.attempts = 0
        self.failures_in_row = 0
        self.claimed_by: str | None = None
        self.lease_until: datetime | None = None
        self.retry_at: datetime | None = None
        self.detail: str | None = None
        self.code: int | None = None

    @classmethod
    def queue(
        cls,
        key: str,
        recipient: Person,
        day: date,
        plan_ids: list[UUID],
        items: list[dict[str, Any]],
    ) -> Dispatch:
        if not recipient.email:
            raise InvalidInput(f"a reminder to {recipient.name} needs an email address")
        if not items:
            raise InvalidInput(f"a reminder to {recipient.email} needs something to remind of")
        return cls(
            key=key,
            recipient=recipient.to_dict(),
            day=day,
            plan_ids=sorted(set(plan_ids), key=str),
            subject=f"reminder to {recipient.email.lower()}",
            items=items,
            actor=ACTOR,
        )

    # Claims

    def claimable(self, now: datetime) -> bool:
        if self.status is DispatchStatus.QUEUED:
            return self.retry_at is None or self.retry_at <= now
        if self.status is DispatchStatus.SENDING:
            return self.lease_until is not None and self.lease_until <= now
        return False

    def claim(self, by: str, now: datetime, lease: timedelta, reclaim: bool = False) -> None:
        """Claim the dispatch for sending. ``reclaim`` takes back a claim this same
        sender holds, lease or no lease: the sender that made it has died and restarted
        under the same name (which only one live sender can hold at a time)."""
        own = reclaim and self.status is DispatchStatus.SENDING and self.claimed_by == by
        if not (own or self.claimable(now)):
            raise NotClaimable(self._why_not_claimable(now))
        self._claim(by=by, lease_until=now + lease, attempt=self.attempts + 1, actor=ACTOR)

    def _why_not_claimable(self, now: datetime) -> str:
        if self.status is DispatchStatus.SENDING:
            return f"{self.subject} is being sent by {self.claimed_by} until {self.lease_until}"
        if self.status is DispatchStatus.QUEUED:
            return f"{self.subject} is not due for another try until {self.retry_at}"
        return f"{self.subject} is already {self.status.value}"

    @event(Claimed)
    def _claim(self, by: str, lease_until: datetime, attempt: int, actor: str) -> None:
        self.status = DispatchStatus.SENDING
        self.claimed_by = by
        self.lease_until = lease_until
        self.attempts = attempt

    # Outcomes

    def record_sent(self, by: str, detail: str) -> None:
        """The server took the message. Recorded even if the claim has passed to another
        sender since, because the message has gone whatever else happens."""
        if self.status is DispatchStatus.SENT:
            raise DomainError(f"{self.subject} is already recorded as sent")
        self._sent(by=by, detail=detail, actor=ACTOR)

    @event(Sent)
    def _sent(self, by: str, detail: str, actor: str) -> None:
        self.status = DispatchStatus.SENT
        self.detail = detail
        self.lease_until = None
        self.retry_at = None

    def record_failure(
        self,
        by: str,
        permanent: bool,
        detail: str,
        code: int | None,
        now: datetime,
        retry: RetryPolicy,
    ) -> None:
        """A failed attempt by the claim's holder: a permanent one ends the dispatch, a
        temporary one puts it back in the queue after a growing wait."""
        if self.status is not DispatchStatus.SENDING or self.claimed_by != by:
            raise NotClaimable(f"{self.subject} is not being sent by {by}")
        retry_at = None if permanent else now + retry.delay(self.failures_in_row + 1)
        self._failed(
            by=by,
            permanent=permanent,
            detail=detail,
            code=code,
            retry_at=retry_at,
            attempt=self.attempts,
            actor=ACTOR,
        )

    def record_attempt(self, by: str, attempt: Attempt, now: datetime, retry: RetryPolicy) -> None:
        if attempt.sent:
            self.record_sent(by, attempt.detail or "accepted")
        else:
            self.record_failure(
                by,
                permanent=attempt.permanent,
                detail=attempt.detail,
                code=attempt.code,
                now=now,
                retry=retry,
            )

    @event(Failed)
    def _failed(
        self,
        by: str,
        permanent: bool,
        detail: str,
        code: int | None,
        retry_at: datetime | None,
        attempt: int,
        actor: str,
    ) -> None:
        self.status = DispatchStatus.FAILED if permanent else DispatchStatus.QUEUED
        self.failures_in_row += 1
        self.detail = detail
        self.code = code
        self.retry_at = retry_at
        self.lease_until = None
        self.claimed_by = None
