"""Value objects shared by the aggregates, projections and importers."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any, Self


class Rag(StrEnum):
    """A RAG rating. Leads report red, amber or green; the rest are computed."""

    GREY = "grey"  # not due to commence
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    COMPLETE = "complete"  # completed, awaiting verification
    BLUE = "blue"  # completed and success criteria met

    @property
    def rank(self) -> int | None:
        """Order used for direction of travel and "worse of": Red < Amber < Green < Blue."""
        return _RANK.get(self)


_RANK = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.COMPLETE: 2, Rag.BLUE: 3}

REPORTABLE_RAGS = (Rag.RED, Rag.AMBER, Rag.GREEN)


class Status(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"  # awaiting verification
    VERIFIED = "verified"  # completed and criteria met
    DEFERRED = "deferred"
    CANCELLED = "cancelled"

    @property
    def is_closed(self) -> bool:
        """Closed actions get no reminders and cannot be updated further."""
        return self in (Status.COMPLETED, Status.VERIFIED, Status.DEFERRED, Status.CANCELLED)


class Cadence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class Recurrence(StrEnum):
    """Work with no single finish date ("Quarterly", "Ongoing")."""

    ONGOING = "ongoing"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"


class Direction(StrEnum):
    """Which way an indicator should move."""

    HIGHER = "higher"
    LOWER = "lower"


class Immutable:
    """A value whose fields are all immutable: a copy, however deep, would be equal to it
    and could never come to differ, so copying returns the value itself. Aggregates are
    deep-copied from the repository's cache for every command, and they hold many."""

    def __copy__(self) -> Self:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self

    def as_dict(self) -> dict[str, Any]:
        """Its fields by name: what ``dataclasses.asdict`` gives for fields of immutable
        values, without its deep copy of each (the views write one per lead and
        indicator of every action)."""
        names = _FIELD_NAMES.get(type(self))
        if names is None:
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self))  # type: ignore[arg-type]
        return {name: getattr(self, name) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True)
class Person(Immutable):
    """A lead or accountable officer as the plan names them; email may be unknown."""

    name: str
    email: str | None = None
    agency: str | None = None
    title: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self.as_dict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Person:
        return cls(
            name=data["name"],
            email=(data.get("email") or None),
            agency=data.get("agency") or None,
            title=data.get("title") or None,
        )

    @property
    def key(self) -> str:
        """Identity used to match the same person across updates."""
        return (self.email or self.name).strip().lower()


@dataclass(frozen=True)
class Criterion(Immutable):
    """A success criterion or stage, with its own target date where the plan gives one."""

    text: str
    due: date | None = None


@dataclass(frozen=True)
class Indicator(Immutable):
    """A measurable target, e.g. "75%+ of reviews" or "fewer than 5%".

    ``red_threshold`` is the value beyond which a reading is red; when absent the
    plan's indicator tolerance decides.
    """

    name: str
    target: float
    unit: str = "%"
    direction: Direction = Direction.HIGHER
    baseline: float | None = None
    red_threshold: float | None = None


@dataclass(frozen=True)
class RagPolicy(Immutable):
    """Per-plan tolerances for the computed RAG. Defaults follow common UK practice."""

    amber_days_before_finish: int = 14
    milestone_tolerance_days: int = 30
    indicator_tolerance_pct: float = 10.0
    display: str = "worse"  # "worse" of reported and computed, or "reported"


@dataclass
class ReminderPolicy:
    """Per-plan reminder ladder; see notifiers for how it is applied."""

    lead_times_working_days: list[int] = field(default_factory=lambda: [14, 3, 0])
    overdue_every_days: int = 7
    escalate_after_days: int = 14
    period_request_working_days: int = 5
    governance_chase_every_days: int = 7
    digest_hour: int = 8


# How a tentative date is shown beside it, and written back to a sheet.
TENTATIVE_MARK = "(tbc)"


def with_tentative_mark(shown: str, tentative: bool | None) -> str:
    """A date as shown, with "(tbc)" after it when it may still move."""
    return f"{shown} {TENTATIVE_MARK}" if shown and tentative else shown
