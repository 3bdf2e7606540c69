"""Slows the guessing of secrets: passwords, API tokens, calendar addresses, email links.

Each check counts its failures per key (an email address for passwords, the client's
address for the others) within a window; past the limit the check is refused, even for
the right secret, until the window has passed. Counts are kept per process: enough to
make guessing impractical, and lost on a restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

WINDOW_SECONDS = 15 * 60
# A person's own password: five wrong in fifteen minutes.
PASSWORD_FAILURES = 5
# Secrets presented from an address (API tokens, calendar feeds, email links): an office
# behind one address may hold a few stale ones, so more are allowed before refusing.
ADDRESS_FAILURES = 30

T = TypeVar("T")


class Throttle:
    def __init__(self, max_failures: int, window: float = WINDOW_SECONDS) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            if recent:
                self._failures[key] = recent
            else:
                self._failures.pop(key, None)
            return len(recent) >= self.max_failures

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(time.monotonic())

    def cleared(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass
class Throttles:
    """One throttle per kind of secret, so failures of one kind do not block another."""

    sign_in: Throttle = field(default_factory=lambda: Throttle(PASSWORD_FAILURES))
    password_change: Throttle = field(default_factory=lambda: Throttle(PASSWORD_FAILURES))
    api_token: Throttle = field(default_factory=lambda: Throttle(ADDRESS_FAILURES))
    calendar: Throttle = field(default_factory=lambda: Throttle(ADDRESS_FAILURES))
    link: Throttle = field(default_factory=lambda: Throttle(ADDRESS_FAILURES))


class Throttled(Exception):
    """Too many wrong secrets of one kind: refused for a while, right or wrong."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def throttled_lookup(
    throttle: Throttle, key: str, what: str, lookup: Callable[[], T | None]
) -> T | None:
    """What `lookup` finds for a secret presented from `key` (an address): refused with
    Throttled, naming `what`, while too many wrong ones came from there; a secret that
    finds nothing counts against it."""
    if throttle.blocked(key):
        raise Throttled(what)
    found = lookup()
    if found is None:
        throttle.failed(key)
    return found
