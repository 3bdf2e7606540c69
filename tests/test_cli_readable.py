"""History, diff and previews show values as people read them, never Python's reprs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from engine.cli.render import readable, summarise
from tests.cli import Cli

ADMIN = "admin@c.example"


def test_people_dates_and_lists() -> None:
    mary = {"name": "Mary Lyons", "email": "mary@nhs.example", "agency": "NHS Leeds"}
    assert readable(mary) == "Mary Lyons (NHS Leeds)"
    assert readable({"name": "Ann", "email": None, "agency": None, "title": None}) == "Ann"
    assert readable([mary, {"name": "Ann", "agency": None}]) == "Mary Lyons (NHS Leeds); Ann"
    assert readable(["Council", "NHS Leeds"]) == "Council, NHS Leeds"
    assert readable([]) == "none"
    assert readable("2009-06-30") == "2009-06-30"
    assert readable("2009-06-30T00:00:00+00:00") == "2009-06-30"
    assert readable("2009-06-30T10:15:09.123+00:00") == "2009-06-30 10:15"
    assert readable(date(2009, 6, 30)) == "2009-06-30"
    assert readable({"text": "Audit done", "due": "2009-03-01"}) == "Audit done (by 2009-03-01)"
    assert readable({"by_rag": {"red": 1, "green": 2}, "actions": 3}) == (
        "by_rag: (red: 1, green: 2), actions: 3"
    )
    assert readable(68.0) == "68" and readable(True) == "yes" and readable(None) == "-"


def test_a_summary_has_no_python_text() -> None:
    text = summarise(
        {
            "field": "leads",
            "new": [{"name": "Mary Lyons", "email": "m@x.example", "agency": "NHS Leeds"}],
            "old": [],
            "plan_id": "03b7ab45",
        }
    )
    assert text == "field=leads, new=Mary Lyons (NHS Leeds)"


def test_history_and_diff_show_people_readably(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'at.db'}", columns=400)
    cli.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin", "--role", "lead")
    cli.ok("plan", "create", "p", "--title", "Plan", "--as", ADMIN)
    cli.ok("action", "add", "p", "1.1", "--title", "Audit", "--lead", ADMIN, "--as", ADMIN)
    cli.ok("action", "amend", "p", "1.1", "leads", "Mary Lyons <mary@nhs.example> (NHS Leeds)",
           "--reason", "new lead", "--as", ADMIN)
    history = cli.ok("history", "p", "--action", "1.1")
    assert "Mary Lyons (NHS Leeds)" in history
    for python_text in ("{'", "'name'", "None", "[{"):
        assert python_text not in history, history
    diff = cli.ok("diff", "p", "--from", "2000-01-01")
    assert "Mary Lyons" in diff
    assert "amber_days_before_finish: 14" in diff  # a policy: key: value pairs
    for python_text in ("{'", "'name'", "name=", "[{"):
        assert python_text not in diff, diff
