"""`actiontrail report` as a user runs it: exit statuses, messages and files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).with_name("actiontrail")


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {
            **os.environ,
            "ACTIONTRAIL_DATABASE_URL": f"sqlite:///{cwd / 'at.db'}",
            "COLUMNS": "200",
        }

    def __call__(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [str(BIN), *args], cwd=self.cwd, env=self.env, capture_output=True, timeout=120
        )


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    c = Cli(tmp_path_factory.mktemp("reports-cli"))
    assert c("demo").returncode == 0
    return c


def test_progress_report_to_stdout_as_html(cli: Cli) -> None:
    r = cli("report", "leeds-iwc", "--period", "2009-08")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"<!DOCTYPE html>")
    assert b"Summary Report August 2009" in r.stdout


def test_the_format_follows_the_output_file(cli: Cli) -> None:
    for name, start in (("r.xlsx", b"PK"), ("r.md", b"# "), ("r.csv", "\ufeffRef".encode())):
        r = cli("report", "leeds-iwc", "--period", "2009-08", "-o", name)
        assert r.returncode == 0, r.stderr
        assert (cli.cwd / name).read_bytes().startswith(start)
        assert f"written to {name}".encode() in r.stderr
    r = cli("report", "leeds-iwc", "--kind", "exception", "--period", "2009-08", "--format", "md")
    assert r.stdout.startswith(b"# Independence, Wellbeing and Choice Inspection Action Plan: ")


def test_an_unknown_plan_exits_1(cli: Cli) -> None:
    r = cli("report", "no-such-plan")
    assert r.returncode == 1
    assert b"no plan 'no-such-plan'" in r.stderr


@pytest.mark.parametrize("period", ["2009-13", "2009-Q3", "August"])
def test_a_bad_period_exits_2_naming_it(cli: Cli, period: str) -> None:
    r = cli("report", "leeds-iwc", "--period", period)
    assert r.returncode == 2
    assert period.encode() in r.stderr and b"--period" in r.stderr


def test_a_period_neither_closed_nor_current_is_built_live_and_says_so(cli: Cli) -> None:
    r = cli("report", "leeds-iwc", "--period", "2010-02", "--format", "md")
    assert r.returncode == 0, r.stderr
    assert b"note: February 2010 has not been closed" in r.stderr
    assert b"February 2010 has not been closed" in r.stdout


def test_a_report_on_the_terminal_carries_no_control_characters(tmp_path: Path) -> None:
    c = Cli(tmp_path)
    assert c("demo").returncode == 0
    narrative = "\x1b]0;owned\x07\x1b[2J cleared \u202egnp.exe \x9b31m end"
    r = c(
        "--as",
        "richard.graham@leeds.example",
        "action",
        "progress",
        "leeds-iwc",
        "2.1",
        "-m",
        narrative,
        "--risk",
        narrative,
    )
    assert r.returncode == 0, r.stderr
    for kind in ("progress", "exception"):
        r = c("report", "leeds-iwc", "--kind", kind, "--format", "md")
        assert r.returncode == 0, r.stderr
        text = r.stdout.decode()
        assert "owned" in text and "cleared" in text, kind
        hidden = [ch for ch in text if not ch.isprintable() and ch != "\n"]
        assert hidden == [], kind
