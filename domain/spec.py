"""A whole plan described as plain data: what `plan load` reads and importers produce.

The engine records a PlanSpec as one unit (all events or none), so a plan file and a
spreadsheet import share one path into the event store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from domain.values import Cadence, Criterion, Indicator, Person, Rag, Recurrence, Status


@dataclass
class GroupSpec:
    """An outcome heading (level 1) or a recommendation / improvement area (level 2)."""

    ref: str
    title: str
    parent: str | None = None  # ref of the outcome heading this area sits under
    page: str | None = None  # page of the inspection report
    evidence_expected: list[str] = field(default_factory=list)


@dataclass
class ActionSpec:
    ref: str
    title: str
    group: str | None = None
    aim: str | None = None
    leads: list[Person] = field(default_factory=list)
    accountable: Person | None = None
    plan_start: date | None = None
    plan_finish: date | None = None
    plan_finish_tentative: bool = False  # "(tbc)", "provisional": the finish may move
    actual_finish: date | None = None
    recurrence: Recurrence | None = None
    timescale: str | None = None  # the plan's own words, kept when they are not one date
    success_criteria: list[Criterion] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    evidence_expected: list[str] = field(default_factory=list)
    cross_refs: list[str] = field(default_factory=list)
    status: Status | None = None
    rag: Rag | None = None
    rag_reason: str | None = None
    last_rag: Rag | None = None
    progress: str | None = None
    risk: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class GovernanceSpec:
    key: str
    title: str
    document: str  # the document's text or a stable reference; its SHA-256 is the version
    agencies: list[str] = field(default_factory=list)


@dataclass
class PlanSpec:
    slug: str
    title: str
    organisation: str | None = None
    source: str | None = None
    cadence: Cadence = Cadence.MONTHLY
    boards: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    groups: list[GroupSpec] = field(default_factory=list)
    actions: list[ActionSpec] = field(default_factory=list)
    governance: list[GovernanceSpec] = field(default_factory=list)
