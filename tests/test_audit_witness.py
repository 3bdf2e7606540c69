"""Witnessed checkpoints: each plan's checkpoint emailed to its auditors and board
secretaries on a schedule, kept by them, and checked against the record later."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from domain.clock import FixedClock
from engine.reminders.dispatcher import Dispatcher
from engine.reminders.scheduler import (
    CHECKPOINT_JOB,
    ReminderJobs,
    SchedulerConfig,
    start_scheduler,
)
from engine.runtime import Runtime
from tests.conftest import AUDITOR, SECRETARY, World
from tests.test_audit_chain import action_oid, busy
from tests.test_audit_reseal import truncate_newest
from tests.test_audit_tools import Cli, RawStore
from tests.test_reminders_support import MailServer

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def jobs(rt: Runtime, server: MailServer, clock: FixedClock) -> ReminderJobs:
    return ReminderJobs(Dispatcher(rt, server.transport(), name="t"), SchedulerConfig(), clock)


def attachment(message: EmailMessage) -> tuple[str, str]:
    [part] = list(message.iter_attachments())
    return str(part.get_filename()), str(part.get_content())


def test_each_witness_gets_the_checkpoint_and_it_proves_the_record_later(
    world: World, server: MailServer, clock: FixedClock, tmp_path: Path
) -> None:
    busy(world)
    world.rt.app.add_user("admin@council.example", "new@council.example", "New", ["lead"])
    jobs(world.rt, server, clock).checkpoints()
    assert sorted(server.inbox.recipients()) == [AUDITOR, SECRETARY]
    message = server.inbox.to(AUDITOR)[0]
    assert str(message["Subject"]).startswith("Checkpoint: plan plan, 2009-06-01")
    name, kept = attachment(message)
    assert name == "checkpoint-plan-2009-06-01.txt"
    assert "store chain: link " in kept
    (tmp_path / name).write_text(kept)

    cli = Cli(tmp_path, world.rt.db.url)
    assert cli("verify", "plan", "--checkpoint", str(tmp_path / name)).returncode == 0
    raw = RawStore(world.rt)
    try:
        truncate_newest(raw)  # the new user, with its link, and the head rewound
    finally:
        raw.close()
    r = cli("verify", "plan", "--checkpoint", str(tmp_path / name))
    assert r.returncode == 1 and "newest events were removed" in r.stdout


def test_witnesses_are_warned_when_the_record_is_not_intact(
    world: World, server: MailServer, clock: FixedClock
) -> None:
    busy(world)
    raw = RawStore(world.rt)
    try:
        raw.alter(raw.positions(action_oid("1.1"))[2], b'"amber"', b'"green"')
    finally:
        raw.close()
    jobs(world.rt, server, clock).checkpoints()
    message = server.inbox.to(SECRETARY)[0]
    assert str(message["Subject"]).startswith("WARNING: the record is not intact: plan plan")
    assert not list(message.iter_attachments())


def test_the_checkpoint_job_runs_daily_by_default_when_smtp_is_set(
    rt: Runtime, server: MailServer
) -> None:
    assert SchedulerConfig().checkpoints_on(smtp_set=True) == "daily"
    assert SchedulerConfig().checkpoints_on(smtp_set=False) == "off"
    assert SchedulerConfig(checkpoint_emails="off").checkpoints_on(smtp_set=True) == "off"
    handle = start_scheduler(
        rt, SchedulerConfig(checkpoint_emails="daily"), transport=server.transport()
    )
    try:
        job = {j.id: j for j in handle.scheduler.get_jobs()}[CHECKPOINT_JOB]
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert (fields["day_of_week"], fields["hour"]) == ("*", "6")
        assert isinstance(handle.next_runs()[CHECKPOINT_JOB], datetime)
    finally:
        handle.stop()
    handle = start_scheduler(
        rt, SchedulerConfig(checkpoint_emails="off"), transport=server.transport()
    )
    try:
        assert CHECKPOINT_JOB not in handle.next_runs()
    finally:
        handle.stop()
