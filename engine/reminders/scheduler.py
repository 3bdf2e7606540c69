"""The reminder jobs on APScheduler, with their schedule kept in the application's database.

Two jobs: the daily digest, on weekdays at the digest hour (London time), and a sweep
every few minutes that queues the day's digests if the daily run was missed and sends
whatever is queued or due for another try. Jobs that were due while nothing ran are
run once when the scheduler comes back (no grace limit, coalesced). Both also queue
the digests of working days on which nothing was queued at all (the scheduler was
down), up to CATCH_UP_DAYS back: each as that day's digest, so nobody is told twice.

The stored jobs are references to ``run_daily`` and ``run_sweep`` with no arguments:
the job table holds no database URL or password. They run over the runtime of the
scheduler this process started, and a process runs one at a time.

Run one scheduler per job store. A second one (in another process) does no harm: both
would run the jobs, and the outbox sends each digest once whoever asks, but it does
the work twice.

``start_scheduler(rt)`` returns a handle whose ``stop()`` ends it; ``actiontrail
scheduler`` runs it in the foreground and the web server runs it alongside itself.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from config.logging import get_logger
from domain import clock as domain_clock
from domain.clock import Clock, london, using_clock
from domain.errors import InvalidInput
from domain.working_days import is_working_day
from engine.reminders.dispatcher import DispatchConfig, Dispatcher
from engine.runtime import Runtime
from notifiers.transport import Transport

log = get_logger(__name__)

JOBS_TABLE = "reminder_scheduler_jobs"
SWEEP_JOB = "reminders-sweep"
DAILY_JOB = "reminders-daily"
HOUR_ENV = "ACTIONTRAIL_DIGEST_HOUR"
# How far back a scheduler coming back after an outage queues the days it missed;
# older days are left to `actiontrail reminders send --on DATE`.
CATCH_UP_DAYS = 7
SWEEP_ENV = "ACTIONTRAIL_REMINDER_SWEEP_MINUTES"


CHECKPOINT_JOB = "witnessed-checkpoints"
CHECKPOINTS_ENV = "ACTIONTRAIL_CHECKPOINT_EMAILS"
CHECKPOINT_SCHEDULES = ("daily", "weekly", "off")


@dataclass(frozen=True)
class SchedulerConfig:
    digest_hour: int = 8  # London time
    sweep_minutes: float = 5.0
    # Each plan's checkpoint emailed to its auditors and board secretaries, at 06:00
    # London: daily, weekly (Mondays) or off. None: daily when SMTP is set, else off.
    checkpoint_emails: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.digest_hour <= 23:
            raise InvalidInput(f"the digest hour must be 0 to 23, not {self.digest_hour}")
        if self.sweep_minutes <= 0:
            raise InvalidInput("the reminder sweep needs a positive interval in minutes")
        if self.checkpoint_emails not in (None, *CHECKPOINT_SCHEDULES):
            raise InvalidInput(
                f"{CHECKPOINTS_ENV} must be one of {', '.join(CHECKPOINT_SCHEDULES)}, "
                f"not '{self.checkpoint_emails}'"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SchedulerConfig:
        env = os.environ if environ is None else environ
        try:
            hour = int(env.get(HOUR_ENV) or cls.digest_hour)
            minutes = float(env.get(SWEEP_ENV) or cls.sweep_minutes)
        except ValueError:
            raise InvalidInput(f"{HOUR_ENV} and {SWEEP_ENV} must be numbers") from None
        checkpoints = (env.get(CHECKPOINTS_ENV) or "").strip().lower() or None
        return cls(digest_hour=hour, sweep_minutes=minutes, checkpoint_emails=checkpoints)

    def checkpoints_on(self, smtp_set: bool) -> str:
        if self.checkpoint_emails is not None:
            return self.checkpoint_emails
        return "daily" if smtp_set else "off"

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
        return domain_clock.now().astimezone(london())

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
        self._run(self._queue_and_send)

    def sweep(self) -> None:
        self._run(self._queue_and_send)

    def checkpoints(self) -> None:
        """Email each plan's checkpoint to its witnesses (engine.audit.witness)."""
        from engine.audit.witness import send_checkpoints

        def work() -> None:
            send_checkpoints(self.dispatcher.rt, self.dispatcher.transport)

        self._run(work)

    def _queue_and_send(self) -> None:
        """Queue the digests of working days missed (up to CATCH_UP_DAYS back), oldest
        first, then today's if it is a working day past the digest hour (a daily run
        that fires late, on a later morning, waits for that day's hour like a sweep);
        then send everything due. Each missed day's digests are that day's, as
        `reminders send --on DAY` would queue them; their keys make a second queueing
        of the same day a no-op."""
        now = self._now()
        day = now.date()
        for missed in self.dispatcher.missed_days(day, CATCH_UP_DAYS):
            report = self.dispatcher.queue(missed)
            log.info(
                "reminders of a missed day queued", day=missed.isoformat(), queued=report.queued
            )
        if is_working_day(day) and now.hour >= self.config.digest_hour:
            self.dispatcher.queue(day)
        self.dispatcher.send_due()


