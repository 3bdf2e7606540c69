"""The reminder commands as an operator runs them: preview, send, outbox, history and the
scheduler, each a real `actiontrail` process against a SQLite file and a real SMTP server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock, london, using_clock
from domain.clock import today as real_today
from domain.values import Person
from tests.conftest import LEAD, LEAD2, NHS, OFFICER, SECRETARY, open_runtime
from tests.test_reminders_support import MailServer, at, setup_plan, simple_action

BIN = Path(sys.executable).with_name("actiontrail")
DAY = "2009-06-29"  # a Monday: the week's overdue day


class Cli:
    def __init__(self, cwd: Path, url: str, smtp_url: str | None) -> None:
        self.cwd = cwd
        self.env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": url, "COLUMNS": "200"}
        self.env["ACTIONTRAIL_FILES_DIR"] = str(cwd / "files")
        self.env.pop("ACTIONTRAIL_SMTP_URL", None)
        if smtp_url:
            self.env["ACTIONTRAIL_SMTP_URL"] = smtp_url

    def ok(self, *args: str) -> str:
        r = subprocess.run(
            [str(BIN), *args], cwd=self.cwd, env=self.env, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr + r.stdout
        return r.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args, "--format", "json"))


def prepared(tmp_path: Path) -> str:
    """A plan on Monday 29 Jun 2009: 1.1 due that day (Lee), 1.2 two weeks overdue (Lee,
    escalated to Olu), 1.3 due in three working days (Liz)."""
    url = f"sqlite:///{tmp_path / 'at.db'}"
    clock = FixedClock(datetime(2009, 6, 1, 9, tzinfo=UTC))
    with using_clock(clock):
        rt = open_runtime(url, tmp_path)
        clock.set(at(date(2009, 6, 1)))
        setup_plan(
            rt,
            simple_action("1.1", date(2009, 6, 29)),
            simple_action("1.2", date(2009, 6, 15)),
            simple_action("1.3", date(2009, 7, 2), leads=[Person("Liz Lead", LEAD2)]),
        )
        rt.close()
    return url


@pytest.fixture
def cli(tmp_path: Path, server: MailServer) -> Cli:
    return Cli(tmp_path, prepared(tmp_path), server.url)


def test_preview_says_what_would_go_to_whom_and_why_and_sends_nothing(
    cli: Cli, server: MailServer
) -> None:
    data = cli.json("reminders", "preview", "--on", DAY)

    assert data["day"] == DAY
    by_recipient = {d["recipient"]: d for d in data["digests"]}
    assert sorted(by_recipient) == sorted([LEAD, LEAD2, OFFICER])
    lead = by_recipient[LEAD]
    assert lead["will_send"] is True and lead["outbox"] is None
    assert [(i["section"], i["ref"], i["why"]) for i in lead["items"]] == [
        ("overdue", "1.2", "14 days overdue (2 weeks)"),
        ("due", "1.1", "Due today"),
    ]
    assert by_recipient[LEAD2]["items"][0]["why"] == "Due in 3 working days"
    assert by_recipient[OFFICER]["items"][0]["rule"] == "escalation"
    assert server.inbox.received == []
    assert cli.json("outbox") == []

    table = cli.ok("reminders", "preview", "--on", DAY)
    assert "Lee Lead <lead@council.example>" in table and "14 days overdue" in table


def test_preview_shows_overdue_work_on_the_weekly_overdue_day_only(cli: Cli) -> None:
    # Tuesday: 1.2 is 15 days overdue but waits for next Monday's list.
    tuesday = cli.json("reminders", "preview", "--on", "2009-06-30")
    assert [i["section"] for d in tuesday["digests"] for i in d["items"]] == []
    monday = cli.json("reminders", "preview", "--on", "2009-07-06")
    items = {(d["recipient"], i["ref"], i["why"].split(";")[0]) for d in monday["digests"]
             for i in d["items"]}  # fmt: skip
    assert items == {
        (LEAD, "1.1", "7 days overdue (1 week)"),
        (LEAD, "1.2", "21 days overdue (3 weeks)"),
        (OFFICER, "1.2", "21 days overdue (3 weeks)"),  # escalated from 14 days
        (LEAD2, "1.3", "4 days overdue"),
    }
    table = cli.ok("reminders", "preview", "--on", "2009-07-06")
    assert "21 days overdue (3 weeks)" in table


def test_preview_lists_an_agency_with_no_approver_as_unreachable(
    tmp_path: Path, server: MailServer
) -> None:
    url = prepared(tmp_path)
    clock = FixedClock(at(date(2009, 6, 22)))
    with using_clock(clock):
        rt = open_runtime(url, tmp_path)
        # Nobody has the approver role for the Council; the NHS Trust has Nia.
        rt.app.open_item(
            SECRETARY, "plan", "terms", "Terms", ["Council", "NHS Trust"], "tor.pdf", "a" * 64
        )
        rt.close()
    cli = Cli(tmp_path, url, server.url)

    data = cli.json("reminders", "preview", "--on", DAY)  # a week after it was opened
    assert {
        (u["role"], u["agency"], u["ref"], u["rule"], u["why"]) for u in data["unreachable"]
    } == {("approver", "Council", "terms", "approval_chase",
           "no user has the approver role for Council")}  # fmt: skip
    assert NHS in {d["recipient"] for d in data["digests"]}
    table = cli.ok("reminders", "preview", "--on", DAY)
    assert "(no approver)" in table and "approver role for Council" in table
    sent = cli.json("reminders", "send", "--on", DAY)
    assert sent["unreachable"] == 1


def test_send_twice_sends_nothing_the_second_time(cli: Cli, server: MailServer) -> None:
    first = cli.json("reminders", "send", "--on", DAY)
    assert (first["queued"], first["sent"], first["failed"]) == (3, 3, 0)
    assert first["transport"] == f"SMTP at 127.0.0.1:{server.port}"
    assert first["waiting_to_retry"] == 0 and first["next_retry_at"] is None

    second = cli.json("reminders", "send", "--on", DAY)
    assert (second["queued"], second["already_queued"], second["sent"]) == (0, 3, 0)
    assert sorted(server.inbox.recipients()) == sorted([LEAD, LEAD2, OFFICER])

    preview = cli.json("reminders", "preview", "--on", DAY)
    assert {d["outbox"] for d in preview["digests"]} == {"sent"}
    text = cli.ok("reminders", "send", "--on", DAY)
    assert "0 digest(s) queued (3 already), 0 sent" in text
    assert f"none waiting to be retried; via SMTP at 127.0.0.1:{server.port}" in text


def test_a_refused_recipient_is_shown_by_outbox_status_failed(cli: Cli, server: MailServer) -> None:
    server.inbox.refuse[LEAD2] = "550 5.1.1 Mailbox unavailable"
    result = cli.json("reminders", "send", "--on", DAY)
    assert (result["sent"], result["failed"]) == (2, 1)

    (failed,) = cli.json("outbox", "--status", "failed")
    assert (failed["recipient"], failed["status"], failed["code"]) == (LEAD2, "failed", 550)
    assert "Mailbox unavailable" in failed["detail"]
    assert failed["day"] == DAY and failed["items"] == 1
    assert sorted(r["recipient"] for r in cli.json("outbox", "--status", "sent")) == sorted(
        [LEAD, OFFICER]
    )
    table = cli.ok("outbox", "--status", "failed")
    assert LEAD2 in table and "Mailbox unavailable" in table and LEAD not in table

    again = cli.json("reminders", "send", "--on", DAY)
    assert again["sent"] == again["failed"] == 0  # refused for good: not retried


def test_sent_reminders_are_in_the_plans_history(cli: Cli) -> None:
    cli.ok("reminders", "send", "--on", DAY)
    rows = cli.json("history", "plan", "--kind", "Sent")

    assert sorted(r["subject"] for r in rows) == sorted(
        f"reminder to {e}" for e in (LEAD, LEAD2, OFFICER)
    )
    assert {r["kind"] for r in rows} == {"Dispatch.Sent"}
    assert {r["actor"] for r in rows} == {"actiontrail"}
    queued = cli.json("history", "plan", "--kind", "Queued")
    (lead,) = [r for r in queued if r["subject"] == f"reminder to {LEAD}"]
    assert sorted(i["ref"] for i in lead["data"]["items"]) == ["1.1", "1.2"]


def test_with_no_smtp_server_configured_digests_are_written_to_the_outbox_folder(
    tmp_path: Path,
) -> None:
    cli = Cli(tmp_path, prepared(tmp_path), None)
    result = cli.json("reminders", "send", "--on", DAY)

    assert result["sent"] == 3
    assert result["transport"] == "outbox folder outbox"
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 3
    assert {r["status"] for r in cli.json("outbox")} == {"sent"}


def test_the_scheduler_command_runs_until_stopped(cli: Cli) -> None:
    proc = subprocess.Popen(
        [str(BIN), "scheduler", "--digest-hour", "7", "--sweep-minutes", "30"],
        cwd=cli.cwd, env=cli.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "reminder scheduler running: digests at 07:00 London" in first
    assert "sweep every 30 min" in first
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "reminder scheduler stopped" in out


def test_a_bad_smtp_url_is_a_clear_error(tmp_path: Path) -> None:
    cli = Cli(tmp_path, prepared(tmp_path), "smtp+ssl://mail.example")
    r = subprocess.run(
        [str(BIN), "reminders", "send", "--on", DAY], cwd=tmp_path, env=cli.env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 1
    assert "ACTIONTRAIL_SMTP_URL: unsupported scheme 'smtp+ssl'" in r.stderr
    assert "Traceback" not in r.stderr


def test_digests_turned_away_for_now_are_counted_with_their_next_try(
    cli: Cli, server: MailServer
) -> None:
    server.inbox.refuse[LEAD2] = "451 4.3.0 Try again later"
    result = cli.json("reminders", "send", "--on", DAY)
    assert (result["sent"], result["failed"], result["waiting_to_retry"]) == (2, 0, 1)
    (waiting,) = cli.json("outbox", "--status", "queued")
    assert waiting["recipient"] == LEAD2 and waiting["attempts"] == 1
    assert result["next_retry_at"] == waiting["retry_at"]
    # Sent again before its next try: still waiting, and said so in words.
    text = cli.ok("reminders", "send", "--on", DAY)
    next_try = datetime.fromisoformat(waiting["retry_at"]).astimezone(london())
    assert f"1 waiting to be retried (next try {next_try:%Y-%m-%d %H:%M})" in text


def test_sending_a_day_after_today_needs_force(cli: Cli, server: MailServer) -> None:
    later = (real_today() + timedelta(days=7)).isoformat()
    r = subprocess.run(
        [str(BIN), "reminders", "send", "--on", later], cwd=cli.cwd, env=cli.env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 2
    assert f"{later} is after today" in r.stderr and "--force" in r.stderr
    assert cli.json("outbox") == []
    forced = cli.json("reminders", "send", "--on", later, "--force")
    assert forced["day"] == later
    assert cli.json("reminders", "preview", "--on", later)["day"] == later  # no --force needed
