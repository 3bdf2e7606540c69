"""Delivery into a folder of .eml files, used when no SMTP server is configured.

Each message is written as ``<key>.eml``, so a retried batch leaves one file per
message rather than piling up copies, and the files open in any mail client.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from notifiers.transport import Outcome, ResultHook, SendResult, message_key

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class DirectoryTransport:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path_for(self, message: EmailMessage) -> Path:
        name = _UNSAFE.sub("_", message_key(message)).lstrip(".") or "message"
        return self.folder / f"{name}.eml"

    async def send_batch(
        self, messages: list[EmailMessage], on_result: ResultHook | None = None
    ) -> list[SendResult]:
        # Writing is idempotent (a message already written is not written again), so
        # the results can be told after the whole batch, in the caller's thread.
        results = await asyncio.to_thread(self._write_all, messages)
        if on_result is not None:
            for index, result in enumerate(results):
                on_result(index, result)
        return results

    def _write_all(self, messages: list[EmailMessage]) -> list[SendResult]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return [_failed(m, exc) for m in messages]
        return [self._write(m) for m in messages]

    def _write(self, message: EmailMessage) -> SendResult:
        key = message_key(message)
        path = self.path_for(message)
        if path.exists():
            return SendResult(key, Outcome.SENT, f"already in {path}")
        try:
            # Written aside and renamed, so a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(message.as_bytes(policy=SMTP))
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            return _failed(message, exc)
        return SendResult(key, Outcome.SENT, f"written to {path}")


def _failed(message: EmailMessage, exc: OSError) -> SendResult:
    # A full disk or a permissions problem can be fixed; the message itself is fine.
    return SendResult(message_key(message), Outcome.TEMPORARY, f"{type(exc).__name__}: {exc}")
