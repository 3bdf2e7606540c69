"""The computed RAG rating, how it is shown beside the lead's own, and direction of travel.

Rules for the computed RAG of an action on a given day (``compute_rag``):

* **Deferred or cancelled** actions get no RAG. The result is flagged ``excluded``
  with ``computed`` None; they show as their status and drop out of roll-ups.
* **Verified** (status verified, or completed with its evidence accepted): **Blue**,
  action completed and success criteria met.
* **Completed**, awaiting verification: **Complete**. Completion is read from the
  status; nothing else is assessed for a completed or verified action.
* **Red**, not on track or at significant risk, when any of:
  - the plan finish has passed and the action is not complete (today is after the
    plan finish; on the day of the plan finish itself it has not yet passed);
  - a milestone (a success criterion with a target date) is not achieved and its
    date was missed by more than the plan's milestone tolerance
    (today > due + ``milestone_tolerance_days``);
  - an indicator's latest reading is beyond its red threshold (see below).
* **Amber** when any of:
  - the action is not complete and today is inside the window before the plan
    finish (plan finish - ``amber_days_before_finish`` <= today <= plan finish);
  - a milestone is not achieved and was missed by no more than the tolerance
    (due < today <= due + ``milestone_tolerance_days``);
  - an indicator's latest reading misses its target but is not beyond the red
    threshold.
* **Grey**, not due to commence: the action is not started and today is before its
  plan start. Grey takes the place of Green, so a Red or Amber rule that already
  applies (a milestone dated before the start, an indicator already beyond its
  threshold) still wins.
* **Green** otherwise: on track.

Ongoing and recurring work (``recurrence`` set) has no single finish date, so the
plan-finish rules never apply to it, even when a finish date is recorded.
Milestones without a date are not assessed. A milestone achieved or a reading
measured after ``today`` does not count yet, so a rating can be computed as at an
earlier day from the same facts. Only the latest reading of each indicator (by
name) counts; of two readings on the same day, the later in the list counts.

Indicator RAG (``indicator_rag``): meeting the target (at or above it when higher is
better, at or below it when lower is better) is Green. Missing it is Amber as long
as the reading is no further from the target than the red threshold: the
indicator's own ``red_threshold`` when it has one (a reading exactly at the
threshold is Amber), otherwise the target missed by no more than
``indicator_tolerance_pct`` percent of the target. Beyond that it is Red. A target
of zero therefore has no tolerance unless the indicator sets a red threshold.

The worst applicable rule wins, and every applicable rule gives a reason in words,
worst first, with dates written like "30 Jun 2009", e.g. "plan finish 30 Jun 2009
passed, not complete", "milestone 'Audit completed' due 31 Mar 2009 missed by 45
days", "indicator 'reviews on time' 70% against target 75%".

Shown RAG (``displayed_rag``), with the plan's ``display`` setting:

* ``"worse"`` (default): the worse of the lead's reported RAG and the computed one
  by rank (Red < Amber < Green < Blue, Complete ranking with Green); when one is
  missing or has no rank (Grey), the other is shown.
* ``"reported"``: the reported RAG when there is one, otherwise the computed one.
* In both, a completed or verified action shows its computed Complete or Blue: the
  completion is a recorded fact, so a lead's earlier rating no longer applies. A
  computed Grey with a reported rating shows the reported one (a lead may flag a
  risk to an action that has not commenced). Excluded (deferred, cancelled)
  actions have no RAG to show; callers show their status instead.

An **exception** (``exception_reason``) is an action whose reported RAG is better
than its computed one, e.g. "reported Green; computed Red: plan finish 30 Jun 2009
passed, not complete". Grey has no rank and never makes an exception.

**Direction of travel** (``direction``) compares this period's RAG with the last:
"up" when better, "down" when worse, "same" when of equal rank; None when either
is missing or has no rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from domain.values import Direction, Indicator, Rag, RagPolicy, Status

ARROWS: dict[str, str] = {"up": "↑", "down": "↓", "same": "↔"}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Reasons are listed worst first; Grey is a note rather than a warning.
_SEVERITY = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREY: 2}

_DISPLAY_MODES = ("worse", "reported")


@dataclass(frozen=True)
class MilestoneFact:
    """A success criterion with its target date and the day it was achieved, if it was."""

    text: str
    due: date | None = None
    achieved_on: date | None = None


@dataclass(frozen=True)
class ReadingFact:
    """One measurement of an indicator."""

    indicator: Indicator
    value: float
    measured_on: date


@dataclass
class ActionFacts:
    """What the computed RAG of one action depends on."""

    status: Status
    plan_start: date | None = None
    plan_finish: date | None = None
    actual_finish: date | None = None
    recurrence: str | None = None
    milestones: list[MilestoneFact] = field(default_factory=list)
    readings: list[ReadingFact] = field(default_factory=list)
    evidence_accepted: bool = False
    reported: Rag | None = None
    reported_reason: str | None = None


@dataclass(frozen=True)
class RagResult:
    """A computed RAG with its reasons; ``excluded`` actions have none and ``computed`` None."""

    computed: Rag | None
    reasons: list[str]
    excluded: bool = False


def format_date(day: date) -> str:
    """A date as "30 Jun 2009", whatever the process locale."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def rag_label(rag: Rag) -> str:
    """The rating as a word for people: "Green", "Complete"."""
    return rag.value.capitalize()


