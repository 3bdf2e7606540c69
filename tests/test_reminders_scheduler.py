"""The reminder jobs on APScheduler: persisted in the database, run when due, run once
after a missed run, and harmless when started twice."""

from __future__ import annotations

import pickle
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import inspect, text

from domain.clock import FixedClock, london
from engine.reminders.dispatcher import Dispatcher
from engine.reminders.scheduler import (
    DAILY_JOB,
    DAILY_REF,
    JOBS_TABLE,
    SWEEP_JOB,
    SWEEP_REF,
    ReminderJobs,
    SchedulerAlreadyRunning,
    SchedulerConfig,
    build_scheduler,
    start_scheduler,
)
from engine.runtime import Runtime
from tests.conftest import LEAD, open_runtime
from tests.test_reminders_support import MailServer, at, setup_plan, simple_action

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

DAY = date(2009, 6, 30)  # a Tuesday


def wait_for(condition: object, seconds: float = 30) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_jobs_are_kept_in_the_database_with_no_grace_limit_and_coalesced(
    rt: Runtime, server: MailServer
) -> None:
    handle = start_scheduler(
        rt, SchedulerConfig(digest_hour=7, sweep_minutes=10), transport=server.transport()
    )
    try:
        assert JOBS_TABLE in inspect(rt.engine).get_table_names()
        jobs = {j.id: j for j in handle.scheduler.get_jobs()}
        assert set(jobs) == {DAILY_JOB, SWEEP_JOB}
        for job in jobs.values():
            assert job.misfire_grace_time is None
            assert job.coalesce is True
        daily = jobs[DAILY_JOB]
        assert str(daily.trigger.timezone) == "Europe/London"
        fields = {f.name: str(f) for f in daily.trigger.fields}
        assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon-fri", "7", "0")
        assert jobs[SWEEP_JOB].trigger.interval == timedelta(minutes=10)
    finally:
        handle.stop()
    assert not handle.running


PASSWORD = "not-in-the-job-table"


def with_password(url: str) -> str:
    """The URL with a password in it where the database takes one (PostgreSQL here
    trusts loopback connections, so any password will do)."""
    return url.replace("postgres@", f"postgres:{PASSWORD}@", 1)


def test_the_stored_jobs_carry_no_database_url_or_password(
    db_url: str, tmp_path: Path, clock: FixedClock, server: MailServer
) -> None:
    url = with_password(db_url)
    rt = open_runtime(url, tmp_path)
    try:
        start_scheduler(rt, SchedulerConfig(), transport=server.transport()).stop()
        with rt.engine.connect() as conn:
            rows = conn.execute(text(f"SELECT id, job_state FROM {JOBS_TABLE}")).all()
    finally:
        rt.close()

    assert sorted(r.id for r in rows) == [DAILY_JOB, SWEEP_JOB]
    secrets = [url, PASSWORD, url.split("://", 1)[1]]
    for row in rows:
        stored = bytes(row.job_state)
        for secret in secrets:
            assert secret.encode() not in stored, (row.id, secret)
        state = pickle.loads(stored)
        assert (state["func"], state["args"], state["kwargs"]) in [
            (DAILY_REF, (), {}),
            (SWEEP_REF, (), {}),
        ]


def test_a_second_scheduler_in_the_same_process_is_refused(rt: Runtime, server: MailServer) -> None:
    handle = start_scheduler(rt, SchedulerConfig(), transport=server.transport())
    try:
        with pytest.raises(SchedulerAlreadyRunning, match="one scheduler per job store"):
            start_scheduler(rt, SchedulerConfig(), transport=server.transport())
        assert handle.running
    finally:
        handle.stop()
    start_scheduler(rt, SchedulerConfig(), transport=server.transport()).stop()


def test_starting_again_replaces_the_jobs_instead_of_adding_more(
    rt: Runtime, server: MailServer
) -> None:
    for hour in (7, 9):
        handle = start_scheduler(
            rt, SchedulerConfig(digest_hour=hour), transport=server.transport()
        )
        handle.stop()
    scheduler = build_scheduler(rt.engine)
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
        assert sorted(j.id for j in jobs) == [DAILY_JOB, SWEEP_JOB]
        (daily,) = [j for j in jobs if j.id == DAILY_JOB]
        assert {f.name: str(f) for f in daily.trigger.fields}["hour"] == "9"
    finally:
        scheduler.shutdown()


