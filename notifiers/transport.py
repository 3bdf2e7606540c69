"""What every way of delivering email offers, and what it reports back per message."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol

KEY_HEADER = "X-Actiontrail-Key"


class Outcome(StrEnum):
    SENT = "sent"
    TEMPORARY = "temporary"  # worth trying again later: nothing was delivered
    PERMANENT = "permanent"  # the server refused this message; retrying will not help


@dataclass(frozen=True)
class SendResult:
    key: str
    outcome: Outcome
    detail: str = ""  # the server's reply, or why there was none
    code: int | None = None  # the SMTP reply code, when the server gave one
    # Recipients the server refused while accepting the message for others.
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def should_retry(self) -> bool:
        return self.outcome is Outcome.TEMPORARY


# Told each message's result (its index in the batch, the result) as soon as it is
# known, so that the caller can record it before the next one goes.
ResultHook = Callable[[int, SendResult], None]


class Transport(Protocol):
    async def send_batch(
        self, messages: list[EmailMessage], on_result: ResultHook | None = None
    ) -> list[SendResult]:
        """Deliver ``messages``; one result per message, in the same order, each also
        given to ``on_result`` as soon as it is known."""
        ...


def message_key(message: EmailMessage) -> str:
    """The identity a message is tracked by: its key header, else its Message-ID."""
    key = message.get(KEY_HEADER) or (message.get("Message-ID") or "").strip("<> ")
    if key:
        return str(key)
    return hashlib.sha256(message.as_bytes()).hexdigest()[:32]