def compute_rag(facts: ActionFacts, today: date, policy: RagPolicy) -> RagResult:
    """The computed RAG of an action on ``today``; see the module docstring for the rules."""
    if facts.status in (Status.DEFERRED, Status.CANCELLED):
        return RagResult(computed=None, reasons=[facts.status.value], excluded=True)
    if facts.status is Status.VERIFIED:
        return RagResult(Rag.BLUE, ["verified: completed and success criteria met"])
    if facts.status is Status.COMPLETED:
        if facts.evidence_accepted:
            return RagResult(Rag.BLUE, ["completed and evidence accepted"])
        when = f" {format_date(facts.actual_finish)}" if facts.actual_finish else ""
        return RagResult(Rag.COMPLETE, [f"completed{when}, awaiting verification"])

    findings = [
        *_finish_findings(facts, today, policy),
        *_milestone_findings(facts.milestones, today, policy),
        *_indicator_findings(facts.readings, today, policy),
    ]
    if (
        facts.status is Status.NOT_STARTED
        and facts.plan_start is not None
        and today < facts.plan_start
    ):
        findings.append((Rag.GREY, f"not due to commence until {format_date(facts.plan_start)}"))
    if not findings:
        return RagResult(Rag.GREEN, ["on track"])
    findings.sort(key=lambda finding: _SEVERITY[finding[0]])
    return RagResult(findings[0][0], [reason for _, reason in findings])


def indicator_rag(indicator: Indicator, value: float, policy: RagPolicy) -> Rag:
    """Green when the target is met, Amber within the red threshold, Red beyond it."""
    higher = indicator.direction is Direction.HIGHER
    shortfall = indicator.target - value if higher else value - indicator.target
    if shortfall <= 0 or _close(value, indicator.target):
        return Rag.GREEN
    if indicator.red_threshold is not None:
        allowed = (
            indicator.target - indicator.red_threshold
            if higher
            else indicator.red_threshold - indicator.target
        )
        limit = indicator.red_threshold
    else:
        allowed = abs(indicator.target) * policy.indicator_tolerance_pct / 100
        limit = indicator.target - allowed if higher else indicator.target + allowed
    if shortfall <= allowed or _close(value, limit):
        return Rag.AMBER
    return Rag.RED


def displayed_rag(reported: Rag | None, computed: Rag | None, policy: RagPolicy) -> Rag | None:
    """The RAG shown for an action, from the lead's reported RAG and the computed one."""
    if policy.display not in _DISPLAY_MODES:
        raise ValueError(
            f"unknown RAG display {policy.display!r}; expected one of {_DISPLAY_MODES}"
        )
    if computed in (Rag.COMPLETE, Rag.BLUE):
        return computed
    if policy.display == "reported":
        return reported if reported is not None else computed
    if reported is None or reported.rank is None:
        return computed
    if computed is None or computed.rank is None:
        return reported
    return reported if reported.rank < computed.rank else computed


def exception_reason(reported: Rag | None, computed: Rag | None, reasons: list[str]) -> str | None:
    """Why an action is an exception (reported better than computed), or None if it is not."""
    if reported is None or computed is None:
        return None
    if reported.rank is None or computed.rank is None or reported.rank <= computed.rank:
        return None
    text = f"reported {rag_label(reported)}; computed {rag_label(computed)}"
    return f"{text}: {'; '.join(reasons)}" if reasons else text


def direction(current: Rag | None, previous: Rag | None) -> str | None:
    """Direction of travel from last period's RAG to this one: "up", "down" or "same"."""
    if current is None or previous is None:
        return None
    if current.rank is None or previous.rank is None:
        return None
    if current.rank > previous.rank:
        return "up"
    if current.rank < previous.rank:
        return "down"
    return "same"


def _finish_findings(facts: ActionFacts, today: date, policy: RagPolicy) -> list[tuple[Rag, str]]:
    finish = facts.plan_finish
    if finish is None or facts.recurrence:
        return []
    if today > finish:
        return [(Rag.RED, f"plan finish {format_date(finish)} passed, not complete")]
    if today >= finish - timedelta(days=policy.amber_days_before_finish):
        days = (finish - today).days
        when = "is today" if days == 0 else f"in {_days(days)}"
        return [(Rag.AMBER, f"plan finish {format_date(finish)} {when}, not complete")]
    return []


def _milestone_findings(
    milestones: list[MilestoneFact], today: date, policy: RagPolicy
) -> list[tuple[Rag, str]]:
    findings: list[tuple[Rag, str]] = []
    for milestone in milestones:
        if milestone.due is None or today <= milestone.due:
            continue
        if milestone.achieved_on is not None and milestone.achieved_on <= today:
            continue
        late = (today - milestone.due).days
        rag = Rag.RED if late > policy.milestone_tolerance_days else Rag.AMBER
        reason = (
            f"milestone '{milestone.text}' due {format_date(milestone.due)} missed by {_days(late)}"
        )
        findings.append((rag, reason))
    return findings


def _indicator_findings(
    readings: list[ReadingFact], today: date, policy: RagPolicy
) -> list[tuple[Rag, str]]:
    latest: dict[str, ReadingFact] = {}
    for reading in readings:
        if reading.measured_on > today:
            continue
        held = latest.get(reading.indicator.name)
        if held is None or reading.measured_on >= held.measured_on:
            latest[reading.indicator.name] = reading
    findings: list[tuple[Rag, str]] = []
    for reading in latest.values():
        indicator = reading.indicator
        rag = indicator_rag(indicator, reading.value, policy)
        if rag is Rag.GREEN:
            continue
        reason = (
            f"indicator '{indicator.name}' {_amount(reading.value, indicator.unit)} "
            f"against target {_amount(indicator.target, indicator.unit)}"
        )
        findings.append((rag, reason))
    return findings


def _close(a: float, b: float) -> bool:
    # Tolerances are computed in floating point (75 less 10% of 75); a reading that
    # equals the limit as written must not fall on the wrong side of it.
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _amount(value: float, unit: str) -> str:
    if not unit:
        return f"{value:g}"
    return f"{value:g}{unit}" if unit == "%" else f"{value:g} {unit}"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"
