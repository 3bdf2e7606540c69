"""Events in words for the timelines: what happened, in a line a person reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.web.templating import day, status_label

Row = dict[str, Any]


def _rag(d: Row) -> str:
    return f"rated it {str(d.get('rag', '')).upper()}"


def _status(d: Row) -> str:
    before, after = status_label(d.get("previous")), status_label(d.get("status"))
    return f"changed the status from {before} to {after}"


def _progress(d: Row) -> str:
    text = f"reported progress for {d.get('period')}: {d.get('narrative')}"
    return f"{text} Risk: {d['risk']}" if d.get("risk") else text


def _evidence(d: Row) -> str:
    what = d.get("url") or d.get("name")
    return f"submitted evidence {d.get('evidence_id')}: {what}"


def _milestone(d: Row) -> str:
    return f"achieved success criterion {d.get('number')}: {d.get('text')}"


def _indicator(d: Row) -> str:
    return f"measured {d.get('name')}: {d.get('value')}"


def _amended(d: Row) -> str:
    name = str(d.get("field", "")).replace("_", " ")
    return f"amended {name}: {_short(d.get('old'))} → {_short(d.get('new'))}"


def _decision(verb: str) -> Callable[[Row], str]:
    def describe(d: Row) -> str:
        minute = f", minute {d['minute_ref']}" if d.get("minute_ref") else ""
        return (
            f"{verb} v{d.get('version')} for {d.get('agency')} "
            f"({d.get('body')}{minute}, decided {day(d.get('effective_on') or '')})"
        ).replace(", decided )", ")")

    return describe


def _signed_off(d: Row) -> str:
    minute = f", minute {d['minute_ref']}" if d.get("minute_ref") else ""
    return f"signed off v{d.get('version')} at {d.get('board')}{minute}"


DESCRIBE: dict[str, Callable[[Row], str]] = {
    "Action.Added": lambda d: f"added action {d.get('ref')}: {d.get('title')}",
    "Action.Amended": _amended,
    "Action.StatusChanged": _status,
    "Action.ProgressReported": _progress,
    "Action.RagAssessed": _rag,
    "Action.MilestoneAchieved": _milestone,
    "Action.IndicatorMeasured": _indicator,
    "Action.EvidenceSubmitted": _evidence,
    "Action.EvidenceAccepted": lambda d: f"accepted evidence {d.get('evidence_id')}",
    "Action.EvidenceRejected": lambda d: f"rejected evidence {d.get('evidence_id')}",
    "GovernanceItem.Opened": lambda d: (
        f"opened '{d.get('title')}' for approval by " + ", ".join(d.get("agencies") or [])
    ),
    "GovernanceItem.Revised": lambda d: (
        f"revised the document to v{d.get('version')} ({d.get('document_name')})"
    ),
    "GovernanceItem.ApprovedByAgency": _decision("approved"),
    "GovernanceItem.RejectedByAgency": _decision("rejected"),
    "GovernanceItem.SignedOff": _signed_off,
    "GovernanceItem.SignOffRevoked": lambda d: f"revoked the sign-off of v{d.get('version')}",
    "Plan.Registered": lambda d: f"registered the plan '{d.get('title')}'",
    "Plan.GroupAdded": lambda d: f"added grouping {d.get('ref')}: {d.get('title')}",
    "Plan.PoliciesChanged": lambda d: "changed the RAG and reminder policies",
    "Plan.PeriodClosed": lambda d: f"closed reporting period {d.get('period')}",
    "Plan.OwnerAdded": lambda d: f"made {d.get('email')} an owner of the plan",
    "Plan.OwnerRemoved": lambda d: f"stopped {d.get('email')} owning the plan",
    "Plan.AgencyAdded": lambda d: f"added the partner agency {d.get('name')}",
    "Plan.AgencyRenamed": lambda d: f"renamed the agency {d.get('name')} {d.get('new_name')}",
    "Plan.AgencyRetired": lambda d: f"retired the partner agency {d.get('name')}",
    "Plan.Amended": lambda d: f"changed the plan's {d.get('field')} to {_short(d.get('new'))}",
    "Action.SheetImported": lambda d: f"kept the sheet's cells as imported from {d.get('file')}",
    "Action.Rebaselined": lambda d: (
        f"re-baselined: start {d.get('new_start') or 'none'}, "
        f"finish {d.get('new_finish') or 'none'}"
    ),
}


def describe(row: Row) -> str:
    handler = DESCRIBE.get(row["kind"])
    if handler is None:
        return row["kind"].split(".")[-1]
    try:
        return handler(row["data"])
    except (KeyError, TypeError, AttributeError):
        return row["kind"].split(".")[-1]


def _short(value: Any, limit: int = 80) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        text = "; ".join(
            str(v.get("name") or v.get("text") or v) if isinstance(v, dict) else str(v)
            for v in value
        )
    elif isinstance(value, dict):
        text = str(value.get("name") or value.get("text") or value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
