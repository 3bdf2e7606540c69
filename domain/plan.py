"""The Plan aggregate: what a plan is, how it is grouped, and its closed reporting periods.

Actions and governance items are aggregates of their own, so that two leads updating
two actions never contend for the plan.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import TrailAggregate
from domain.errors import DomainError, InvalidInput
from domain.values import Cadence, RagPolicy, ReminderPolicy

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def plan_id(slug: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"actiontrail:plan:{slug}")


def check_slug(slug: str) -> str:
    if not _SLUG.match(slug):
        raise InvalidInput(
            f"plan slug '{slug}' must be lower-case letters, digits and hyphens (at most 63)"
        )
    return slug


class Group:
    """An outcome heading or a recommendation / improvement area."""

    def __init__(
        self,
        ref: str,
        title: str,
        parent: str | None,
        page: str | None,
        evidence_expected: list[str],
    ) -> None:
        self.ref = ref
        self.title = title
        self.parent = parent
        self.page = page
        self.evidence_expected = list(evidence_expected)


class Plan(TrailAggregate):
    @staticmethod
    def create_id(slug: str, **_: object) -> UUID:
        return plan_id(slug)

    @event("Registered")
    def __init__(
        self,
        slug: str,
        title: str,
        organisation: str | None,
        source: str | None,
        cadence: str,
        boards: list[str],
        agencies: list[str],
        demo: bool,
        actor: str,
    ) -> None:
        self.slug = slug
        self.title = title
        self.organisation = organisation
        self.source = source
        self.cadence = Cadence(cadence)
        self.boards = list(boards)
        self.agencies = list(agencies)
        self.demo = demo
        self.groups: dict[str, Group] = {}
        self.closed_periods: list[str] = []
        self.rag_policy = RagPolicy()
        self.reminder_policy = ReminderPolicy()

    @classmethod
    def register(
        cls,
        slug: str,
        title: str,
        actor: str,
        organisation: str | None = None,
        source: str | None = None,
        cadence: Cadence = Cadence.MONTHLY,
        boards: list[str] | None = None,
        agencies: list[str] | None = None,
        demo: bool = False,
    ) -> Plan:
        check_slug(slug)
        if not title.strip():
            raise InvalidInput(f"plan '{slug}' needs a title")
        return cls(
            slug=slug,
            title=title.strip(),
            organisation=organisation,
            source=source,
            cadence=Cadence(cadence).value,
            boards=list(boards or []),
            agencies=_unique(agencies or []),
            demo=demo,
            actor=actor,
        )

    # Groupings

    def add_group(
        self,
        ref: str,
        title: str,
        actor: str,
        parent: str | None = None,
        page: str | None = None,
        evidence_expected: list[str] | None = None,
    ) -> None:
        self.check_group_is_new(ref)
        if parent is not None:
            self.check_group_exists(parent)
            if self.groups[parent].parent is not None:
                raise InvalidInput(
                    f"group '{ref}' cannot sit under '{parent}': plans group at most two levels"
                )
        if not title.strip():
            raise InvalidInput(f"group '{ref}' needs a title")
        self._add_group(
            ref=ref,
            title=title.strip(),
            parent=parent,
            page=page,
            evidence_expected=list(evidence_expected or []),
            actor=actor,
        )

    @event("GroupAdded")
    def _add_group(
        self,
        ref: str,
        title: str,
        parent: str | None,
        page: str | None,
        evidence_expected: list[str],
        actor: str,
    ) -> None:
        self.groups[ref] = Group(ref, title, parent, page, evidence_expected)

    def check_group_is_new(self, ref: str) -> None:
        if not ref.strip():
            raise InvalidInput("a group needs a reference")
        if ref in self.groups:
            raise DomainError(f"plan '{self.slug}' already has a group '{ref}'")

    def check_group_exists(self, ref: str) -> None:
        if ref not in self.groups:
            raise InvalidInput(f"plan '{self.slug}' has no group '{ref}'")

    # Settings

    def change_policies(
        self,
        actor: str,
        rag: RagPolicy | None = None,
        reminders: ReminderPolicy | None = None,
    ) -> None:
        rag = rag or self.rag_policy
        reminders = reminders or self.reminder_policy
        if rag.display not in ("worse", "reported"):
            raise InvalidInput(f"RAG display '{rag.display}' must be 'worse' or 'reported'")
        if rag.amber_days_before_finish < 0 or rag.milestone_tolerance_days < 0:
            raise InvalidInput("RAG tolerances cannot be negative")
        self._change_policies(rag=asdict(rag), reminders=asdict(reminders), actor=actor)

    @event("PoliciesChanged")
    def _change_policies(self, rag: dict[str, Any], reminders: dict[str, Any], actor: str) -> None:
        self.rag_policy = RagPolicy(**rag)
        self.reminder_policy = ReminderPolicy(**reminders)

    # Reporting periods

    def close_period(
        self,
        period: str,
        actions: list[dict[str, Any]],
        lists: dict[str, list[str]],
        summary: dict[str, Any],
        as_of: date,
        actor: str,
    ) -> None:
        """Freeze what every action showed for the period, so a report of it can be
        produced again, years later, with the same content."""
        self.check_period_is_open(period)
        self._close_period(
            period=period, actions=actions, lists=lists, summary=summary, as_of=as_of, actor=actor
        )

    @event("PeriodClosed")
    def _close_period(
        self,
        period: str,
        actions: list[dict[str, Any]],
        lists: dict[str, list[str]],
        summary: dict[str, Any],
        as_of: date,
        actor: str,
    ) -> None:
        self.closed_periods.append(period)

    def check_period_is_open(self, period: str) -> None:
        if period in self.closed_periods:
            raise DomainError(f"period {period} of plan '{self.slug}' is already closed")


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        v = v.strip()
        if v:
            seen.setdefault(v, None)
    return list(seen)
