"""The Plan aggregate: what a plan is, how it is grouped, and its closed reporting periods.

Actions and governance items are aggregates of their own, so that two leads updating
two actions never contend for the plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from domain import clock
from domain.base import TrailAggregate
from domain.errors import DomainError, InvalidInput, NotFound
from domain.ids import plan_id
from domain.periods import Period
from domain.spec import PlanSpec
from domain.values import Cadence, RagPolicy, ReminderPolicy

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


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
    # The events, declared so that readers (the read models) dispatch on them with types.
    # A stored event is a contract: see docs/events.md before changing one.
    class Registered(TrailAggregate.Created):
        class_version = 1
        slug: str
        title: str
        organisation: str | None
        source: str | None
        cadence: str
        boards: list[str]
        agencies: list[str]
        demo: bool
        actor: str

    class GroupAdded(TrailAggregate.Event):
        class_version = 1
        ref: str
        title: str
        parent: str | None
        page: str | None
        evidence_expected: list[str]
        actor: str

    class PoliciesChanged(TrailAggregate.Event):
        class_version = 1
        rag: dict[str, Any]
        reminders: dict[str, Any]
        actor: str
        reason: str | None = None

    class PeriodClosed(TrailAggregate.Event):
        class_version = 1
        period: str
        actions: list[dict[str, Any]]
        lists: dict[str, list[str]]
        summary: dict[str, Any]
        as_of: date
        actor: str

    # Closing rules and the period's narrative: added after the events above.
    class PeriodClosedEarly(TrailAggregate.Event):
        class_version = 1
        period: str
        actions: list[dict[str, Any]]
        lists: dict[str, list[str]]
        summary: dict[str, Any]
        as_of: date
        reason: str
        actor: str

    class PeriodReopened(TrailAggregate.Event):
        class_version = 1
        period: str
        reason: str
        actor: str

    class PeriodReclosed(TrailAggregate.Event):
        class_version = 1
        period: str
        actions: list[dict[str, Any]]
        lists: dict[str, list[str]]
        summary: dict[str, Any]
        as_of: date
        early: bool
        reason: str | None
        actor: str

    class NarrativeRecorded(TrailAggregate.Event):
        class_version = 1
        period: str
        overview: str | None
        risks: str | None
        issues: str | None
        actor: str

    @staticmethod
    def create_id(slug: str, **_: object) -> UUID:
        return plan_id(slug)

    @event(Registered)
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
        self.reopened_periods: list[str] = []
        self.narratives: dict[str, dict[str, str | None]] = {}
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

    @classmethod
    def from_spec(cls, spec: PlanSpec, actor: str, demo: bool = False) -> Plan:
        """The plan a plan file or an imported sheet describes, without its groups."""
        return cls.register(
            spec.slug,
            spec.title,
            actor=actor,
            organisation=spec.organisation,
            source=spec.source,
            cadence=spec.cadence,
            boards=spec.boards,
            agencies=spec.agencies,
            demo=demo,
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

    @event(GroupAdded)
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

    # Policies

    def change_policies(
        self,
        actor: str,
        rag: RagPolicy | None = None,
        reminders: ReminderPolicy | None = None,
        reason: str | None = None,
    ) -> None:
        """Replace the plan's RAG and reminder policies; the new ones apply at once."""
        rag = rag or self.rag_policy
        reminders = reminders or self.reminder_policy
        check_rag_policy(rag)
        check_reminder_policy(reminders)
        self.check_policies_change(rag, reminders)
        self._change_policies(
            rag=asdict(rag), reminders=asdict(reminders), actor=actor, reason=reason
        )

    @event(PoliciesChanged)
    def _change_policies(
        self, rag: dict[str, Any], reminders: dict[str, Any], actor: str, reason: str | None = None
    ) -> None:
        self.rag_policy = RagPolicy(**rag)
        self.reminder_policy = ReminderPolicy(**reminders)

    def policies_with(
        self, rag: Mapping[str, Any] | None = None, reminders: Mapping[str, Any] | None = None
    ) -> tuple[RagPolicy, ReminderPolicy]:
        """The plan's policies with the named settings changed; the rest stay as they are."""
        return (
            revised_policy(self.rag_policy, rag or {}, RAG_SETTINGS),
            revised_policy(self.reminder_policy, reminders or {}, REMINDER_SETTINGS),
        )

    def check_policy_reason(self, reason: str | None) -> None:
        if not (reason and reason.strip()):
            raise InvalidInput(f"changing the policies of plan '{self.slug}' needs a reason")

    def check_policies_change(self, rag: RagPolicy, reminders: ReminderPolicy) -> None:
        if rag == self.rag_policy and reminders == self.reminder_policy:
            raise DomainError(f"plan '{self.slug}' already has these policies: nothing to change")

    # Reporting periods

    @event(PeriodClosed)
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

    def check_period_has_begun(self, period: str) -> None:
        """A period may close early (at the end of its last working day, say), but a
        period still to come cannot: what it would freeze has not happened yet."""
        try:
            start = Period.parse(period).start
        except ValueError as e:
            raise InvalidInput(str(e)) from None
        today = clock.today()
        if start > today:
            raise DomainError(
                f"period {period} of plan '{self.slug}' has not begun: it starts "
                f"{start.isoformat()} and today is {today.isoformat()}"
            )

    # Closing rules: from the last day on, early only with a reason; reopening

    def close(
        self,
        period: str,
        actions: list[dict[str, Any]],
        lists: dict[str, list[str]],
        summary: dict[str, Any],
        as_of: date,
        actor: str,
        early: bool = False,
        reason: str | None = None,
    ) -> None:
        """Close a period as its board expects: on or after its last day, or before it
        only when asked to close early, with a reason. A period reopened is closed again
        with a PeriodReclosed, so its history shows both closes."""
        self.check_closable(period, early, reason)
        reason = reason.strip() if reason and reason.strip() else None
        if period in self.reopened_periods:
            self._reclose(
                period=period, actions=actions, lists=lists, summary=summary, as_of=as_of,
                early=early, reason=reason, actor=actor,
            )  # fmt: skip
        elif early:
            assert reason is not None
            self._close_early(
                period=period, actions=actions, lists=lists, summary=summary, as_of=as_of,
                reason=reason, actor=actor,
            )  # fmt: skip
        else:
            self._close_period(
                period=period, actions=actions, lists=lists, summary=summary, as_of=as_of,
                actor=actor,
            )  # fmt: skip

    def check_closable(self, period: str, early: bool = False, reason: str | None = None) -> None:
        """Everything closing checks before anything is worked out for the period."""
        self.check_period_is_open(period)
        self.check_period_has_begun(period)
        last_day = Period.parse(period).end
        today = clock.today()
        if today < last_day and not early:
            raise DomainError(
                f"period {period} of plan '{self.slug}' runs to {last_day.isoformat()} and "
                f"today is {today.isoformat()}: closing it before its last day needs "
                "--early and a reason"
            )
        if early and today >= last_day:
            raise InvalidInput(
                f"period {period} of plan '{self.slug}' ended on {last_day.isoformat()}: "
                "closing it now is not early (leave out --early)"
            )
        if early and not (reason and reason.strip()):
            raise InvalidInput(
                f"closing period {period} of plan '{self.slug}' early needs a reason (--reason)"
            )

    @event(PeriodClosedEarly)
    def _close_early(
        self,
        period: str,
        actions: list[dict[str, Any]],
        lists: dict[str, list[str]],
        summary: dict[str, Any],
        as_of: date,
        reason: str,
        actor: str,
    ) -> None:
        self.closed_periods.append(period)

    @event(PeriodReclosed)
    def _reclose(
        self,
        period: str,
        actions: list[dict[str, Any]],
        lists: dict[str, list[str]],
        summary: dict[str, Any],
        as_of: date,
        early: bool,
        reason: str | None,
        actor: str,
    ) -> None:
        self.closed_periods.append(period)
        self.reopened_periods.remove(period)

    def reopen(self, period: str, reason: str | None, actor: str) -> None:
        """Open a closed period again, so that what it recorded can be put right; what it
        froze stays in its history, and it is closed again with a PeriodReclosed."""
        if period not in self.closed_periods:
            raise DomainError(f"period {period} of plan '{self.slug}' is not closed")
        if not (reason and reason.strip()):
            raise InvalidInput(
                f"reopening period {period} of plan '{self.slug}' needs a reason (--reason)"
            )
        self._reopen(period=period, reason=reason.strip(), actor=actor)

    @event(PeriodReopened)
    def _reopen(self, period: str, reason: str, actor: str) -> None:
        self.closed_periods.remove(period)
        self.reopened_periods.append(period)

    def open_period_on(self, day: date) -> Period:
        """The period that what is recorded on a day belongs to: the day's own period,
        or, when that has been closed (early), the first open one after it."""
        period = Period.containing(day, self.cadence)
        while period.key in self.closed_periods:
            period = period.next()
        return period

    def check_period_takes_updates(self, period: str) -> None:
        if period in self.closed_periods:
            raise DomainError(
                f"period {period} of plan '{self.slug}' is closed: what it recorded is frozen "
                f"(updates now belong to {self.open_period_on(clock.today()).key}; reopen "
                f"{period} with a reason to change it)"
            )

    # The plan's own narrative for a period: overview, risks and issues

    def record_narrative(
        self,
        period: str,
        actor: str,
        overview: str | None = None,
        risks: str | None = None,
        issues: str | None = None,
    ) -> None:
        """Set the period's overview, risks and issues; a part not given keeps what was
        recorded before. Editable until the period closes, frozen with it."""
        self.check_period_takes_updates(period)
        self.check_period_has_begun(period)
        before = self.narratives.get(period, {})
        parts = {"overview": overview, "risks": risks, "issues": issues}
        given = {k: (v.strip() or None) for k, v in parts.items() if v is not None}
        if not given:
            raise InvalidInput(
                f"the narrative of period {period} needs --overview, --risks or --issues"
            )
        merged = {k: given.get(k, before.get(k)) for k in parts}
        if before and merged == {k: before.get(k) for k in parts}:
            raise DomainError(f"period {period} of plan '{self.slug}' already says this")
        self._record_narrative(period=period, actor=actor, **merged)

    @event(NarrativeRecorded)
    def _record_narrative(
        self,
        period: str,
        overview: str | None,
        risks: str | None,
        issues: str | None,
        actor: str,
    ) -> None:
        self.narratives[period] = {"overview": overview, "risks": risks, "issues": issues}

    # ---- Plan owners, partner agencies and amendments to the plan itself ----
    # Events declared as classes so that readers (the reducer) name them with types.

    owners: tuple[str, ...] = ()  # emails; a plan registered before owners has none
    retired_agencies: tuple[str, ...] = ()

    class OwnerAdded(TrailAggregate.Event):

        class_version = 1
        email: str
        reason: str | None
        actor: str

    class OwnerRemoved(TrailAggregate.Event):

        class_version = 1
        email: str
        reason: str | None
        actor: str

    class AgencyAdded(TrailAggregate.Event):

        class_version = 1
        name: str
        reason: str
        actor: str

    class AgencyRenamed(TrailAggregate.Event):

        class_version = 1
        name: str
        new_name: str
        reason: str
        actor: str

    class AgencyRetired(TrailAggregate.Event):

        class_version = 1
        name: str
        reason: str
        actor: str

    class Amended(TrailAggregate.Event):

        class_version = 1
        field: str
        old: Any
        new: Any
        reason: str
        actor: str

    def is_owner(self, email: str) -> bool:
        return email.strip().lower() in self.owners

    def add_owner(self, email: str, actor: str, reason: str | None = None) -> None:
        if email in self.owners:
            raise DomainError(f"{email} is already an owner of plan '{self.slug}'")
        self._add_owner(email=email, reason=_reason_or_none(reason), actor=actor)

    @event(OwnerAdded)
    def _add_owner(self, email: str, reason: str | None, actor: str) -> None:
        self.owners = (*self.owners, email)

    def remove_owner(self, email: str, actor: str, reason: str | None = None) -> None:
        if email not in self.owners:
            raise NotFound(f"{email} is not an owner of plan '{self.slug}'")
        self._remove_owner(email=email, reason=_reason_or_none(reason), actor=actor)

    @event(OwnerRemoved)
    def _remove_owner(self, email: str, reason: str | None, actor: str) -> None:
        self.owners = tuple(o for o in self.owners if o != email)

    def add_agency(self, name: str, reason: str, actor: str) -> None:
        name = _agency_name(name)
        self._check_reason(reason, f"adding agency '{name}'")
        if name in self.agencies:
            raise DomainError(f"plan '{self.slug}' already has the agency '{name}'")
        self._add_agency(name=name, reason=reason.strip(), actor=actor)

    @event(AgencyAdded)
    def _add_agency(self, name: str, reason: str, actor: str) -> None:
        self.agencies = [*self.agencies, name]
        self.retired_agencies = tuple(a for a in self.retired_agencies if a != name)

    def rename_agency(self, name: str, new_name: str, reason: str, actor: str) -> None:
        self.check_agency(name)
        new_name = _agency_name(new_name)
        self._check_reason(reason, f"renaming agency '{name}'")
        if new_name in self.agencies:
            raise DomainError(f"plan '{self.slug}' already has the agency '{new_name}'")
        self._rename_agency(name=name, new_name=new_name, reason=reason.strip(), actor=actor)

    @event(AgencyRenamed)
    def _rename_agency(self, name: str, new_name: str, reason: str, actor: str) -> None:
        self.agencies = [new_name if a == name else a for a in self.agencies]

    def retire_agency(self, name: str, reason: str, actor: str) -> None:
        self.check_agency(name)
        self._check_reason(reason, f"retiring agency '{name}'")
        self._retire_agency(name=name, reason=reason.strip(), actor=actor)

    @event(AgencyRetired)
    def _retire_agency(self, name: str, reason: str, actor: str) -> None:
        self.agencies = [a for a in self.agencies if a != name]
        self.retired_agencies = (*self.retired_agencies, name)

    def check_agency(self, name: str) -> None:
        if name not in self.agencies:
            known = ", ".join(self.agencies) or "none"
            raise NotFound(f"plan '{self.slug}' has no agency '{name}' (it has: {known})")

    def amend(self, field: str, value: Any, reason: str, actor: str) -> None:
        """Change the plan's title, organisation, source, boards or cadence."""
        if field not in PLAN_AMENDABLE:
            raise InvalidInput(
                f"plan '{self.slug}': '{field}' cannot be amended "
                f"(amendable: {', '.join(PLAN_AMENDABLE)})"
            )
        self._check_reason(reason, f"amending the {field} of plan '{self.slug}'")
        new = _plan_value(self.slug, field, value)
        if field == "cadence" and self.closed_periods:
            raise DomainError(
                f"plan '{self.slug}' has closed periods ({', '.join(self.closed_periods)}): "
                "its cadence cannot change"
            )
        old = getattr(self, field)
        old = old.value if isinstance(old, Cadence) else old
        if old == new:
            raise DomainError(f"plan '{self.slug}': {field} is already {new!r}")
        self._amend_plan(field=field, old=old, new=new, reason=reason.strip(), actor=actor)

    @event(Amended)
    def _amend_plan(self, field: str, old: Any, new: Any, reason: str, actor: str) -> None:
        setattr(self, field, Cadence(new) if field == "cadence" else new)

    def _check_reason(self, reason: str | None, doing: str) -> None:
        if not (reason and reason.strip()):
            raise InvalidInput(f"{doing} needs a reason (--reason)")


