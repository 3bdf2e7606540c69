"""A sender's name, kept across restarts, so that a sender killed part-way through a
batch takes its own claims back as soon as it starts again.

A claim names its sender, and others wait for its lease to run out before they take it
over, since they cannot tell a dead sender from a slow one. A sender can tell for its
own name: it holds a lock that only a live process can hold. Each process sending for a
store takes the first free slot on this host (an exclusive lock on a file per slot,
which the operating system releases however the process ends, ``kill -9`` included) and
is named after the host and the slot. A claim under that name with a lease still running
was therefore made by a predecessor that is gone: the new holder may take it back at
once. Two senders running together on one host hold different slots, so different names.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import tempfile
import uuid
from pathlib import Path
from typing import IO

SLOTS = 64
LOCK_DIR_ENV = "ACTIONTRAIL_SENDER_LOCK_DIR"


class SenderSlot:
    """The name a sender process goes by, held until ``release`` or the process ends."""

    def __init__(self, name: str, lock: IO[str] | None) -> None:
        self.name = name
        self._lock = lock

    @property
    def held(self) -> bool:
        """True when the name is this process's alone (so its old claims are its own)."""
        return self._lock is not None

    def release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None


def lock_dir() -> Path:
    return Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / "actiontrail-senders")


def take_slot(store: str) -> SenderSlot:
    """The first free slot on this host for senders to the store named ``store`` (its
    database URL, say). Falls back to a name of its own, which reclaims nothing, when no
    lock can be had."""
    host = socket.gethostname()
    key = hashlib.sha256(store.encode("utf-8")).hexdigest()[:12]
    folder = lock_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return SenderSlot(_unique(host), None)
    for n in range(SLOTS):
        try:
            f = (folder / f"{key}-{n}.lock").open("a")
        except OSError:
            break
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        return SenderSlot(f"{host}/sender-{n}", f)
    return SenderSlot(_unique(host), None)


def _unique(host: str) -> str:
    return f"{host}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
