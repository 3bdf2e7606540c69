"""The history an auditor reads: every event of the plan, whatever its kind, and what
people wrote shown as text in the table, JSON and CSV alike."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from domain.ids import plan_id
from domain.safe_text import csv_cell, json_text
from domain.values import Rag
from engine.audit.verify import verify_store
from projections import queries
from tests.conftest import LEAD, NHS, POLICE, SECRETARY, World
from tests.test_audit_tools import Cli

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence

NARRATIVE = (
    "[bold red]urgent[/] \x1b[2J\x1b]0;owned\x07 \x9b31m C1 \u202eevil\u202c \x7f "
    "line\u2028separator \r\n second line " + "x" * 5000
)
REASON = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture
def cli(world: World, tmp_path: Path) -> Cli:
    app = world.rt.app
    app.report_progress(LEAD, "plan", "1.1", "2009-06", NARRATIVE)
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason=REASON)
    app.open_item(SECRETARY, "plan", "policy", "Policy", ["NHS Trust", "Police"], "p.pdf", "a" * 64)
    app.decide_item(NHS, "plan", "policy", "NHS Trust", True, "Trust Board", date(2009, 6, 1))
    app.decide_item(POLICE, "plan", "policy", "Police", True, "Command", date(2009, 6, 1))
    app.sign_off(SECRETARY, "plan", "policy", "Safeguarding Board", date(2009, 6, 1), "M/1")
    return Cli(tmp_path, world.rt.db.url)


def unprintable(text: str) -> set[str]:
    return {ch for ch in text if not ch.isprintable() and ch not in "\n"}


def test_history_has_every_event_of_the_plan_whatever_its_kind(cli: Cli, world: World) -> None:
    rows = cli.json("history", "plan")
    kinds = [r["kind"] for r in rows]
    assert "GovernanceItem.SignedOff" in kinds
    result = verify_store(world.rt.app, plan_id("plan"))
    assert result.plan is not None and len(rows) == result.plan.events


def test_the_table_shows_markup_and_control_characters_as_text(cli: Cli) -> None:
    out = cli.ok("history", "plan", "--action", "1.1")
    assert "red]urgent[/]" in out  # the markup, as written
    assert unprintable(out) == set()
    assert max(len(line) for line in out.splitlines()) <= 200


def test_json_keeps_exactly_what_was_written_and_nothing_unprintable(cli: Cli) -> None:
    r = cli("history", "plan", "--action", "1.1", "--format", "json")
    assert unprintable(r.stdout) == set()
    rows = json.loads(r.stdout)
    assert [r["data"]["narrative"] for r in rows if "narrative" in r["data"]] == [NARRATIVE]
    assert REASON in [r["reason"] for r in rows]


def test_csv_is_well_formed_text_that_runs_nothing(cli: Cli) -> None:
    r = cli("history", "plan", "--action", "1.1", "--format", "csv")
    assert unprintable(r.stdout.replace("\r\n", "\n")) == set()
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0][0] == "seq" and len(rows) == 1 + len(
        cli.json("history", "plan", "--action", "1.1")
    )
    assert all(len(row) == 8 for row in rows)
    (rated,) = [row for row in rows if row[4] == "Action.RagAssessed"]
    assert rated[7] == "'" + REASON
    (reported,) = [row for row in rows if row[4] == "Action.ProgressReported"]
    assert json.loads(reported[6])["narrative"] == NARRATIVE


def test_safe_text_rules() -> None:
    assert json.loads(json_text({"a": "\x1b\x9b\u202e\U000e0001 ok"})) == {
        "a": "\x1b\x9b\u202e\U000e0001 ok"
    }
    assert unprintable(json_text({"a": "\x1b\x9b\u202e\U000e0001"})) == set()
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-1+2") == "'-1+2"
    assert csv_cell("fine\nlines") == "fine\nlines"
    assert csv_cell("\x1b[31m") == "\\u001b[31m"
    assert csv_cell(None) == ""


def test_the_history_read_model_lists_the_same_events_as_the_json(cli: Cli, world: World) -> None:
    view = queries.plan(world.rt.engine, "plan")
    assert [r["seq"] for r in queries.history_rows(world.rt.engine, view)] == [
        r["seq"] for r in cli.json("history", "plan")
    ]