PLAN_AMENDABLE = ("title", "organisation", "source", "boards", "cadence")


def _plan_value(slug: str, field: str, value: Any) -> Any:
    if field == "boards":
        items = value if isinstance(value, list | tuple) else str(value or "").split(",")
        return _unique([str(v) for v in items])
    text = " ".join(value) if isinstance(value, list | tuple) else value
    text = (text or "").strip() or None
    if field == "title" and text is None:
        raise InvalidInput(f"plan '{slug}' needs a title")
    if field == "cadence":
        try:
            return Cadence((text or "").lower()).value
        except ValueError:
            allowed = ", ".join(c.value for c in Cadence)
            raise InvalidInput(f"cadence '{text}' is not one of {allowed}") from None
    return text


def _agency_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("an agency needs a name")
    return name


def _reason_or_none(reason: str | None) -> str | None:
    return reason.strip() if reason and reason.strip() else None


# Policy settings

DISPLAY_MODES = ("worse", "reported")


@dataclass(frozen=True)
class Limit:
    """The range a policy setting may take: from 0 to ``most``, whole numbers or not."""

    most: float
    unit: str  # as written after the number: " days", "%"
    whole: bool = True


# At most two years, in calendar days or in working days.
_DAYS = Limit(730, " days")
_WORKING_DAYS = Limit(520, " working days")

