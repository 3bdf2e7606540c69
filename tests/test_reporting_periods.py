"""Closing reporting periods, direction of travel and the RAG shown on the dashboard."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.clock import FixedClock
from domain.errors import DomainError, InvalidInput, PermissionDenied
from domain.values import Rag, Status
from engine.closing import close_period
from projections import queries
from tests.conftest import ADMIN, LEAD, LEAD2, SECRETARY, World


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


def test_a_period_closes_once(world: World) -> None:
    close_period(world.rt, SECRETARY, "plan", "2009-06")
    with pytest.raises(DomainError, match="period 2009-06 of plan 'plan' is already closed"):
        close_period(world.rt, SECRETARY, "plan", "2009-06")


def test_only_secretary_or_admin_closes_periods(world: World) -> None:
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