def test_the_running_scheduler_sends_the_days_digests_once_even_when_restarted(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", DAY))
    simulated = FixedClock(at(DAY, hour=9))
    config = SchedulerConfig(digest_hour=8, sweep_minutes=60)

    handle = start_scheduler(rt, config, transport=server.transport(), clock=simulated)
    try:
        # The first sweep runs straight after start.
        assert wait_for(lambda: server.inbox.recipients() == [LEAD])
    finally:
        handle.stop()
    handle = start_scheduler(rt, config, transport=server.transport(), clock=simulated)
    try:
        box = Dispatcher(rt, server.transport()).outbox
        assert wait_for(lambda: box.catch_up() >= 0 and box.counts()["sent"] == 1)
        time.sleep(1.5)  # the restarted scheduler's first sweep has run by now
    finally:
        handle.stop()
    assert server.inbox.recipients() == [LEAD]


def jobs_for(rt: Runtime, server: MailServer, now: datetime) -> ReminderJobs:
    return ReminderJobs(
        Dispatcher(rt, server.transport()), SchedulerConfig(digest_hour=8), FixedClock(now)
    )


def test_the_sweep_waits_for_the_digest_hour(
    rt: Runtime, clock: FixedClock, server: MailServer
) -> None:
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, simple_action("1.1", DAY))
    jobs_for(rt, server, at(DAY, hour=7)).sweep()
    # A daily run missed yesterday and run late, early this morning, waits too.
    jobs_for(rt, server, at(DAY, hour=7)).daily()
    assert server.inbox.recipients() == []
    jobs_for(rt, server, at(DAY, hour=8)).sweep()
    assert server.inbox.recipients() == [LEAD]


def test_no_digests_on_a_bank_holiday(rt: Runtime, clock: FixedClock, server: MailServer) -> None:
    clock.set(at(date(2009, 4, 1)))
    # A week overdue on Easter Monday: the notice waits for the next working day.
    setup_plan(rt, simple_action("1.1", date(2009, 4, 6)))
    easter_monday = date(2009, 4, 13)
    jobs_for(rt, server, at(easter_monday, hour=8)).daily()
    jobs_for(rt, server, at(easter_monday, hour=12)).sweep()
    assert server.inbox.recipients() == []
    jobs_for(rt, server, at(date(2009, 4, 14), hour=8)).daily()
    assert server.inbox.recipients() == [LEAD]


# --- APScheduler as configured --------------------------------------------------------

FIRED: Counter[int] = Counter()
FIRED_LOCK = threading.Lock()


def fire(n: int) -> None:
    with FIRED_LOCK:
        FIRED[n] += 1


def test_many_jobs_due_at_the_same_instant_each_run_exactly_once(rt: Runtime) -> None:
    FIRED.clear()
    scheduler = build_scheduler(rt.engine, table="reminder_test_jobs", workers=4)
    scheduler.start(paused=True)
    instant = datetime.now(UTC) + timedelta(seconds=1)
    try:
        for n in range(300):
            scheduler.add_job(fire, DateTrigger(instant), id=f"r{n}", args=[n])
        scheduler.resume()
        assert wait_for(lambda: len(FIRED) == 300)
        time.sleep(0.5)
    finally:
        scheduler.shutdown()
    assert sorted(FIRED) == list(range(300))
    assert set(FIRED.values()) == {1}


def test_a_job_missed_while_nothing_ran_runs_once_when_the_scheduler_is_back(
    rt: Runtime,
) -> None:
    FIRED.clear()
    scheduler = build_scheduler(rt.engine, table="reminder_test_jobs")
    scheduler.start(paused=True)
    three_hours_ago = datetime.now(london()) - timedelta(hours=3)
    scheduler.add_job(
        fire,
        IntervalTrigger(hours=1, start_date=three_hours_ago - timedelta(hours=1)),
        id="hourly",
        args=[1],
        next_run_time=three_hours_ago,
    )
    scheduler.shutdown()

    again = build_scheduler(rt.engine, table="reminder_test_jobs")
    again.start()
    try:
        assert wait_for(lambda: FIRED[1] >= 1)
        time.sleep(0.5)
    finally:
        again.shutdown()
    # Three hours late: run anyway (no grace limit), and once for all the runs missed.
    assert FIRED[1] == 1
