"""What changed in a plan between two moments: action by action, field by field, with the
events recorded in between that made each change (who, when and why).

Both sides are the plan as the system knew it at the moment (engine.audit.as_of), so a
RAG can also change with no event at all, as dates pass: such a change names the two
dates instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.ids import plan_id
from engine.audit import timeline
from engine.audit.as_of import document, london_day
from engine.audit.replay import replay
from engine.runtime import Runtime
from projections import queries

ACTION_FIELDS = (
    "title",
    "group",
    "aim",
    "status",
    "status_reason",
    "rag",
    "reported_rag",
    "reported_reason",
    "computed_rag",
    "rag_reasons",
    "exception",
    "direction",
    "overdue",
    "leads",
    "accountable",
    "plan_start",
    "plan_finish",
    "actual_finish",
    "recurrence",
    "timescale",
    "success_criteria",
    "indicators",
    "readings",
    "progress",
    "risk",
    "progress_period",
    "evidence",
    "cross_refs",
    "notes",
)

# Fields worked out from the others and from the date, not recorded by any one event.
DERIVED = {"rag", "computed_rag", "rag_reasons", "exception", "direction", "overdue"}

FIELDS_BY_KIND: dict[str, set[str]] = {
    "Action.StatusChanged": {"status", "status_reason", "actual_finish"},
    "Action.RagAssessed": {"reported_rag", "reported_reason"},
    "Action.ProgressReported": {"progress", "risk", "progress_period"},
    "Action.MilestoneAchieved": {"success_criteria"},
    "Action.IndicatorMeasured": {"readings"},
    "Action.EvidenceSubmitted": {"evidence"},
    "Action.EvidenceAccepted": {"evidence"},
    "Action.EvidenceRejected": {"evidence"},
    "GovernanceItem.Revised": {"version", "document"},
    "GovernanceItem.SignedOff": {"sign-off"},
    "GovernanceItem.SignOffRevoked": {"sign-off"},
    "Plan.GroupAdded": {"groups"},
    "Plan.PoliciesChanged": {"rag_policy"},
    "Plan.PeriodClosed": {"closed_periods"},
}


def _evidence(items: list[dict[str, Any]]) -> list[str]:
    return [f"{e['name']}: {e['state']}" for e in items]


def _criteria(items: list[dict[str, Any]]) -> list[str]:
    return [
        f"{c['text']} (due {c['due'] or '-'}"
        + (f", achieved {c['achieved_on']})" if c.get("achieved_on") else ")")
        for c in items
    ]


def _people(value: Any) -> Any:
    if isinstance(value, list):
        return [_people(v) for v in value]
    if isinstance(value, dict) and "name" in value:
        return value["name"] + (f" <{value['email']}>" if value.get("email") else "")
    return value


def action_values(a: dict[str, Any]) -> dict[str, Any]:
    values = {f: a.get(f) for f in ACTION_FIELDS}
    values["evidence"] = _evidence(a["evidence"])
    values["success_criteria"] = _criteria(a["success_criteria"])
    values["leads"] = _people(a["leads"])
    values["accountable"] = _people(a["accountable"])
    return values


def item_values(row: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": row["title"],
        "version": row["current_version"],
        "document": row["document_name"],
    }
    for cell in row["agencies"]:
        state = cell["state"]
        if cell["decided_on"] and state in ("approved", "rejected", "stale"):
            state += f" on {cell['decided_on']} (version {cell['version']})"
        values[f"approval: {cell['agency']}"] = state
    signed = row["signed_off"] or row["earlier_signoff"]
    values["sign-off"] = (
        f"version {signed['version']} by {signed['board']} on {signed['decided_on']}"
        if signed
        else None
    )
    return values


def plan_values(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": doc["title"],
        "groups": [g["ref"] for g in doc["groups"]],
        "rag_policy": doc["rag_policy"],
        "closed_periods": doc["closed_periods"],
        "summary": doc["summary"],
    }


def _event(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": row["seq"],
        "recorded_at": row["recorded_at"],
        "effective_on": row["effective_on"],
        "actor": row["actor"],
        "kind": row["kind"],
        "reason": row["reason"],
    }


def _fields_of(row: dict[str, Any]) -> set[str]:
    if row["kind"] == "Action.Amended":
        field = row["data"].get("field")
        return {"reported_reason" if field == "rag_reason" else str(field)}
    if row["kind"] in ("GovernanceItem.ApprovedByAgency", "GovernanceItem.RejectedByAgency"):
        return {f"approval: {row['data'].get('agency')}"}
    return FIELDS_BY_KIND.get(row["kind"], set())


def compare(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    events: list[dict[str, Any]],
    dates: tuple[str, str],
    context: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Field by field, with the events that made each change. Worked-out fields name
    every event of the subject, and the context (the periods closed, which direction of
    travel compares with)."""
    changes = []
    for field, new in after.items():
        old = before.get(field) if before is not None else None
        if old == new:
            continue
        if field in DERIVED:
            because = sorted({e["seq"] for e in [*events, *(context or [])]})
        else:
            because = [e["seq"] for e in events if field in _fields_of(e)]
        change: dict[str, Any] = {"field": field, "from": old, "to": new, "because": because}
        if not because and dates[0] != dates[1]:
            change["note"] = f"no event: worked out for {dates[1]} instead of {dates[0]}"
        changes.append(change)
    return changes


