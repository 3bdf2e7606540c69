"""Closing reporting periods, direction of travel and the RAG shown on the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.clock import FixedClock
from domain.errors import DomainError, InvalidInput, PermissionDenied
from domain.values import Cadence, Rag, Status
from engine.plans.closing import close_period
from projections import queries
from tests.conftest import ADMIN, LEAD, LEAD2, SECRETARY, World
from tests.test_cli import Cli


def document(world: World, today: date) -> dict:  # type: ignore[type-arg]
    e = world.rt.engine
    return queries.document(e, queries.plan(e, "plan"), today)


def action(doc: dict, ref: str) -> dict:  # type: ignore[type-arg]
    return next(a for a in doc["actions"] if a["ref"] == ref)


def test_closing_freezes_what_each_action_showed(world: World, clock: FixedClock) -> None:
    world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="late start")
    clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
    result = close_period(world.rt, SECRETARY, "plan", "2009-06")
    assert result["period"] == "2009-06"
    period = queries.period(world.rt.engine, queries.plan(world.rt.engine, "plan"), "2009-06")
    frozen = {a["ref"]: a for a in period["actions"]}
    assert frozen["1.1"]["reported_rag"] == "amber"
    assert frozen["1.1"]["rag"] == "amber"  # 31 May milestone missed, within 30 days
    # Later changes do not alter what the period recorded.
    world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    again = queries.period(world.rt.engine, queries.plan(world.rt.engine, "plan"), "2009-06")
    assert again["actions"] == period["actions"]


def test_a_period_closes_once(world: World, clock: FixedClock) -> None:
    clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
    close_period(world.rt, SECRETARY, "plan", "2009-06")
    with pytest.raises(DomainError, match="period 2009-06 of plan 'plan' is already closed"):
        close_period(world.rt, SECRETARY, "plan", "2009-06")


def test_only_secretary_or_admin_closes_periods(world: World, clock: FixedClock) -> None:
    clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
    with pytest.raises(PermissionDenied):
        close_period(world.rt, LEAD, "plan", "2009-06")
    close_period(world.rt, ADMIN, "plan", "2009-06")


def test_a_period_must_match_the_plans_cadence(world: World) -> None:
    with pytest.raises(InvalidInput, match="2009-Q2 is not one of its periods"):
        close_period(world.rt, SECRETARY, "plan", "2009-Q2")
    with pytest.raises(InvalidInput, match="'June' is not a reporting period"):
        close_period(world.rt, SECRETARY, "plan", "June")


def test_direction_of_travel_compares_with_the_last_closed_period(
    world: World, clock: FixedClock
) -> None:
    app = world.rt.app
    app.achieve_milestone(LEAD, "plan", "1.1", 1, date(2009, 5, 30))
    app.assess_rag(LEAD, "plan", "1.1", Rag.AMBER, reason="staffing")
    app.achieve_milestone(LEAD2, "plan", "1.2", 1, date(2009, 5, 30))
    clock.set(datetime(2009, 6, 30, 17, tzinfo=UTC))
    close_period(world.rt, SECRETARY, "plan", "2009-06")
    clock.set(datetime(2009, 7, 10, 9, tzinfo=UTC))
    app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    app.assess_rag(LEAD2, "plan", "1.2", Rag.RED, reason="no budget")
    doc = document(world, date(2009, 7, 10))
    assert doc["previous_period"] == "2009-06"
    assert (action(doc, "1.1")["previous_rag"], action(doc, "1.1")["direction"]) == ("amber", "up")
    assert (action(doc, "1.2")["previous_rag"], action(doc, "1.2")["direction"]) == (
        "green",
        "down",
    )


def test_shown_rag_is_the_worse_of_reported_and_computed(world: World) -> None:
    world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    doc = document(world, date(2009, 6, 15))  # the 31 May milestone is missed
    a = action(doc, "1.1")
    assert (a["reported_rag"], a["computed_rag"], a["rag"]) == ("green", "amber", "amber")
    assert a["exception"].startswith("reported Green; computed Amber")
    assert doc["summary"]["exceptions"] == 1


def test_the_plan_can_show_the_reported_rag_instead(world: World) -> None:
    from domain.values import RagPolicy

    plan = world.rt.app.plan("plan")
    plan.change_policies(ADMIN, rag=RagPolicy(display="reported"))
    world.rt.app.record(plan)
    world.rt.app.assess_rag(LEAD, "plan", "1.1", Rag.GREEN)
    assert action(document(world, date(2009, 6, 15)), "1.1")["rag"] == "green"


def test_deferred_actions_drop_out_of_the_roll_up(world: World) -> None:
    world.rt.app.change_status(LEAD, "plan", "1.1", Status.DEFERRED, reason="budget")
    doc = document(world, date(2009, 6, 15))
    assert doc["summary"]["actions"] == 1
    assert doc["summary"]["deferred"] == 1
    assert action(doc, "1.1")["rag"] is None


def test_overdue_is_counted_the_day_after_plan_finish(world: World) -> None:
    assert document(world, date(2009, 9, 30))["summary"]["overdue"] == 0
    assert document(world, date(2009, 10, 1))["summary"]["overdue"] == 2


def test_a_period_still_to_come_cannot_be_closed(world: World, clock: FixedClock) -> None:
    # The clock stands at 1 June 2009: June may close (early), July may not.
    with pytest.raises(
        DomainError,
        match=r"period 2009-07 of plan 'plan' has not begun: it starts 2009-07-01 and today "
        r"is 2009-06-01",
    ):
        close_period(world.rt, SECRETARY, "plan", "2009-07")
    assert queries.periods(world.rt.engine, queries.plan(world.rt.engine, "plan")) == []
    close_period(world.rt, SECRETARY, "plan", "2009-06", early=True, reason="board meets 2 June")
    clock.set(datetime(2009, 7, 1, 9, tzinfo=UTC))
    close_period(world.rt, SECRETARY, "plan", "2009-07", early=True, reason="board meets 2 July")


def test_a_quarter_still_to_come_cannot_be_closed(world: World) -> None:
    world.rt.app.create_plan(ADMIN, "quarterly", "Quarterly plan", cadence=Cadence.QUARTERLY)
    with pytest.raises(DomainError, match="period 2009-Q3 of plan 'quarterly' has not begun"):
        close_period(world.rt, SECRETARY, "quarterly", "2009-Q3")
    close_period(world.rt, SECRETARY, "quarterly", "2009-Q2", early=True, reason="board date")


def cli_plan(tmp_path: Path, db_url: str) -> Cli:
    c = Cli(tmp_path, db_url)
    c.ok("users", "add", ADMIN, "--name", "Ada", "--role", "admin")
    c.ok("plan", "create", "p", "--title", "Plan", user=ADMIN)
    return c


@pytest.mark.persistence
@pytest.mark.parametrize("key", ["2026-13", "2026-00", "2026-Q5", "May 2026", "2026-5"])
def test_a_malformed_period_is_a_usage_error(tmp_path: Path, db_url: str, key: str) -> None:
    c = cli_plan(tmp_path, db_url)
    r = c("period", "close", "p", "--period", key, user=ADMIN)
    assert r.returncode == 2, r.stderr
    assert f"'{key}' is not a reporting period" in " ".join((r.stderr + r.stdout).split())
    assert c.json("period", "list", "p") == []


@pytest.mark.persistence
def test_closing_a_future_period_on_the_command_line_exits_1(tmp_path: Path, db_url: str) -> None:
    # The command line runs on the system clock: next year's January is still to come.
    today = date.today()
    key = f"{today.year + 1}-01"
    c = cli_plan(tmp_path, db_url)
    r = c("period", "close", "p", "--period", key, user=ADMIN)
    assert r.returncode == 1, r.stderr
    assert f"period {key} of plan 'p' has not begun: it starts {today.year + 1}-01-01" in r.stderr
    assert "Traceback" not in r.stderr
    assert c.json("period", "list", "p") == []
