"""The plan as a board reads it: each action's RAG with its reasons, direction of travel,
roll-ups and the governance matrix, computed from the views for a given day.

Pure over views, so the same code shows the current plan and the plan as of any moment.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from domain.periods import Period
from domain.rag_rules import (
    ActionFacts,
    MilestoneFact,
    ReadingFact,
    compute_rag,
    direction,
    displayed_rag,
    exception_reason,
    indicator_rag,
)
from domain.setup import setup_gaps
from domain.values import Cadence, Direction, Indicator, Rag, RagPolicy, Status
from projections.views import View

ROLLUP_RAGS = ("red", "amber", "green", "complete", "blue", "grey")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def rag_policy(plan: View) -> RagPolicy:
    return RagPolicy(**plan["rag_policy"]) if plan.get("rag_policy") else RagPolicy()


def action_facts(view: View) -> ActionFacts:
    indicators = {
        i["name"]: Indicator(**{**i, "direction": Direction(i["direction"])})
        for i in view["indicators"]
    }
    readings = [
        ReadingFact(indicators[name], r["value"], date.fromisoformat(r["measured_on"]))
        for name, r in view["readings"].items()
        if name in indicators
    ]
    return ActionFacts(
        status=Status(view["status"]),
        plan_start=_date(view["plan_start"]),
        plan_finish=_date(view["plan_finish"]),
        actual_finish=_date(view["actual_finish"]),
        recurrence=view["recurrence"],
        milestones=[
            MilestoneFact(c["text"], _date(c["due"]), _date(c.get("achieved_on")))
            for c in view["success_criteria"]
        ],
        readings=readings,
        evidence_accepted=any(e["state"] == "accepted" for e in view["evidence"]),
        reported=Rag(view["reported_rag"]) if view["reported_rag"] else None,
        reported_reason=view["rag_reason"],
    )


def assess_action(
    view: View, today: date, policy: RagPolicy, previous: str | None = None
) -> dict[str, Any]:
    """One action as shown: its views plus the computed and displayed RAG."""
    facts = action_facts(view)
    result = compute_rag(facts, today, policy)
    shown = None if result.excluded else displayed_rag(facts.reported, result.computed, policy)
    exception = (
        None
        if result.excluded
        else exception_reason(facts.reported, result.computed, result.reasons)
    )
    prev = Rag(previous) if previous else None
    finish = facts.plan_finish
    overdue = bool(
        finish
        and not result.excluded
        and not facts.recurrence
        and not facts.status.is_closed
        and today > finish
    )
    setup = setup_gaps(
        view["status"],
        bool(view["leads"]),
        bool(view["accountable"]),
        bool(view["plan_finish"] or view["recurrence"]),
    )
    return {
        "ref": view["ref"],
        "group": view["group"],
        # What the action lacks before anyone can be held to it or reminded; see setup_label.
        "needs_setup": setup,
        "title": view["title"],
        "aim": view["aim"],
        "status": view["status"],
        "reported_rag": view["reported_rag"],
        "reported_reason": view["rag_reason"],
        "computed_rag": result.computed.value if result.computed else None,
        "rag": shown.value if shown else None,
        "rag_reasons": result.reasons,
        "exception": exception,
        "previous_rag": previous,
        "direction": direction(shown, prev),
        "overdue": overdue,
        "leads": view["leads"],
        "accountable": view["accountable"],
        "plan_start": view["plan_start"],
        "plan_finish": view["plan_finish"],
        # Views built before the mark existed lack it: their dates are firm.
        "plan_finish_tentative": view.get("plan_finish_tentative", False),
        "actual_finish": view["actual_finish"],
        "recurrence": view["recurrence"],
        "timescale": view["timescale"],
        "success_criteria": view["success_criteria"],
        "indicators": view["indicators"],
        "readings": _rated_readings(facts, policy),
        "reading_history": view.get("reading_history", {}),
        "progress": view["progress"],
        "risk": view["risk"],
        "progress_period": view["progress_period"],
        "evidence": view["evidence"],
        "cross_refs": view["cross_refs"],
        "evidence_expected": view["evidence_expected"],
        "notes": view["notes"],
        "status_reason": view["status_reason"],
        "status_since": view["status_since"],
        "version": view["version"],
        "updated_at": view["updated_at"],
    }


def _rated_readings(facts: ActionFacts, policy: RagPolicy) -> dict[str, Any]:
    """Each indicator's latest reading with its own RAG, by the plan's thresholds."""
    return {
        r.indicator.name: {
            "value": r.value,
            "measured_on": r.measured_on.isoformat(),
            "rag": indicator_rag(r.indicator, r.value, policy).value,
        }
        for r in facts.readings
    }


def rollup(actions: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts by RAG, per cent complete, overdue and exceptions; deferred and cancelled
    actions are counted apart and drop out of the rest."""
    live = [a for a in actions if a["status"] not in ("deferred", "cancelled")]
    counts = {r: 0 for r in ROLLUP_RAGS}
    for a in live:
        # An action nobody can be held to is not "on track": not counted green.
        if a["rag"] and setup_label(a) is None:
            counts[a["rag"]] += 1
    done = sum(1 for a in live if a["status"] in ("completed", "verified"))
    return {
        "actions": len(live),
        "by_rag": counts,
        "complete_pct": round(100 * done / len(live), 1) if live else 0.0,
        "overdue": sum(1 for a in live if a["overdue"]),
        "exceptions": sum(1 for a in live if a["exception"]),
        "needs_setup": sum(1 for a in live if a.get("needs_setup")),
        "deferred": sum(1 for a in actions if a["status"] == "deferred"),
        "cancelled": sum(1 for a in actions if a["status"] == "cancelled"),
    }


