"""The work `serve` does beside answering requests: keeping the read models caught up
with events written by other processes, and running the reminders scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from engine.runtime import Runtime

log = structlog.get_logger(__name__)

CATCH_UP_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class Jobs:
    """Which background jobs this process runs. Several web processes can share one
    PostgreSQL database with only one of them running the jobs (the others --web-only)."""

    projections: bool = True
    scheduler: bool = True


class ProjectionLoop:
    """Catches the read models up every second, off the event loop."""

    def __init__(self, rt: Runtime, every: float = CATCH_UP_EVERY_SECONDS) -> None:
        self.rt = rt
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="actiontrail-projections")

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.rt.runner.catch_up)
            except Exception:
                # A failed pass is tried again next time; the positions only move on
                # commit, so nothing is lost or applied twice.
                log.exception("projections.catch_up_failed")
            await asyncio.sleep(self.every)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


# The reminders scheduler's hook. The reminders package provides
# `notifiers.scheduler.start(rt) -> handle` and `notifiers.scheduler.stop(handle)`;
# until it does, serve runs without reminders and says so.
SCHEDULER_MODULE = "notifiers.scheduler"


@dataclass
class SchedulerHook:
    rt: Runtime
    handle: Any = None
    stop_fn: Callable[[Any], Any] | None = None

    def start(self) -> bool:
        try:
            module = importlib.import_module(SCHEDULER_MODULE)
        except ImportError:
            log.warning("scheduler.unavailable", module=SCHEDULER_MODULE)
            return False
        start = getattr(module, "start", None)
        if start is None:
            log.warning("scheduler.no_start_function", module=SCHEDULER_MODULE)
            return False
        self.handle = start(self.rt)
        self.stop_fn = getattr(module, "stop", None)
        return True

    async def stop(self) -> None:
        if self.stop_fn is None:
            return
        result = self.stop_fn(self.handle)
        if asyncio.iscoroutine(result):
            await result
