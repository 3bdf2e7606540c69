"""The plan as a board reads it, through the service layer: each indicator reading rated by
the same thresholds as the action's RAG, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.values import Direction, Indicator
from engine.runtime import Runtime
from projections import queries
from tests.conftest import ADMIN, LEAD, action_spec, people

REVIEWS = Indicator("reviews", 75.0, red_threshold=60.0)
WAITS = Indicator("waits", 5.0, direction=Direction.LOWER)


def shown(rt: Runtime, ref: str) -> dict[str, Any]:
    doc = queries.document(rt.engine, queries.plan(rt.engine, "plan"), date(2009, 6, 1))
    return next(a for a in doc["actions"] if a["ref"] == ref)


@pytest.mark.parametrize(
    ("indicator", "value", "rag"),
    [
        (REVIEWS, 76.0, "green"),  # target met
        (REVIEWS, 75.0, "green"),  # exactly on target
        (REVIEWS, 70.0, "amber"),  # short, within the red threshold
        (REVIEWS, 60.0, "amber"),  # on the red threshold
        (REVIEWS, 59.0, "red"),  # beyond it
        (WAITS, 4.0, "green"),  # fewer than 5
        (WAITS, 5.4, "amber"),  # within the plan's 10% tolerance
        (WAITS, 6.0, "red"),
    ],
)
def test_each_reading_has_its_own_rag(
    rt: Runtime, indicator: Indicator, value: float, rag: str
) -> None:
    people(rt)
    rt.app.create_plan(ADMIN, "plan", "Plan")
    rt.app.add_group(ADMIN, "plan", "1", "Recommendation 1")
    rt.app.add_action(ADMIN, "plan", action_spec("1.1", indicators=[indicator]))
    rt.app.measure_indicator(LEAD, "plan", "1.1", indicator.name, value, date(2009, 5, 20))

    reading = shown(rt, "1.1")["readings"][indicator.name]
    assert reading == {"value": value, "measured_on": "2009-05-20", "rag": rag}


def test_the_demo_shows_reported_and_computed_rag_an_exception_and_the_matrix(
    rt: Runtime,
) -> None:
    from engine.demo import load_demo

    slug = load_demo(rt).slug
    rt.runner.catch_up()
    doc = queries.document(rt.engine, queries.plan(rt.engine, slug), date(2009, 8, 31))
    actions = {a["ref"]: a for a in doc["actions"]}
    assert all(a["computed_rag"] for a in actions.values())
    assert sum(1 for a in actions.values() if a["reported_rag"]) >= 20
    # 7.2: the lead says amber, but its plan finish has passed and it is not complete.
    assert (actions["7.2"]["reported_rag"], actions["7.2"]["computed_rag"]) == ("amber", "red")
    assert actions["7.2"]["exception"].startswith("reported Amber; computed Red")
    assert doc["summary"]["exceptions"] >= 1
    [item] = doc["governance"]
    states = {c["agency"]: c["state"] for c in item["agencies"]}
    assert {"approved", "pending"} <= set(states.values())
    assert item["ready_for_signoff"] is False and item["signed_off"] is None
