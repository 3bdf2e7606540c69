"""Two senders at once, as threads and as processes, on SQLite and PostgreSQL: every digest
is delivered exactly once."""

from __future__ import annotations

import contextvars
import os
import subprocess
import sys
import threading
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from domain.clock import FixedClock
from domain.dispatch import Dispatch, dispatch_id
from domain.values import Person
from engine.reminders.dispatcher import DispatchConfig, Dispatcher, SendReport
from engine.runtime import Runtime
from tests.conftest import open_runtime
from tests.test_reminders_support import MailServer, at, setup_plan, simple_action

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

DAY = date(2009, 6, 30)
PEOPLE = 30
BIN = Path(sys.executable).with_name("actiontrail")


def plan_for_many(rt: Runtime, clock: FixedClock) -> list[str]:
    leads = [Person(f"Lead {i}", f"lead{i}@council.example") for i in range(PEOPLE)]
    clock.set(at(date(2009, 6, 1)))
    setup_plan(rt, *[simple_action(f"1.{i}", DAY, leads=[p]) for i, p in enumerate(leads, 1)])
    clock.set(at(DAY))
    return sorted(p.email or "" for p in leads)


def claims_of(rt: Runtime, key: str) -> int:
    events = rt.app.repository.event_store.get(dispatch_id(key))
    return sum(isinstance(e, Dispatch.Claimed) for e in events)


def assert_each_sent_once(rt: Runtime, server: MailServer, expected: list[str]) -> None:
    received = Counter(server.inbox.recipients())
    assert sorted(received) == expected
    assert set(received.values()) == {1}
    box = Dispatcher(rt, server.transport()).outbox
    box.catch_up()
    rows = box.rows()
    assert len(rows) == len(expected)
    assert {r.status for r in rows} == {"sent"}
    # Nobody had to take over a claim: each digest was claimed once, by one sender.
    assert {claims_of(rt, r.key) for r in rows} == {1}


def test_two_sender_threads_never_send_the_same_digest_twice(
    rt: Runtime, clock: FixedClock, server: MailServer, db_url: str, tmp_path: Path
) -> None:
    expected = plan_for_many(rt, clock)
    barrier = threading.Barrier(2)
    reports: list[SendReport] = []
    errors: list[BaseException] = []

    # Each sender has its own connections, as two processes would.
    runtimes = [open_runtime(db_url, tmp_path) for _ in range(2)]
    # Small batches so that the two interleave and contend for the same claims.
    dispatchers = [
        Dispatcher(own, server.transport(), config=DispatchConfig(batch=3), name=f"sender-{i}")
        for i, own in enumerate(runtimes)
    ]

    def sender(dispatcher: Dispatcher) -> None:
        try:
            barrier.wait(60)
            reports.append(dispatcher.run(DAY)[1])
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(sender, d))
        for d in dispatchers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for own in runtimes:
        own.close()
    assert not errors, errors

    assert sum(r.sent for r in reports) == PEOPLE
    assert_each_sent_once(rt, server, expected)


def test_two_sender_processes_never_send_the_same_digest_twice(
    rt: Runtime, clock: FixedClock, server: MailServer, db_url: str, tmp_path: Path
) -> None:
    expected = plan_for_many(rt, clock)
    env = {
        **os.environ,
        "ACTIONTRAIL_DATABASE_URL": db_url,
        "ACTIONTRAIL_SMTP_URL": server.url,
        "ACTIONTRAIL_FILES_DIR": str(tmp_path / "files"),
    }
    command = [str(BIN), "--format", "json", "reminders", "send", "--on", DAY.isoformat()]
    senders = [
        subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in senders]
    assert [p.returncode for p in senders] == [0, 0], outputs

    assert_each_sent_once(rt, server, expected)
