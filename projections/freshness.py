"""What a process knows to be current without asking the store (see
projections.runner and engine.service.cached_reads)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from uuid import UUID


class StaleReads(Exception):
    """Something was recorded since a command's reads from the cache, so what it read
    may be out of date; nothing of the command was recorded."""


class FreshAggregates:
    """The aggregates whose cached copies this process knows to be current at the
    runner's position: no event seen since they were read or saved has changed them.

    An aggregate read while the runner's position is known is current at least as of
    that position; every later event reaches the runner, which strikes out the
    aggregates it changes. When the runner loses its place (another runner moved the
    tracking records, or a batch failed), events may pass it unseen: everything is
    struck out, and ``epoch`` moves on so that a read begun before then adds nothing."""

    def __init__(self) -> None:
        self._ids: set[UUID] = set()
        self.epoch = 0
        self._lock = threading.Lock()

    def __contains__(self, aggregate_id: object) -> bool:
        return aggregate_id in self._ids

    def add(self, ids: Iterable[UUID], epoch: int) -> None:
        with self._lock:
            if epoch == self.epoch:
                self._ids.update(ids)

    def changed(self, ids: Iterable[UUID]) -> None:
        if self._ids:
            with self._lock:
                self._ids.difference_update(ids)

    def reset(self) -> None:
        with self._lock:
            self._ids.clear()
            self.epoch += 1
