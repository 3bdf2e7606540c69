"""`reminders send` killed with SIGKILL at several moments while 400 digests go to a slow
SMTP server, then run again: every digest arrives, and no more are sent twice than the
documented bound (one per SMTP connection per kill, docs/reminders.md)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from domain.dispatch import Dispatch, DispatchStatus
from domain.values import Person
from engine.reminders.outbox import Outbox
from engine.reminders.sender import LOCK_DIR_ENV
from engine.runtime import Runtime
from notifiers.transport import KEY_HEADER
from tests.cli import BIN
from tests.test_reminders_exactly_once import item
from tests.test_reminders_support import Inbox, MailServer

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

DIGESTS = 400
POOL = 4  # connections per sender: the most a kill can leave sent but not recorded
KILL_AFTER = (40, 150, 270)  # messages received before each kill
DAY = date(2009, 6, 30)


class SlowInbox(Inbox):
    """A server that takes its time over each message, so kills land mid-batch."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


def test_a_sender_killed_at_several_moments_delivers_every_digest_and_doubles_few(
    rt: Runtime, clock: FixedClock, tmp_path: Path
) -> None:
    server = MailServer()
    server.inbox = SlowInbox()
    server.start()
    try:
        keys = [f"digest-{n:03d}" for n in range(DIGESTS)]
        dispatches = [
            Dispatch.queue(k, Person(f"Lead {n}", f"lead{n}@council.example"), DAY, [],
                           [item(f"{n}.1")])
            for n, k in enumerate(keys)
        ]  # fmt: skip
        assert rt.app.queue_dispatches(dispatches) == DIGESTS
        env = {
            **os.environ,
            "ACTIONTRAIL_DATABASE_URL": rt.settings.database_url,
            "ACTIONTRAIL_FILES_DIR": str(tmp_path / "files"),
            "ACTIONTRAIL_SMTP_URL": f"{server.url}?pool_size={POOL}&timeout=30",
            LOCK_DIR_ENV: str(tmp_path / "senders"),
        }
        args = [str(BIN), "reminders", "send", "--on", DAY.isoformat()]
        kills = 0
        for after in KILL_AFTER:
            proc = subprocess.Popen(
                args, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            deadline = time.monotonic() + 300  # a hung sender fails the test, not CI
            while proc.poll() is None and len(server.inbox.received) < after:
                assert time.monotonic() < deadline, "the sender made no progress"
                time.sleep(0.002)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        assert kills == len(KILL_AFTER)
        assert len(server.inbox.received) < DIGESTS  # the kills came part-way

        last = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        assert last.returncode == 0, last.stderr
        assert "Traceback" not in last.stderr

        got = Counter(str(m[KEY_HEADER]) for _, m in server.inbox.received)
        assert set(got) == set(keys)
        doubled = sum(n - 1 for n in got.values())
        assert doubled <= POOL * kills, got.most_common(POOL * kills + 1)
        box = Outbox(rt.runner)
        box.catch_up()
        assert box.counts()[DispatchStatus.SENT.value] == DIGESTS
    finally:
        server.stop()
