"""The reminder jobs on APScheduler, with their schedule kept in the application's database.

Two jobs: the daily digest, on weekdays at the digest hour (London time), and a sweep
every few minutes that queues the day's digests if the daily run was missed and sends
whatever is queued or due for another try. Jobs that were due while nothing ran are
run once when the scheduler comes back (no grace limit, coalesced).

Run one scheduler per job store. A second one does no harm: both would run the jobs,
and the outbox sends each digest once whoever asks.

``start_scheduler(rt)`` returns a handle whose ``stop()`` ends it; ``actiontrail
scheduler`` runs it in the foreground and the web server runs it alongside itself.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from domain import clock as domain_clock
from domain.clock import LONDON, Clock, using_clock
from domain.errors import InvalidInput
from domain.working_days import is_working_day
from engine.reminders.dispatcher import DispatchConfig, Dispatcher
from engine.runtime import Runtime
from notifiers.transport import Transport

log = structlog.get_logger(__name__)

JOBS_TABLE = "reminder_scheduler_jobs"
SWEEP_JOB = "reminders-sweep"
DAILY_JOB = "reminders-daily"
HOUR_ENV = "ACTIONTRAIL_DIGEST_HOUR"
SWEEP_ENV = "ACTIONTRAIL_REMINDER_SWEEP_MINUTES"


@dataclass(frozen=True)
class SchedulerConfig:
    digest_hour: int = 8  # London time
    sweep_minutes: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.digest_hour <= 23:
            raise InvalidInput(f"the digest hour must be 0 to 23, not {self.digest_hour}")
        if self.sweep_minutes <= 0:
            raise InvalidInput("the reminder sweep needs a positive interval in minutes")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SchedulerConfig:
        env = os.environ if environ is None else environ
        try:
            hour = int(env.get(HOUR_ENV) or cls.digest_hour)
            minutes = float(env.get(SWEEP_ENV) or cls.sweep_minutes)
        except ValueError:
            raise InvalidInput(f"{HOUR_ENV} and {SWEEP_ENV} must be numbers") from None
        return cls(digest_hour=hour, sweep_minutes=minutes)

    def dispatch(self) -> DispatchConfig:
        return DispatchConfig(digest_hour=self.digest_hour)


class ReminderJobs:
    """What the two jobs do, for one database."""

    def __init__(
        self, dispatcher: Dispatcher, config: SchedulerConfig, clock: Clock | None = None
    ) -> None:
        self.dispatcher = dispatcher
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()

    def _now(self) -> datetime:
        return domain_clock.now().astimezone(LONDON)

    def _run(self, work: Callable[[], None]) -> None:
        # One job at a time per process: the daily run and a sweep that coincide would
        # only race each other for the same work.
        with self._lock:
            if self.clock is None:
                work()
                return
            with using_clock(self.clock):
                work()

    def daily(self) -> None:
        def work() -> None:
            day = self._now().date()
            if is_working_day(day):
                self.dispatcher.queue(day)
            self.dispatcher.send_due()

        self._run(work)

    def sweep(self) -> None:
        def work() -> None:
            now = self._now()
            if is_working_day(now.date()) and now.hour >= self.config.digest_hour:
                self.dispatcher.queue(now.date())
            self.dispatcher.send_due()

        self._run(work)


# Jobs are stored by reference and arguments, so they find the live jobs object for
# their database here.
_JOBS: dict[str, ReminderJobs] = {}


def run_daily(database: str) -> None:
    jobs = _JOBS.get(database)
    if jobs is None:
        log.warning("reminder job has no running scheduler", job=DAILY_JOB)
        return
    try:
        jobs.daily()
    except Exception:
        log.exception("daily reminders failed")
        raise


def run_sweep(database: str) -> None:
    jobs = _JOBS.get(database)
    if jobs is None:
        log.warning("reminder job has no running scheduler", job=SWEEP_JOB)
        return
    try:
        jobs.sweep()
    except Exception:
        log.exception("reminder sweep failed")
        raise


class _Scheduler(BackgroundScheduler):
    def _process_jobs(self) -> float | None:
        # APScheduler 3.11 wakes its thread once more after shutdown; processing then
        # would find the executors closed and still move due jobs on, so a job due as
        # the scheduler stops would be marked run without running.
        if self.state == STATE_STOPPED:
            return None
        wait: float | None = super()._process_jobs()
        return wait


def build_scheduler(
    engine: Engine, *, table: str = JOBS_TABLE, workers: int = 1
) -> BackgroundScheduler:
    """A scheduler whose jobs live in ``table`` of the database behind ``engine``."""
    return _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=table)},
        executors={"default": ThreadPoolExecutor(workers)},
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        timezone=LONDON,
    )


@dataclass
class SchedulerHandle:
    scheduler: BackgroundScheduler
    database: str
    jobs: ReminderJobs

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def stop(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if _JOBS.get(self.database) is self.jobs:
            del _JOBS[self.database]


def start_scheduler(
    rt: Runtime,
    config: SchedulerConfig | None = None,
    *,
    transport: Transport | None = None,
    clock: Clock | None = None,
) -> SchedulerHandle:
    """Start the reminder jobs in background threads; ``stop()`` the handle to end them.

    ``clock`` runs the jobs on a simulated clock instead of the system's.
    """
    config = config or SchedulerConfig.from_env()
    database = rt.settings.database_url
    jobs = ReminderJobs(Dispatcher(rt, transport, config=config.dispatch()), config, clock)
    _JOBS[database] = jobs
    scheduler = build_scheduler(rt.engine)
    scheduler.add_job(
        run_daily,
        CronTrigger(day_of_week="mon-fri", hour=config.digest_hour, minute=0, timezone=LONDON),
        id=DAILY_JOB,
        name="daily reminder digests",
        args=[database],
        replace_existing=True,
    )
    scheduler.add_job(
        run_sweep,
        IntervalTrigger(minutes=config.sweep_minutes, timezone=LONDON),
        id=SWEEP_JOB,
        name="reminder sweep",
        args=[database],
        replace_existing=True,
        # A first sweep straight away picks up anything left from before a restart.
        next_run_time=datetime.now(LONDON) + timedelta(seconds=1),
    )
    scheduler.start()
    log.info(
        "reminder scheduler started",
        digest_hour=config.digest_hour,
        sweep_minutes=config.sweep_minutes,
    )
    return SchedulerHandle(scheduler, database, jobs)


def stop_scheduler(handle: SchedulerHandle, wait: bool = True) -> None:
    handle.stop(wait=wait)