RAG_SETTINGS: dict[str, Limit | None] = {
    "display": None,
    "amber_days_before_finish": _DAYS,
    "milestone_tolerance_days": _DAYS,
    "indicator_tolerance_pct": Limit(100, "%", whole=False),
}
REMINDER_SETTINGS: dict[str, Limit | None] = {
    "lead_times_working_days": None,  # see check_lead_times
    "overdue_every_days": _DAYS,
    "escalate_after_days": _DAYS,
    "period_request_working_days": _WORKING_DAYS,
    "governance_chase_every_days": _DAYS,
}
# Set for every plan at once (ACTIONTRAIL_DIGEST_HOUR), not plan by plan.
_FIXED_REMINDER_SETTINGS: dict[str, Limit] = {"digest_hour": Limit(23, "")}


class PolicyRefused(InvalidInput):
    """A policy setting the rules refuse. It names the setting and the value, so that the
    command line and the plan file can name them as their users wrote them."""

    def __init__(self, setting: str, value: Any, problem: str) -> None:
        self.setting = setting
        self.value = value
        self.problem = problem
        super().__init__(f"policy setting {setting} {shown_setting(value)} {problem}")


def shown_setting(value: Any) -> str:
    """A setting's value as people type it: lead times as "14,3,0"."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def revised_policy(policy: Any, changes: Mapping[str, Any], settings: Mapping[str, Any]) -> Any:
    for name, value in changes.items():
        if name not in settings:
            raise PolicyRefused(
                name, value, f"is not a policy setting (known: {', '.join(settings)})"
            )
    return replace(policy, **changes)


def check_rag_policy(policy: RagPolicy) -> None:
    if policy.display not in DISPLAY_MODES:
        raise PolicyRefused("display", policy.display, "is not one of worse, reported")
    for name, limit in RAG_SETTINGS.items():
        if limit is not None:
            check_setting_range(name, getattr(policy, name), limit)


def check_reminder_policy(policy: ReminderPolicy) -> None:
    check_lead_times(policy.lead_times_working_days)
    for name, limit in {**REMINDER_SETTINGS, **_FIXED_REMINDER_SETTINGS}.items():
        if limit is not None:
            check_setting_range(name, getattr(policy, name), limit)


def check_lead_times(lead_times: list[int]) -> None:
    """Lead times are distinct working-day counts, largest first: 14,3,0. Each is from 0
    (the deadline itself) to two years of working days."""
    name = "lead_times_working_days"
    if not isinstance(lead_times, list | tuple):
        raise PolicyRefused(name, lead_times, "is not a list of working days (like 14,3,0)")
    if not lead_times:
        raise PolicyRefused(name, lead_times, "has no lead time (0 is the deadline itself)")
    for n in lead_times:
        try:
            check_setting_range(name, n, _WORKING_DAYS)
        except PolicyRefused as e:
            raise PolicyRefused(name, lead_times, f"has a lead time that {e.problem}") from None
    if len(set(lead_times)) != len(lead_times):
        raise PolicyRefused(name, lead_times, "repeats a lead time")
    if list(lead_times) != sorted(lead_times, reverse=True):
        raise PolicyRefused(name, lead_times, "is not in descending order (like 14,3,0)")


def check_setting_range(name: str, value: Any, limit: Limit) -> None:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or (limit.whole and not isinstance(value, int)) or not math.isfinite(value):
        raise PolicyRefused(
            name, value, f"is not {'a whole number' if limit.whole else 'a number'}"
        )
    if value < 0:
        raise PolicyRefused(name, value, "cannot be negative")
    if value > limit.most:
        raise PolicyRefused(name, value, f"is more than {limit.most:g}{limit.unit}")


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        v = v.strip()
        if v:
            seen.setdefault(v, None)
    return list(seen)
