"""Actions with nothing to go on: an open action without a lead, an accountable officer,
or a finish or recurrence "needs set-up": never counted green, labelled SET-UP where its
RAG would say nothing is wrong, counted in the summary, listed by `show` and by
`reminders preview`. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.values import Person, Recurrence, Status
from projections import queries
from projections.dashboard import setup_label
from projections.setup import plan_setup
from tests.cli import Cli
from tests.conftest import ADMIN, LEAD, OFFICER, World
from tests.conftest import action_spec as spec

TODAY = date(2009, 6, 1)


@pytest.fixture
def gaps(world: World) -> World:
    app = world.rt.app

    def action_spec(ref: str, **kw: Any) -> Any:
        return spec(ref, success_criteria=[], **kw)  # no milestone to turn it amber

    app.add_action(ADMIN, "plan", action_spec("2.1", leads=[]))
    app.add_action(ADMIN, "plan", action_spec("2.2", accountable=None))
    app.add_action(ADMIN, "plan", action_spec("2.3", plan_finish=None))
    app.add_action(
        ADMIN, "plan", action_spec("2.4", plan_finish=None, recurrence=Recurrence.ONGOING)
    )
    app.add_action(ADMIN, "plan", action_spec("2.5", leads=[], plan_finish=date(2009, 3, 31)))
    app.add_action(ADMIN, "plan", action_spec("2.6", leads=[]))
    app.change_status(OFFICER, "plan", "2.6", Status.CANCELLED, reason="dropped")
    return world


def document(world: World) -> dict[str, Any]:
    world.rt.runner.catch_up()
    return queries.document(world.rt.engine, queries.plan(world.rt.engine, "plan"), TODAY)


def test_each_missing_part_is_named_and_closed_actions_need_nothing(gaps: World) -> None:
    by_ref = {a["ref"]: a for a in document(gaps)["actions"]}
    assert {ref: a["needs_setup"] for ref, a in by_ref.items()} == {
        "1.1": [],
        "1.2": [],
        "2.1": ["lead"],
        "2.2": ["accountable officer"],
        "2.3": ["finish or recurrence"],
        "2.4": [],  # a recurrence is enough
        "2.5": ["lead"],
        "2.6": [],  # cancelled
    }


def test_set_up_is_shown_where_rag_would_be_green_and_not_counted_green(gaps: World) -> None:
    doc = document(gaps)
    by_ref = {a["ref"]: a for a in doc["actions"]}
    # The computed RAG is kept; only what is shown changes.
    assert by_ref["2.1"]["rag"] == "green" and setup_label(by_ref["2.1"]) == "SET-UP"
    # Overdue and red says more than "set-up": it stays red.
    assert by_ref["2.5"]["rag"] == "red" and setup_label(by_ref["2.5"]) is None
    assert setup_label(by_ref["1.1"]) is None
    s = doc["summary"]
    assert s["needs_setup"] == 4
    # 1.1 and 1.2 are amber (a milestone missed); 2.4 is green; 2.1, 2.2, 2.3 are not.
    assert s["by_rag"]["green"] == 1
    assert s["by_rag"]["red"] == 1


def test_set_up_list_shrinks_as_people_are_assigned(gaps: World) -> None:
    app = gaps.rt.app
    gaps.rt.runner.catch_up()
    view = queries.plan(gaps.rt.engine, "plan")
    assert [r["ref"] for r in plan_setup(gaps.rt.engine, view)] == ["2.1", "2.2", "2.3", "2.5"]
    app.amend_action(ADMIN, "plan", "2.1", "leads", [Person("Lee", LEAD)], "assigned")
    app.amend_action(ADMIN, "plan", "2.2", "accountable", Person("Olu", OFFICER), "assigned")
    gaps.rt.runner.catch_up()
    assert [r["ref"] for r in plan_setup(gaps.rt.engine, view)] == ["2.3", "2.5"]
    assert document(gaps)["summary"]["needs_setup"] == 2


@pytest.mark.persistence
def test_show_and_reminders_preview_list_them(gaps: World, db_url: str, tmp_path: Path) -> None:
    app = gaps.rt.app
    app.add_plan_owner(ADMIN, "plan", OFFICER)
    cli = Cli(tmp_path, db_url)
    out = cli.ok("show", "plan")
    assert "4 need set-up" in out
    assert "SET-UP" in out
    assert "2.1: no lead" in out and "2.3: no finish or recurrence" in out
    data = cli.json("reminders", "preview", "--on", "2009-06-01")
    rows = {r["ref"]: r for r in data["needs_setup"]}
    assert sorted(rows) == ["2.1", "2.2", "2.3", "2.5"]
    assert rows["2.2"]["missing"] == ["accountable officer"]
    assert rows["2.2"]["set_up_by"] == [OFFICER]
    text = cli.ok("reminders", "preview", "--on", "2009-06-01")
    assert "Needs set-up" in text
