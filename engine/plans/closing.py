"""Closing a reporting period from the command line and the web: the period named, and the
plan read from the event record for the application service to freeze."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain import clock
from domain.errors import InvalidInput, MalformedValue
from domain.periods import Period
from domain.values import Cadence
from engine.runtime import Runtime
from engine.service.application import FROZEN_FIELDS
from projections import queries
from projections.dashboard import plan_document

__all__ = ["FROZEN_FIELDS", "MalformedPeriod", "RecordedPlan", "close_period", "parse_period"]


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


class RecordedPlan:
    """A plan as the event record holds it for a day (engine.audit.as_of), shown by the
    dashboard's own rules with the RAG computed for that day."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def at_day(self, slug: str, day: date) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        from engine.audit.as_of import views_for_period_end

        plan, actions = views_for_period_end(self.rt, slug, day)
        periods = queries.periods(self.rt.engine, queries.plan(self.rt.engine, slug))
        return plan_document(plan, actions, [], periods, day), actions


def close_period(
    rt: Runtime,
    actor: str,
    slug: str,
    period_key: str | None,
    early: bool = False,
    reason: str | None = None,
) -> dict[str, Any]:
    """Close the period named, or the one today falls in."""
    rt.catch_up()
    cadence = Cadence(queries.plan(rt.engine, slug)["cadence"])
    period = parse_period(period_key, cadence) if period_key else None
    key = period.key if period else Period.containing(clock.today(), cadence).key
    return rt.app.close_reporting_period(
        actor, slug, key, RecordedPlan(rt), early=early, reason=reason
    )
