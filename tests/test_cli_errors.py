"""Mistakes on the command line: each is one clear line naming what is wrong, with exit
status 2 for bad usage and 1 for a refused command, and nothing is changed or stored."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from config.settings import Settings
from domain.clock import london
from domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from domain.values import Indicator
from engine.adapters.database import DatabaseUnavailable, redacted
from engine.adapters.files import FileStore
from engine.cli import output
from engine.runtime import Runtime
from tests.cli import Cli as BaseCli
from tests.conftest import ADMIN, AUDITOR, LEAD, World, action_spec

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


class Cli(BaseCli):
    """The installed command as a user runs it, with stderr not a terminal and no
    COLUMNS set, so that Rich would wrap at 80 columns."""

    def __init__(self, cwd: Path, url: str) -> None:
        self.files = cwd / "cli-files"
        super().__init__(
            cwd, url, columns=None, extra_env={"ACTIONTRAIL_FILES_DIR": str(self.files)}
        )

    def history(self) -> list[dict[str, object]]:
        rows = json.loads(self.ok("--format", "json", "history", "plan"))
        assert isinstance(rows, list)
        return rows

    def stored_files(self) -> list[Path]:
        return sorted(p for p in self.files.rglob("*") if p.is_file())


def one_line_error(r: subprocess.CompletedProcess[str], status: int = 1) -> str:
    assert r.returncode == status, r.stderr + r.stdout
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def cli(world: World, tmp_path: Path) -> Cli:
    return Cli(tmp_path, world.rt.db.url)


def later_than_today() -> str:
    """A date after the system's today, for commands run under the system clock."""
    return (datetime.now(london()).date() + timedelta(days=400)).isoformat()


# 1. Amending the recurrence


