"""Pages computed from the read models, kept until the read models move on.

The read models change only when the projection runner applies events, and the runner
records how far it has got; a result keyed by those positions is right for as long as
they stand still, in this process or any other sharing the database.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, select

from projections.schema import tracking

T = TypeVar("T")


class ReadCache:
    def __init__(self, engine: Engine, maxsize: int = 4096) -> None:
        self.engine = engine
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Lock] = {}

    def positions(self) -> tuple[tuple[str, int], ...]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(tracking.c.projection, tracking.c.notification_id)).all()
        return tuple(sorted((str(n), int(p)) for n, p in rows))

    def get(self, key: Hashable, compute: Callable[[], T], at: Hashable | None = None) -> T:
        """The cached value for key at the current positions, computing it if absent.
        Requests that arrive while it is being computed wait for that one computation
        rather than each starting their own."""
        full = (at if at is not None else self.positions(), key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                hit: T = self._items[full]
                return hit
            pending = self._pending.setdefault(full, threading.Lock())
        with pending:
            with self._lock:
                if full in self._items:
                    done: T = self._items[full]
                    return done
            value = compute()
            # Cached pages are large trees of plain dicts and strings that live for a
            # while: moving them out of the collector's sight keeps its full passes
            # (which pause every request) short. They hold no cycles, so they are still
            # freed as soon as they are dropped.
            gc.freeze()
            with self._lock:
                self._items[full] = value
                self._pending.pop(full, None)
                while len(self._items) > self.maxsize:
                    self._items.popitem(last=False)
        return value

    def peek(self, key: Hashable, at: Hashable) -> Any:
        """The cached value for key at these positions, or None: lets a caller answer
        from the cache without handing the work to a thread."""
        with self._lock:
            return self._items.get((at, key))

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
