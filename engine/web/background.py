"""The work `serve` does beside answering requests: keeping the read models caught up
with events written by other processes, and running the reminders scheduler. Either can
also run in a process of its own, without the web server (`run_jobs`)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from config.logging import get_logger
from engine.runtime import Runtime

log = get_logger(__name__)

CATCH_UP_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class Jobs:
    """Which background jobs this process runs. Several web processes can share one
    PostgreSQL database with only one process running each job (the web processes
    --web-only, the jobs in their own processes or beside one of them)."""

    projections: bool = True
    scheduler: bool = True

    def describe(self) -> str:
        return (
            f"read-model catch-up {'on' if self.projections else 'off'}, "
            f"scheduler {'on' if self.scheduler else 'off'}"
        )


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


# The reminders scheduler's hook: the first of these the installation has is started
# with the runtime and stopped with the handle it returns.
SCHEDULERS = (
    ("engine.reminders.scheduler", "start_scheduler", "stop_scheduler"),
    ("notifiers.scheduler", "start", "stop"),
)


@dataclass
class SchedulerHook:
    rt: Runtime
    handle: Any = None
    stop_fn: Callable[[Any], Any] | None = None

    def start(self) -> bool:
        for module_name, start_name, stop_name in SCHEDULERS:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            start = getattr(module, start_name, None)
            if start is None:
                continue
            self.handle = start(self.rt)
            self.stop_fn = getattr(module, stop_name, None)
            log.info("scheduler.started", module=module_name)
            return True
        log.warning("scheduler.unavailable", looked_for=[m for m, _, _ in SCHEDULERS])
        return False

    async def stop(self) -> None:
        if self.stop_fn is None:
            return
        # Stopping waits for a running job to finish: not on the event loop.
        result = await asyncio.to_thread(self.stop_fn, self.handle)
        if asyncio.iscoroutine(result):
            await result


class SchedulerUnavailable(Exception):
    """A process asked to run only the scheduler, where the installation has none."""


async def run_jobs(rt: Runtime, jobs: Jobs, started: Callable[[], None] | None = None) -> None:
    """The background jobs without the web server, until SIGTERM or SIGINT; then each is
    stopped as `serve` stops it (a running catch-up pass or reminder job finishes)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    projections = ProjectionLoop(rt) if jobs.projections else None
    scheduler = SchedulerHook(rt) if jobs.scheduler else None
    if scheduler is not None and not scheduler.start() and projections is None:
        raise SchedulerUnavailable
    if projections is not None:
        projections.start()
    if started is not None:
        started()
    try:
        await stopping.wait()
    finally:
        if scheduler is not None:
            await scheduler.stop()
        if projections is not None:
            await projections.stop()
