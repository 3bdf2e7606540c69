"""Closing a reporting period: freeze what every action showed, as one event."""

from __future__ import annotations

from typing import Any

from domain import clock
from domain.errors import InvalidInput, MalformedValue
from domain.periods import Period
from domain.values import Cadence
from engine.runtime import Runtime
from projections import queries
from projections.dashboard import plan_document
from projections.lists import lists_for

FROZEN_FIELDS = (
    "ref",
    "group",
    "title",
    "status",
    "rag",
    "reported_rag",
    "computed_rag",
    "rag_reasons",
    "exception",
    "direction",
    "previous_rag",
    "progress",
    "risk",
    "plan_start",
    "plan_finish",
    "actual_finish",
    "leads",
    "accountable",
)


class MalformedPeriod(MalformedValue):
    """A period key that is no month or quarter at all: bad usage on the command line
    (exit status 2), bad input everywhere else."""

    def __init__(self, key: str, option: str = "--period") -> None:
        super().__init__(f"'{key}' is not a reporting period (use 2009-08 or 2009-Q3)", option)
        self.key = key


def parse_period(key: str, cadence: Cadence, option: str = "--period") -> Period:
    try:
        period = Period.parse(key)
    except ValueError:
        raise MalformedPeriod(key, option) from None
    if period.cadence is not cadence:
        raise InvalidInput(f"the plan reports {cadence.value}: {key} is not one of its periods")
    return period


def close_period(rt: Runtime, actor: str, slug: str, period_key: str | None) -> dict[str, Any]:
    """Close the period. The RAG frozen is the one shown at the moment of closing, so the
    plan shown as of that moment agrees with what the period recorded. A period still to
    come is refused by the plan."""
    rt.runner.catch_up()
    plan = queries.plan(rt.engine, slug)
    cadence = Cadence(plan["cadence"])
    today = clock.today()
    period = parse_period(period_key, cadence) if period_key else Period.containing(today, cadence)
    actions = queries.actions(rt.engine, plan)
    doc = plan_document(
        plan, actions, queries.items(rt.engine, plan), queries.periods(rt.engine, plan), today
    )
    frozen = [{k: a[k] for k in FROZEN_FIELDS} for a in doc["actions"]]
    lists = lists_for(actions, period)
    rt.app.close_period(actor, slug, period.key, frozen, lists, doc["summary"], today)
    return {"plan": slug, "period": period.key, "actions": len(frozen), "as_of": today.isoformat()}