# The stored jobs name these two functions and carry no arguments, so the job table
# holds the schedule and nothing else: no database URL, no password. Each runs the
# jobs of the scheduler this process started, over this process's own runtime; one
# process runs at most one reminder scheduler.
DAILY_REF = f"{__name__}:run_daily"
SWEEP_REF = f"{__name__}:run_sweep"
CHECKPOINT_REF = f"{__name__}:run_checkpoints"
_running: ReminderJobs | None = None
_running_lock = threading.Lock()


class SchedulerAlreadyRunning(RuntimeError):
    """A process runs one reminder scheduler; a second would take over the first's jobs."""


def _run_job(job: str, work: Callable[[ReminderJobs], None], failed: str) -> None:
    """One of the scheduler's jobs, on the jobs of the scheduler running in this process;
    a failure is logged as `failed` and raised for the scheduler to see."""
    jobs = _running
    if jobs is None:
        log.warning("reminder job has no running scheduler", job=job)
        return
    try:
        work(jobs)
    except Exception:
        log.exception(failed)
        raise


def run_daily() -> None:
    _run_job(DAILY_JOB, lambda jobs: jobs.daily(), "daily reminders failed")


def run_sweep() -> None:
    _run_job(SWEEP_JOB, lambda jobs: jobs.sweep(), "reminder sweep failed")


def run_checkpoints() -> None:
    _run_job(CHECKPOINT_JOB, lambda jobs: jobs.checkpoints(), "witnessed checkpoints failed")


def _claim_process(jobs: ReminderJobs) -> None:
    global _running
    with _running_lock:
        if _running is not None:
            raise SchedulerAlreadyRunning(
                "a reminder scheduler is already running in this process; stop it before "
                "starting another (run one scheduler per job store)"
            )
        _running = jobs


def _release_process(jobs: ReminderJobs) -> None:
    global _running
    with _running_lock:
        if _running is jobs:
            _running = None


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
        timezone=london(),
    )


@dataclass
class SchedulerHandle:
    scheduler: BackgroundScheduler
    jobs: ReminderJobs

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}

    def stop(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        _release_process(self.jobs)


def start_scheduler(
    rt: Runtime,
    config: SchedulerConfig | None = None,
    *,
    transport: Transport | None = None,
    clock: Clock | None = None,
) -> SchedulerHandle:
    """Start the reminder jobs in background threads; ``stop()`` the handle to end them.

    ``clock`` runs the jobs on a simulated clock instead of the system's. A process
    runs one reminder scheduler at a time: starting a second before stopping the first
    raises SchedulerAlreadyRunning.
    """
    config = config or SchedulerConfig.from_env()
    jobs = ReminderJobs(Dispatcher(rt, transport, config=config.dispatch()), config, clock)
    _claim_process(jobs)
    try:
        scheduler = build_scheduler(rt.engine)
        scheduler.add_job(
            DAILY_REF,
            CronTrigger(
                day_of_week="mon-fri", hour=config.digest_hour, minute=0, timezone=london()
            ),
            id=DAILY_JOB,
            name="daily reminder digests",
            replace_existing=True,
        )
        scheduler.add_job(
            SWEEP_REF,
            IntervalTrigger(minutes=config.sweep_minutes, timezone=london()),
            id=SWEEP_JOB,
            name="reminder sweep",
            replace_existing=True,
            # A first sweep straight away picks up anything left from before a restart.
            next_run_time=datetime.now(london()) + timedelta(seconds=1),
        )
        every = config.checkpoints_on(bool(rt.settings.smtp_url))
        _schedule_checkpoints(scheduler, every)
        scheduler.start()
        if every == "off":
            # A job an earlier start kept in the job table goes with the setting.
            with contextlib.suppress(JobLookupError):
                scheduler.remove_job(CHECKPOINT_JOB)
    except BaseException:
        _release_process(jobs)
        raise
    log.info(
        "reminder scheduler started",
        digest_hour=config.digest_hour,
        sweep_minutes=config.sweep_minutes,
    )
    return SchedulerHandle(scheduler, jobs)


def _schedule_checkpoints(scheduler: BackgroundScheduler, every: str) -> None:
    if every == "off":
        return
    days = "mon" if every == "weekly" else "*"
    scheduler.add_job(
        CHECKPOINT_REF,
        CronTrigger(day_of_week=days, hour=6, minute=0, timezone=london()),
        id=CHECKPOINT_JOB,
        name="witnessed checkpoints",
        replace_existing=True,
    )


def stop_scheduler(handle: SchedulerHandle, wait: bool = True) -> None:
    handle.stop(wait=wait)