SETUP_LABEL = "SET-UP"


def setup_label(action: dict[str, Any]) -> str | None:
    """The SET-UP label where the action needs set-up and its RAG would otherwise say nothing is
    wrong (green, grey or none); a red or amber stays, since it says more."""
    if action.get("needs_setup") and action.get("rag") in (None, "green", "grey"):
        return SETUP_LABEL
    return None


def governance_row(item: View, agencies_order: list[str]) -> dict[str, Any]:
    """One governance item against each required agency."""
    current = item["current_version"]
    version_since = item["versions"][str(current)]["at"]
    cells = []
    for agency in item["agencies"]:
        d = item["decisions"].get(agency)
        if d is None:
            state = "pending"
        elif d["version"] != current:
            state = "stale"
        else:
            state = "approved" if d["approved"] else "rejected"
        cells.append(
            {
                "agency": agency,
                "state": state,
                "version": d["version"] if d else None,
                "body": d["body"] if d else None,
                "minute_ref": d["minute_ref"] if d else None,
                "decided_on": d["decided_on"] if d else None,
                "reason": d["reason"] if d else None,
                "pending_since": version_since if state in ("pending", "stale") else None,
            }
        )
    signed = item["signed_off"]
    return {
        "key": item["key"],
        "title": item["title"],
        "current_version": current,
        "document_name": item["document_name"],
        "agencies": cells,
        "ready_for_signoff": all(c["state"] == "approved" for c in cells),
        "signed_off": signed if signed and signed["version"] == current else None,
        "earlier_signoff": signed if signed and signed["version"] != current else None,
        "version_since": version_since,
        "history": signoff_history(item),
    }


def signoff_history(item: View) -> list[dict[str, Any]]:
    """Earlier versions' sign-offs and revocations, oldest first: what the board once
    signed off stays on the record after the document is revised."""
    current = item["current_version"]
    signoffs = item.get("signoffs")
    if signoffs is None:  # read models made before sign-offs were kept
        signoffs = [item["signed_off"]] if item.get("signed_off") else []
    events = [
        {
            "what": "signed off",
            "version": s["version"],
            "on": s["decided_on"],
            "at": s["recorded_at"],
            "by": s["board"],
            "minute_ref": s.get("minute_ref"),
            "reason": None,
        }
        for s in signoffs
    ] + [
        {
            "what": "revoked",
            "version": r["version"],
            "on": r["at"][:10],
            "at": r["at"],
            "by": r["actor"],
            "minute_ref": None,
            "reason": r["reason"],
        }
        for r in item.get("revocations", [])
    ]
    return sorted((e for e in events if e["version"] != current), key=lambda e: e["at"])


def last_closed(plan: View, periods: list[View], today: date) -> View | None:
    """The latest period closed before today's own period, for direction of travel."""
    cadence = Cadence(plan["cadence"])
    current = Period.containing(today, cadence)
    earlier = [p for p in periods if Period.parse(p["period"]) < current]
    return max(earlier, key=lambda p: Period.parse(p["period"])) if earlier else None


def plan_document(
    plan: View,
    actions: list[View],
    items: list[View],
    periods: list[View],
    today: date,
) -> dict[str, Any]:
    policy = rag_policy(plan)
    previous_period = last_closed(plan, periods, today)
    previous = (
        {a["ref"]: a.get("rag") for a in previous_period["actions"]} if previous_period else {}
    )
    assessed = [assess_action(a, today, policy, previous.get(a["ref"])) for a in actions]
    groups = []
    for g in plan["groups"]:
        mine = [a for a in assessed if a["group"] == g["ref"]]
        children = [c["ref"] for c in plan["groups"] if c["parent"] == g["ref"]]
        nested = [a for a in assessed if a["group"] in children]
        groups.append({**g, "summary": rollup(mine + nested)})
    return {
        "slug": plan["slug"],
        "title": plan["title"],
        "organisation": plan["organisation"],
        "source": plan["source"],
        "cadence": plan["cadence"],
        "boards": plan["boards"],
        "agencies": plan["agencies"],
        "owners": plan.get("owners", []),
        "retired_agencies": plan.get("retired_agencies", []),
        "demo": plan["demo"],
        "as_of": today.isoformat(),
        "rag_policy": asdict(policy),
        "previous_period": previous_period["period"] if previous_period else None,
        "period": str(Period.containing(today, Cadence(plan["cadence"]))),
        "groups": groups,
        "actions": assessed,
        "summary": rollup(assessed),
        "governance": [governance_row(i, plan["agencies"]) for i in items],
        "closed_periods": [p["period"] for p in periods if p.get("state") != "reopened"],
        "period_records": [period_record(p) for p in periods],
        "narratives": plan.get("narratives", {}),
    }


def period_record(view: View) -> dict[str, Any]:
    """What a period's close recorded, for showing: its lists, and how it was closed."""
    return {
        "period": view["period"],
        "state": view.get("state", "closed"),
        "closed_at": view["closed_at"],
        "closed_by": view["closed_by"],
        "as_of": view["as_of"],
        "lists": view["lists"],
        "early": view.get("early", False),
        "early_reason": view.get("early_reason"),
        "reopenings": view.get("reopenings", []),
        "earlier_closes": view.get("earlier_closes", []),
    }
