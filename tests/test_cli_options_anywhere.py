"""`--format`, `--as` and `--db` after the command as well as before it, on every command,
and the JSON of what a change recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config.settings import Settings
from engine.cli import command
from engine.cli.options import commands
from engine.runtime import Runtime
from tests.cli import Cli

ADMIN = "admin@c.example"
FIXTURES = Path(__file__).parent / "fixtures"

# Every command of the tree, each a process of its own, before the first test.
pytestmark = pytest.mark.slow

# Commands that neither list, show nor change anything a script would read: they run
# until stopped. Every other command of the tree must appear in SCRIPT below.
RUN_UNTIL_STOPPED = {("serve",), ("scheduler",)}
# A board report's --format names the document's format (html, md, csv, xlsx).
OWN_FORMATS = {("report",)}

DOC = "governance.txt"

# Every command, in an order that each can run on the store the ones before it left;
# `--format json` is put after each. {dir} is the test's folder.
SCRIPT: list[tuple[str, ...]] = [
    ("init",),
    ("users", "add", ADMIN, "--name", "Ada", "--role", "admin", "--role", "secretary",
     "--role", "approver", "--role", "accountable", "--agency", "Council"),
    ("users", "roles", ADMIN, "--role", "admin", "--role", "secretary", "--role", "approver",
     "--role", "accountable", "--role", "lead", "--agency", "Council"),
    ("users", "list"),
    ("plan", "create", "p", "--title", "Plan", "--agencies", "Council"),
    ("plan", "load", "{dir}/plan.yaml"),
    ("plan", "policy", "p", "--amber-days", "20", "--reason", "board asked"),
    ("plan", "owner", "add", "p", ADMIN),
    ("plan", "agency", "add", "p", "NHS", "--reason", "joined the plan"),
    ("plan", "agency", "rename", "p", "NHS", "NHS Trust", "--reason", "its full name"),
    ("plan", "agency", "retire", "p", "NHS Trust", "--reason", "left the plan"),
    ("plan", "amend", "p", "title", "The plan", "--reason", "clearer"),
    ("plan", "owner", "remove", "p", ADMIN, "--reason", "handed over"),
    ("users", "add", "lee@c.example", "--name", "Lee", "--role", "lead"),
    ("users", "deactivate", "lee@c.example", "--reason", "left the council"),
    ("users", "reactivate", "lee@c.example"),
    ("group", "add", "p", "1", "--title", "Recommendation 1"),
    ("action", "add", "p", "1.1", "--group", "1", "--title", "Audit", "--lead",
     f"Ada <{ADMIN}>", "--accountable", f"Ada <{ADMIN}>", "--start", "2009-01-01",
     "--finish", "2009-06-30", "--criterion", "Audit done @ 2009-03-01"),
    ("action", "start", "p", "1.1", "--on", "2009-01-02"),
    ("action", "progress", "p", "1.1", "-m", "Going well", "--period", "2009-01"),
    ("action", "rag", "p", "1.1", "amber", "--reason", "slow"),
    ("action", "amend", "p", "1.1", "title", "Audit of records", "--reason", "clearer"),
    ("action", "milestone", "p", "1.1", "1", "--on", "2009-03-01"),
    ("evidence", "add", "p", "1.1", "--url", "https://example.org/audit"),
    ("evidence", "accept", "p", "1.1", "E1"),
    ("evidence", "add", "p", "1.1", "--url", "https://example.org/other"),
    ("evidence", "reject", "p", "1.1", "E2", "--reason", "not it"),
    ("action", "complete", "p", "1.1", "--on", "2009-06-01"),
    ("action", "verify", "p", "1.1"),
    ("action", "add", "p", "1.2", "--group", "1", "--title", "Second", "--lead", ADMIN,
     "--finish", "2009-09-30"),
    ("action", "rebaseline", "p", "--shift", "1m", "--refs", "1.2", "--reason", "moved"),
    ("action", "measure", "q", "1", "Reviews", "70"),
    ("action", "defer", "p", "1.2", "--reason", "next year"),
    ("action", "add", "p", "1.3", "--group", "1", "--title", "Third", "--lead", ADMIN),
    ("action", "cancel", "p", "1.3", "--reason", "not needed"),
    ("governance", "open", "p", "doc", "--document", "{dir}/" + DOC, "--agency", "Council"),
    ("governance", "revise", "p", "doc", "--document", "{dir}/v2-" + DOC, "--reason", "new"),
    ("governance", "reject", "p", "doc", "--agency", "Council", "--body", "Board",
     "--reason", "no"),
    ("governance", "approve", "p", "doc", "--agency", "Council", "--body", "Board"),
    ("governance", "signoff", "p", "doc", "--board", "Board"),
    ("governance", "revoke", "p", "doc", "--reason", "error"),
    ("governance", "matrix", "p"),
    ("plans",),
    ("show", "p"),
    ("history", "p"),
    ("diff", "p", "--from", "2009-01-01"),
    ("verify",),
    ("checkpoint", "p"),
    ("period", "close", "p", "--period", "2009-01"),
    ("period", "reopen", "p", "--period", "2009-01", "--reason", "figures wrong"),
    ("period", "narrative", "p", "--period", "2009-01", "--overview", "All on track"),
    ("period", "close", "p", "--period", "2009-01"),
    ("period", "list", "p"),
    ("period", "show", "p", "2009-01"),
    ("projections", "status"),
    ("projections", "rebuild"),
    ("reminders", "preview", "--on", "2009-06-30"),
    ("reminders", "send", "--on", "2009-06-30"),
    ("outbox",),
    ("export", "p", "-o", "{dir}/p.jsonl"),
    # Into an empty store, named by --db after the command.
    ("restore", "{dir}/p.jsonl", "--db", "sqlite:///{dir}/restored.db"),
    ("export-sheet", "p", "-o", "{dir}/p.csv"),
    ("import", str(FIXTURES / "import" / "leeds.csv"), "--plan", "leeds"),
    ("users", "password", ADMIN, "--stdin"),
    ("users", "token", ADMIN),
    ("demo",),
]


def tree() -> set[tuple[str, ...]]:
    return {path for path, _ in commands(command())}


def test_the_script_covers_every_command() -> None:
    # A new command must be added to SCRIPT (or to an exemption, with its reason).
    scripted = {_path(args) for args in SCRIPT}
    assert tree() - RUN_UNTIL_STOPPED - OWN_FORMATS - scripted == set()
    assert scripted <= tree()


def _path(args: tuple[str, ...]) -> tuple[str, ...]:
    """The command an argument list runs: its longest beginning that is a command."""
    known = tree()
    return max((args[:n] for n in range(1, len(args) + 1) if args[:n] in known), key=len)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, ...], object]:
    """Every command of SCRIPT run once, `--format json` after it; their JSON by path
    (the last run of each)."""
    folder = tmp_path_factory.mktemp("anywhere")
    (folder / DOC).write_text("the plan, version 1\n")
    (folder / ("v2-" + DOC)).write_text("the plan, version 2\n")
    (folder / "plan.yaml").write_text(
        "slug: q\ntitle: Loaded plan\ncadence: monthly\nactions:\n"
        f"  - ref: '1'\n    title: First\n    leads: [{{name: Ada, email: {ADMIN}}}]\n"
        "    indicators:\n      - {name: Reviews, target: 75}\n"
    )
    cli = Cli(folder, f"sqlite:///{folder / 'at.db'}", extra_env={"ACTIONTRAIL_SMTP_URL": ""})
    out: dict[tuple[str, ...], object] = {}
    for args in SCRIPT:
        argv = [a.replace("{dir}", str(folder)) for a in args]
        stdin_user = args[:2] == ("users", "password")
        r = (
            _with_stdin(cli, [*argv, "--format", "json", "--as", ADMIN], "s3cret-pass\n")
            if stdin_user
            else cli(*argv, "--format", "json", "--as", ADMIN)
        )
        assert r.returncode == 0, f"{' '.join(argv)}: {r.stderr}{r.stdout}"
        try:
            out[_path(args)] = json.loads(r.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"{' '.join(argv)} --format json printed no JSON: {r.stdout!r}")
    return out


def _with_stdin(cli: Cli, argv: list[str], text: str):  # type: ignore[no-untyped-def]
    import subprocess

    from tests.cli import BIN

    return subprocess.run(
        [str(BIN), *argv], cwd=cli.cwd, env=cli.env, input=text, capture_output=True,
        text=True, timeout=cli.timeout,
    )


@pytest.mark.parametrize("path", sorted(tree() - RUN_UNTIL_STOPPED - OWN_FORMATS))
def test_format_json_after_the_command(
    run: dict[tuple[str, ...], object], path: tuple[str, ...]
) -> None:
    assert path in run
    assert isinstance(run[path], dict | list)


@pytest.mark.persistence
def test_a_change_prints_what_it_recorded(db_url: str, tmp_path: Path) -> None:
    cli = Cli(tmp_path, db_url)
    cli.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin", "--role", "lead")
    cli.ok("plan", "create", "p", "--title", "Plan", "--as", ADMIN)
    cli.ok("action", "add", "p", "1.1", "--title", "Audit", "--lead", ADMIN, "--as", ADMIN)
    done = json.loads(
        cli.ok("action", "rag", "p", "1.1", "red", "--reason", "late", "--format", "json",
               "--as", ADMIN)
    )
    [change] = done["recorded"]
    assert change["subject"] == "action 1.1"
    [event] = change["events"]
    assert event["kind"] == "RagAssessed"
    rt = Runtime.open(Settings(database_url=db_url, files_dir=str(tmp_path / "files")))
    try:
        [stored] = rt.app.recorder.select_notifications(event["position"], 1)
        head = rt.app.recorder.max_notification_id()
    finally:
        rt.close()
    assert stored.id == event["position"] == head
    assert str(stored.originator_id).replace("-", "") == change["id"].replace("-", "")
    assert stored.originator_version == event["version"] == change["version"]
    assert stored.topic == event["topic"] and stored.topic.endswith(".RagAssessed")


def test_the_option_after_the_command_wins(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'elsewhere.db'}")
    other = f"sqlite:///{tmp_path / 'at.db'}"
    cli.ok("--db", other, "users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    # --db and --format after the command win over the ones before it.
    users = json.loads(
        cli.ok("--format", "table", "--db", f"sqlite:///{tmp_path / 'x.db'}", "users", "list",
               "--format", "json", "--db", other)
    )
    assert [u["email"] for u in users] == [ADMIN]
    # --as after the command: refused without it, recorded with it.
    refused = cli("plan", "create", "p", "--title", "Plan")
    assert refused.returncode == 2 and "--as" in refused.stderr
    cli.ok("--db", other, "plan", "create", "p", "--title", "Plan", "--as", ADMIN)
    assert [p["slug"] for p in cli.json("--db", other, "plans")] == ["p"]
    # Sentences go to standard error under JSON, so standard output parses.
    r = cli("--db", other, "group", "add", "p", "1", "--title", "G", "--as", ADMIN,
            "--format", "json")
    assert r.returncode == 0 and "group 1 added" in r.stderr
    assert json.loads(r.stdout)["recorded"][0]["events"][0]["kind"] == "GroupAdded"


def test_a_format_after_the_command_is_checked(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'at.db'}")
    r = cli("plans", "--format", "yaml")
    assert r.returncode == 2 and "yaml" in r.stderr
