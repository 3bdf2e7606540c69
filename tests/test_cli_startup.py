"""Start-up cost of the command line: what `import engine.cli` loads, and `--help`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import Settings
from engine.runtime import READ_MODELS, Runtime
from tests.cli import BIN

# Modules a command that does not need them must not pay for: the read models' SQL
# toolkit, the database drivers, the event store's PostgreSQL module, spreadsheets,
# reports, templates, the web framework, mail, the log console and Rich's help screens.
HEAVY = (
    "sqlalchemy",
    "psycopg",
    "openpyxl",
    "docx",
    "weasyprint",
    "jinja2",
    "fastapi",
    "starlette",
    "uvicorn",
    "aiosmtplib",
    "structlog",
    "rich.markdown",
    "rich.traceback",
    "rich.progress",
    "engine.runtime",
    "engine.reports",
    "engine.web",
    "engine.importing",
    "projections.queries",
    "asyncio",
    # Small, but loaded only by what needs them: the time zone database for a date in
    # London, the TOML parser for a config file.
    "zoneinfo",
    "tomllib",
)


def imported(code: str) -> set[str]:
    """Every module Python reports loading while running ``code``."""
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    names = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


# The event store and the aggregates: a command loads them when it opens the store, so
# `show` needs them, but starting the command line or `--help` does not.
STORE = ("eventsourcing", "domain.plan", "domain.action", "projections.dashboard")


def heavy_among(names: set[str], heavy: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in heavy))


def test_importtime_is_read() -> None:
    # The parsing itself must see what a heavy import brings, or the tests below prove nothing.
    assert "sqlalchemy" in heavy_among(imported("import sqlalchemy"))


@pytest.mark.parametrize(
    "code",
    [
        "import engine.cli",
        # Every command module, as `--help` and every command load them.
        "import engine.cli.commands",
        "from engine.cli import command; command()",
    ],
)
def test_starting_the_command_line_loads_no_heavy_module(code: str) -> None:
    assert heavy_among(imported(code), HEAVY + STORE) == []


def test_help_loads_no_heavy_module() -> None:
    code = (
        "import sys; sys.argv = ['actiontrail', '--help']\n"
        "from engine.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
    )
    assert heavy_among(imported(code), HEAVY + STORE) == []


def test_help_and_version_run() -> None:
    r = subprocess.run([str(BIN), "--help"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Commands:" in r.stdout, r.stderr
    r = subprocess.run([str(BIN), "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("actiontrail "), r.stderr
    from importlib.metadata import version

    assert r.stdout.split()[1] == version("actiontrail")


def test_the_hash_prefix_shown_is_the_chains() -> None:
    from engine.adapters.eventstore.chain import HASH_PREFIX
    from engine.cli import audit

    assert audit.HASH_PREFIX == HASH_PREFIX


def test_shell_completion_is_offered_and_completes_commands(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    script = subprocess.run(
        [str(BIN), "--show-completion", "bash"], capture_output=True, text=True, timeout=120
    )
    assert script.returncode == 0 and "_actiontrail_completion" in script.stdout, script.stderr
    # What bash asks when the user presses Tab after "actiontrail pla".
    env = {
        **os.environ,
        "_ACTIONTRAIL_COMPLETE": "complete_bash",
        "COMP_WORDS": "actiontrail pla",
        "COMP_CWORD": "1",
    }
    done = subprocess.run(
        [str(BIN)], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path
    )
    assert done.returncode == 0
    assert sorted(done.stdout.split()) == ["plan", "plans"]


# A command that opens the store needs SQLAlchemy (which loads asyncio) and
# eventsourcing, but none of the others.
NOT_FOR_SHOW = tuple(
    h
    for h in HEAVY
    if h not in ("sqlalchemy", "asyncio", "engine.runtime", "projections.queries", "zoneinfo")
)


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["show", "p"], "Plan [p]"),
        (["plans"], "Plan"),
        (["history", "p"], "Plan.Registered"),
        (["governance", "matrix", "p"], ""),
    ],
)
def test_reads_load_no_report_web_mail_or_postgres_code(  # type: ignore[no-untyped-def]
    tmp_path, argv: list[str], shown: str
) -> None:
    import os

    from tests.cli import Cli

    url = f"sqlite:///{tmp_path / 'at.db'}"
    cli = Cli(tmp_path, url)
    cli.ok("users", "add", "admin@c.example", "--name", "Ada", "--role", "admin")
    cli.ok("plan", "create", "p", "--title", "Plan", "--as", "admin@c.example")
    code = (
        f"import sys; sys.argv = {['actiontrail', *argv]!r}\n"
        "from engine.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "ACTIONTRAIL_DATABASE_URL": url}
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0 and shown in r.stdout, r.stderr[-2000:]
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in r.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "sqlite3" in names  # the run did open the store
    assert heavy_among(names, NOT_FOR_SHOW) == []
    # With the read models at the log's head, as every write leaves them, a read opens
    # neither the runtime (nor with it SQLAlchemy) nor the application and the
    # aggregates' event classes, and Typer validates its options without pydantic.
    assert heavy_among(names, NOT_AT_THE_HEAD) == []


# What a read does not load when the read models are at the log's head.
NOT_AT_THE_HEAD = (
    "sqlalchemy",
    "eventsourcing",
    "engine.runtime",
    "engine.service.application",
    "domain.plan",
    "domain.action",
    "domain.governance",
    "domain.users",
    "domain.dispatch",
    "projections.reducer",
    "projections.runner",
    "engine.audit.snapshots",
    "pydantic",
)


@pytest.mark.persistence
def test_show_applies_what_another_process_recorded_before_reading(
    db_url: str, tmp_path: Path
) -> None:
    from tests.cli import Cli

    cli = Cli(tmp_path, db_url)
    cli.ok("users", "add", "admin@c.example", "--name", "Ada", "--role", "admin")
    cli.ok("plan", "create", "p", "--title", "Plan", "--as", "admin@c.example")
    # Another process records without bringing the read models up to date: they now
    # lag behind the event log.
    writer = Runtime.open(
        Settings(database_url=db_url, files_dir=str(tmp_path / "files")), read_your_writes=False
    )
    try:
        writer.app.create_plan("admin@c.example", "q", "Later plan", agencies=["Council"])
        assert not writer.read_models_at_head()
        assert "Later plan [q]" in cli.ok("show", "q")
        assert writer.read_models_at_head()  # the show caught them up
        assert writer.catch_up() == 0
    finally:
        writer.close()


def test_the_runtime_names_every_read_model_the_runner_keeps(tmp_path: Path) -> None:
    rt = Runtime.open(
        Settings(database_url=f"sqlite:///{tmp_path / 'at.db'}", files_dir=str(tmp_path))
    )
    try:
        # A read model the fast path did not know of would be read before it caught up.
        assert sorted(rt.runner.names()) == sorted(READ_MODELS)
        rt.runner.ensure_positions()
        assert rt.read_models_at_head()
    finally:
        rt.close()


def test_a_command_line_builds_only_the_branch_it_runs() -> None:
    from engine.cli import app, command

    def names(argv: list[str]) -> list[str]:
        tree = command(argv)
        return [c.callback.__name__ for c in tree.registered_commands] + [
            g.name or "" for g in tree.registered_groups
        ]

    assert names(["show", "p"]) == ["show"]
    assert names(["--format", "json", "--db=sqlite:///x.db", "show", "p"]) == ["show"]
    assert names(["--as", "show", "plans"]) == ["plans"]  # "show" is the --as value here
    assert names(["plan", "create", "p"]) == ["plan"]
    # Help, an unknown word (for "did you mean") and no command at all get the whole tree.
    for argv in (["--help"], ["shw"], [], ["--format", "json"]):
        assert command(argv) is app