def diff_plan(rt: Runtime, slug: str, start: datetime, end: datetime) -> dict[str, Any]:
    rt.catch_up()
    queries.plan(rt.engine, slug)  # an unknown plan is refused here
    pid = str(plan_id(slug))
    with rt.engine.connect() as conn:
        seq_from = timeline.last_seq_known_at(conn, pid, start)
        seq_to = timeline.last_seq_known_at(conn, pid, end)
        before = (
            document(replay(conn, rt.app, pid, seq_from).store, pid, london_day(start))
            if seq_from
            else None
        )
        after = (
            document(replay(conn, rt.app, pid, seq_to).store, pid, london_day(end))
            if seq_to
            else None
        )
        rows = timeline.history_between(conn, pid, seq_from, seq_to)
    dates = (london_day(start).isoformat(), london_day(end).isoformat())
    result: dict[str, Any] = {
        "plan": slug,
        "from": {"at": start.isoformat(), "position": seq_from, "date": dates[0]},
        "to": {"at": end.isoformat(), "position": seq_to, "date": dates[1]},
        "events": [_event(r) for r in rows],
        "plan_changes": [],
        "actions": [],
        "governance": [],
    }
    if after is None:
        return result
    plan_events = [r for r in rows if r["kind"].startswith("Plan.")]
    result["plan_changes"] = compare(
        plan_values(before) if before else None, plan_values(after), plan_events, dates
    )
    for change in result["plan_changes"]:
        if change["field"] == "summary":
            # The counts move with every action's change.
            change["because"] = [r["seq"] for r in rows]
    # A closed period is what direction of travel compares with.
    closings = [r for r in plan_events if r["kind"] == "Plan.PeriodClosed"]
    result["actions"] = _subjects(
        {a["ref"]: action_values(a) for a in before["actions"]} if before else {},
        {a["ref"]: action_values(a) for a in after["actions"]},
        [r for r in rows if r["kind"].startswith("Action.")],
        dates,
        closings,
    )
    result["governance"] = _subjects(
        {g["key"]: item_values(g) for g in before["governance"]} if before else {},
        {g["key"]: item_values(g) for g in after["governance"]},
        [r for r in rows if r["kind"].startswith("GovernanceItem.")],
        dates,
        [],
    )
    return result


def _subjects(
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    rows: list[dict[str, Any]],
    dates: tuple[str, str],
    context: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    out = []
    for key, values in after.items():
        events = [r for r in rows if r["subject"] == key]
        old = before.get(key)
        fields = compare(old, values, events, dates, context)
        if not fields:
            continue
        out.append(
            {
                "subject": key,
                "change": "added" if old is None else "changed",
                "fields": fields,
                "events": [_event(r) for r in events],
            }
        )
    for key in before.keys() - after.keys():
        out.append({"subject": key, "change": "removed", "fields": [], "events": []})
    return out