def test_an_unknown_recurrence_is_a_usage_error_naming_the_allowed_values(cli: Cli) -> None:
    before = cli.history()
    r = cli(
        "action",
        "amend",
        "plan",
        "1.1",
        "recurrence",
        "Monthly from June 2010",
        "--reason",
        "x",
        user=LEAD,
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    text = " ".join(r.stderr.replace("│", " ").split())
    assert "'Monthly from June 2010' is not a recurrence" in text
    assert "ongoing, weekly, monthly, quarterly, annually" in text
    assert cli.history() == before
    cli.ok("action", "amend", "plan", "1.1", "recurrence", "Quarterly", "--reason", "x", user=LEAD)


# 2. A database URL that names nothing usable


def sqlite_cases(tmp_path: Path) -> dict[str, tuple[str, str]]:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    not_db = tmp_path / "notes.db"
    not_db.write_text("these are not the tables you are looking for\n" * 200)
    return {
        "missing folder": (
            f"sqlite:///{tmp_path / 'no-such-folder' / 'at.db'}",
            f"the folder {tmp_path / 'no-such-folder'} does not exist",
        ),
        "a folder": (f"sqlite:///{folder}", f"{folder} is a folder, not a file"),
        "not a database": (
            f"sqlite:///{not_db}",
            f"{not_db} is not a SQLite database (file is not a database)",
        ),
    }


@pytest.mark.parametrize("case", ["missing folder", "a folder", "not a database"])
def test_a_bad_sqlite_url_is_one_line_naming_the_url_and_the_cause(
    tmp_path: Path, case: str
) -> None:
    url, cause = sqlite_cases(tmp_path)[case]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(DatabaseUnavailable) as raised:
        Runtime.open(Settings(database_url=url, files_dir=str(tmp_path / "files")))
    assert str(raised.value) == f"cannot open the database {url}: {cause}"
    line = one_line_error(Cli(tmp_path, url)("plans"))
    assert line == f"error: cannot open the database {url}: {cause}"
    assert len(line) > 80  # long enough that a wrapping console would have split it
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_postgres_names_the_url_without_its_password(
    tmp_path: Path, closed_port: int
) -> None:
    url = f"postgresql://planner:s3cret-pw@127.0.0.1:{closed_port}/plans"
    line = one_line_error(Cli(tmp_path, url)("plans"))
    assert line.startswith(
        f"error: cannot open the database postgresql://planner:***@127.0.0.1:{closed_port}/plans: "
    )
    assert "Connection refused" in line
    assert "s3cret-pw" not in line


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that takes connections and never answers, like a server behind a firewall
    that drops packets."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_the_command_line_gives_up_on_a_silent_postgres_in_seconds(
    tmp_path: Path, silent_server: int
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/plans"
    started = time.monotonic()
    line = one_line_error(Cli(tmp_path, url)("plans"))
    took = time.monotonic() - started
    assert line.startswith(f"error: cannot open the database {url}: ")
    assert "timeout" in line
    assert took < 20, f"took {took:.1f} s"  # the event store's own wait is 30 s


def test_a_password_is_never_shown() -> None:
    assert (
        redacted("postgresql://u:pw@h:5432/db?schema=s") == "postgresql://u:***@h:5432/db?schema=s"
    )
    assert redacted("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db"
    assert redacted("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redacted("sqlite:///at.db") == "sqlite:///at.db"


# 3. Refused evidence stores nothing


@pytest.mark.parametrize(
    ("user", "ref", "message"),
    [
        (AUDITOR, "1.1", "(auditor) may not submit evidence for action 1.1"),
        (LEAD, "9.9", "plan 'plan' has no action 9.9"),
    ],
)
def test_refused_evidence_leaves_no_file_behind(
    cli: Cli, tmp_path: Path, user: str, ref: str, message: str
) -> None:
    doc = tmp_path / "minutes.pdf"
    doc.write_bytes(b"%PDF-1.4 minutes of the board")
    before = cli.history()
    line = one_line_error(cli("evidence", "add", "plan", ref, "--file", str(doc), user=user))
    assert message in line
    assert cli.stored_files() == []
    assert cli.history() == before
    cli.ok("evidence", "add", "plan", "1.1", "--file", str(doc), user=LEAD)
    sha = hashlib.sha256(doc.read_bytes()).hexdigest()
    assert cli.stored_files() == [cli.files / sha[:2] / sha]


def test_a_refused_command_keeps_nothing_it_was_given(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    doc = tmp_path / "report.txt"
    doc.write_text("the audit report")
    with pytest.raises(PermissionDenied), files.storing(doc) as stored:
        assert stored.size == len("the audit report")
        raise PermissionDenied("refused")
    with pytest.raises(NotFound), files.storing_bytes("u.txt", b"upload", "text/plain"):
        raise NotFound("refused")
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []


def test_a_file_already_kept_is_never_removed(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "files")
    doc = tmp_path / "report.txt"
    doc.write_text("the audit report")
    kept = files.put_file(doc)
    with pytest.raises(DomainError), files.storing(doc) as again:
        assert again.sha256 == kept.sha256
        raise DomainError("refused")
    assert files.path_for(kept.sha256).read_text() == "the audit report"


def test_a_command_that_fails_otherwise_keeps_the_file(tmp_path: Path) -> None:
    """Its event may have been recorded, and an event must never name a missing file."""
    files = FileStore(tmp_path / "files")
    with pytest.raises(RuntimeError), files.storing_bytes("u.txt", b"upload", "text/plain") as s:
        raise RuntimeError("the read models could not be updated")
    assert files.path_for(s.sha256).read_bytes() == b"upload"


# 4. One line, naming the action


def test_a_long_refusal_is_one_line_when_stderr_is_not_a_terminal(cli: Cli) -> None:
    line = one_line_error(cli("action", "rag", "plan", "1.1", "green", user=ADMIN))
    assert len(line) > 80
    assert line.endswith("may not rate action 1.1: only its leads and accountable officer may")


def test_an_error_is_one_line_whatever_the_message_holds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    output.error("no action 'a\nb\x1b[31m' " + "x" * 200)
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "\x1b" not in err


# 5. JSON with nothing unprintable in it


def test_json_output_escapes_control_and_bidirectional_characters(world: World, cli: Cli) -> None:
    title = "Audit \u202eelif\u202c files\x85 and \x1b[2J"
    world.rt.app.add_action(ADMIN, "plan", action_spec("1.3", title=title))
    out = cli.ok("--format", "json", "show", "plan")
    for raw in ("\u202e", "\u202c", "\x85", "\x1b"):
        assert raw not in out
    assert "\\u202e" in out and "\\u0085" in out and "\\u001b" in out
    doc = json.loads(out)
    assert [a["title"] for a in doc["actions"] if a["ref"] == "1.3"] == [title]


def test_json_output_refuses_what_json_cannot_hold(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidInput, match=r"the value at actions\[1\]\.value is not a finite"):
        output.print_json({"actions": [{"value": 1.0}, {"value": float("nan")}]})
    with pytest.raises(InvalidInput, match=r"at \[0\] is not a finite"):
        output.print_json([float("inf")])
    assert capsys.readouterr().out == ""
    output.print_json({"value": 2.5, "when": date(2009, 6, 1)})
    assert json.loads(capsys.readouterr().out) == {"value": 2.5, "when": "2009-06-01"}


# 6. History of an action the plan does not have


def test_history_of_an_unknown_action_is_refused(cli: Cli) -> None:
    line = one_line_error(cli("--format", "json", "history", "plan", "--action", "99.9"))
    assert line == "error: plan 'plan' has no action 99.9"


# 7-10. Values the domain refuses, as the command line reports them


def test_a_reading_that_is_not_a_number_is_refused(world: World, cli: Cli) -> None:
    world.rt.app.add_action(
        ADMIN, "plan", action_spec("1.4", indicators=[Indicator("reviews", 75.0)])
    )
    before = cli.history()
    for value in ("nan", "inf"):
        line = one_line_error(cli("action", "measure", "plan", "1.4", "reviews", value, user=LEAD))
        assert "a reading of 'reviews' must be a number" in line
    assert cli.history() == before
    cli.ok("action", "measure", "plan", "1.4", "reviews", "80", user=LEAD)
    json.loads(cli.ok("--format", "json", "show", "plan"))


def test_an_effective_date_after_today_is_refused(cli: Cli) -> None:
    before = cli.history()
    day = later_than_today()
    line = one_line_error(cli("action", "complete", "plan", "1.1", "--on", day, user=LEAD))
    assert f"action 1.1: completed on {day}, a date after today" in line
    line = one_line_error(cli("action", "rag", "plan", "1.1", "green", "--on", day, user=LEAD))
    assert f"rated green on {day}, a date after today" in line
    assert cli.history() == before


def test_a_lead_with_a_malformed_email_is_refused(cli: Cli) -> None:
    before = cli.history()
    line = one_line_error(
        cli("action", "add", "plan", "1.8", "--title", "X", "--lead", "Bad <notemail>", user=ADMIN)
    )
    assert line == (
        "error: action 1.8: lead 'Bad' has the email 'notemail', which is not an email address"
    )
    line = one_line_error(
        cli(
            "action",
            "amend",
            "plan",
            "1.1",
            "accountable",
            "Olu <olu@council>",
            "--reason",
            "moved",
            user=LEAD,
        )  # fmt: skip
    )
    assert "accountable officer 'Olu' has the email 'olu@council'" in line
    assert cli.history() == before
    cli.ok("action", "add", "plan", "1.8", "--title", "X", "--lead", "Pat Smith", user=ADMIN)


def test_an_evidence_link_must_be_a_web_address(cli: Cli) -> None:
    before = cli.history()
    line = one_line_error(cli("evidence", "add", "plan", "1.1", "--url", "notalink", user=LEAD))
    assert line == (
        "error: evidence link 'notalink' for action 1.1 is not a web address (http:// or https://)"
    )
    assert cli.history() == before
    cli.ok("evidence", "add", "plan", "1.1", "--url", "https://intranet.example/m.pdf", user=LEAD)
