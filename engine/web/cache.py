"""Pages computed from the read models, kept until the read models move on.

The read models change only when the projection runner applies events, and the runner
records how far it has got; a result keyed by those positions is right for as long as
they stand still, in this process or any other sharing the database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import Engine, select

from projections.schema import positions

T = TypeVar("T")


class ReadCache:
    def __init__(self, engine: Engine, maxsize: int = 256) -> None:
        self.engine = engine
        self.maxsize = maxsize
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def positions(self) -> tuple[tuple[str, int], ...]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(positions.c.name, positions.c.position)).all()
        return tuple(sorted((str(n), int(p)) for n, p in rows))

    def get(self, key: Hashable, compute: Callable[[], T], at: Hashable | None = None) -> T:
        """The cached value for key at the current positions, computing it if absent."""
        full = (at if at is not None else self.positions(), key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                value: T = self._items[full]
                return value
        value = compute()
        with self._lock:
            self._items[full] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
