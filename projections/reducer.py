"""How each event changes the views. Used by the SQL read model and by in-memory replays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from projections.views import (
    View,
    iso,
    new_action_view,
    new_item_view,
    new_plan_view,
    new_user_view,
)


class ViewStore(Protocol):
    def get(self, kind: str, key: str) -> View | None: ...

    def put(self, kind: str, key: str, view: View) -> None: ...


def event_kind(event: Any) -> str:
    """'Action.RagAssessed' and the like: the aggregate and the event's name."""
    return type(event).__qualname__


def apply_event(store: ViewStore, event: Any) -> None:
    handler = _HANDLERS.get(event_kind(event))
    if handler is not None:
        handler(store, event)


def _touch(view: View, e: Any) -> None:
    view["updated_at"] = iso(e.timestamp)
    if "version" in view:
        view["version"] = e.originator_version


def _plan(fn: Callable[[View, Any], None]) -> Callable[[ViewStore, Any], None]:
    def handle(store: ViewStore, e: Any) -> None:
        key = str(e.originator_id)
        view = store.get("plan", key)
        assert view is not None, f"plan {key} has no view"
        fn(view, e)
        _touch(view, e)
        store.put("plan", key, view)

    return handle


def _action(fn: Callable[[View, Any], None]) -> Callable[[ViewStore, Any], None]:
    def handle(store: ViewStore, e: Any) -> None:
        key = str(e.originator_id)
        view = store.get("action", key)
        assert view is not None, f"action {key} has no view"
        fn(view, e)
        _touch(view, e)
        store.put("action", key, view)

    return handle


def _item(fn: Callable[[View, Any], None]) -> Callable[[ViewStore, Any], None]:
    def handle(store: ViewStore, e: Any) -> None:
        key = str(e.originator_id)
        view = store.get("item", key)
        assert view is not None, f"governance item {key} has no view"
        fn(view, e)
        _touch(view, e)
        store.put("item", key, view)

    return handle


# Plans


def plan_registered(store: ViewStore, e: Any) -> None:
    key = str(e.originator_id)
    store.put("plan", key, new_plan_view(key, e))


@_plan
def group_added(view: View, e: Any) -> None:
    view["groups"].append(
        {
            "ref": e.ref,
            "title": e.title,
            "parent": e.parent,
            "page": e.page,
            "evidence_expected": list(e.evidence_expected),
        }
    )


@_plan
def policies_changed(view: View, e: Any) -> None:
    view["rag_policy"] = dict(e.rag)
    view["reminder_policy"] = dict(e.reminders)


def period_closed(store: ViewStore, e: Any) -> None:
    key = str(e.originator_id)
    view = store.get("plan", key)
    assert view is not None, f"plan {key} has no view"
    closed = {"period": e.period, "closed_at": iso(e.timestamp), "closed_by": e.actor}
    view["periods"].append(closed)
    _touch(view, e)
    store.put("plan", key, view)
    store.put(
        "period",
        f"{key}:{e.period}",
        {
            **closed,
            "plan_id": key,
            "as_of": iso(e.as_of),
            "actions": iso(e.actions),
            "lists": e.lists,
            "summary": e.summary,
        },
    )


def period_closed_early(store: ViewStore, e: Any) -> None:
    period_closed(store, e)
    _amend_period(store, e, early=True, early_reason=e.reason)


def period_reopened(store: ViewStore, e: Any) -> None:
    """The period is open again; what its first close froze stays in its view (a report
    or an as-of view between the closes shows it) beside when and why it reopened."""
    key = str(e.originator_id)
    view = store.get("plan", key)
    assert view is not None, f"plan {key} has no view"
    view["periods"] = [p for p in view["periods"] if p["period"] != e.period]
    _touch(view, e)
    store.put("plan", key, view)
    period_key = f"{key}:{e.period}"
    period = store.get("period", period_key)
    assert period is not None, f"period {e.period} of plan {key} has no view"
    reopening = {"at": iso(e.timestamp), "by": e.actor, "reason": e.reason}
    period["reopenings"] = [*period.get("reopenings", []), reopening]
    period["state"] = "reopened"
    store.put("period", period_key, period)


def period_reclosed(store: ViewStore, e: Any) -> None:
    key = str(e.originator_id)
    before = store.get("period", f"{key}:{e.period}") or {}
    earlier = {k: before[k] for k in ("closed_at", "closed_by", "as_of", "lists") if k in before}
    period_closed(store, e)
    _amend_period(
        store,
        e,
        early=e.early,
        early_reason=e.reason if e.early else None,
        reclose_reason=None if e.early else e.reason,
        reopenings=before.get("reopenings", []),
        earlier_closes=[*before.get("earlier_closes", []), earlier],
    )


def _amend_period(store: ViewStore, e: Any, **changes: Any) -> None:
    period_key = f"{e.originator_id}:{e.period}"
    period = store.get("period", period_key)
    assert period is not None
    period.update(changes, state="closed")
    store.put("period", period_key, period)


@_plan
def narrative_recorded(view: View, e: Any) -> None:
    narratives = view.setdefault("narratives", {})
    narratives[e.period] = {
        "overview": e.overview,
        "risks": e.risks,
        "issues": e.issues,
        "by": e.actor,
        "at": iso(e.timestamp),
    }


# Actions


def action_added(store: ViewStore, e: Any) -> None:
    key = str(e.originator_id)
    store.put("action", key, new_action_view(key, e))


@_action
def action_amended(view: View, e: Any) -> None:
    new = iso(e.new)
    if e.field == "success_criteria":
        achieved = {c["text"]: c.get("achieved_on") for c in view["success_criteria"]}
        new = [{**c, "achieved_on": achieved.get(c["text"])} for c in new or []]
    view[e.field] = new
    view["amendments"] += 1


@_action
def status_changed(view: View, e: Any) -> None:
    view["status"] = e.status
    view["status_reason"] = e.reason
    view["status_since"] = iso(e.effective_on or e.timestamp)
    if e.status == "completed":
        view["actual_finish"] = iso(e.effective_on)
    elif e.status in ("in_progress", "not_started"):
        view["actual_finish"] = None


@_action
def progress_reported(view: View, e: Any) -> None:
    view["progress"] = e.narrative
    view["risk"] = e.risk
    view["progress_period"] = e.period
    view["progress_at"] = iso(e.timestamp)


@_action
def rag_assessed(view: View, e: Any) -> None:
    view["reported_rag"] = e.rag
    view["rag_reason"] = e.reason
    view["rag_assessed_at"] = iso(e.effective_on or e.timestamp)
    view["rag_assessed_by"] = e.actor


@_action
def milestone_achieved(view: View, e: Any) -> None:
    view["success_criteria"][e.number - 1]["achieved_on"] = iso(e.effective_on)


@_action
def indicator_measured(view: View, e: Any) -> None:
    reading = {"value": e.value, "measured_on": iso(e.effective_on)}
    view["readings"][e.name] = reading
    # Every reading, for the chart of an indicator over time.
    view.setdefault("reading_history", {}).setdefault(e.name, []).append(dict(reading))


@_action
def evidence_submitted(view: View, e: Any) -> None:
    view["evidence"].append(
        {
            "id": e.evidence_id,
            "name": e.name,
            "sha256": e.sha256,
            "size": e.size,
            "media_type": e.media_type,
            "url": e.url,
            "criterion": e.criterion,
            "note": e.note,
            "submitted_by": e.actor,
            "submitted_at": iso(e.timestamp),
            "state": "submitted",
            "decided_by": None,
            "decision_reason": None,
        }
    )


def _evidence_decided(state: str) -> Callable[[View, Any], None]:
    def decide(view: View, e: Any) -> None:
        for item in view["evidence"]:
            if item["id"] == e.evidence_id:
                item.update(state=state, decided_by=e.actor, decision_reason=e.reason)

    return decide


# Governance items


def item_opened(store: ViewStore, e: Any) -> None:
    key = str(e.originator_id)
    store.put("item", key, new_item_view(key, e))


@_item
def item_revised(view: View, e: Any) -> None:
    view["current_version"] = e.version
    view["document_name"] = e.document_name
    view["versions"][str(e.version)] = {
        "sha256": e.document_sha256,
        "at": iso(e.timestamp),
        "reason": e.reason,
    }


def _decided(approved: bool) -> Callable[[View, Any], None]:
    def decide(view: View, e: Any) -> None:
        view["decisions"][e.agency] = {
            "approved": approved,
            "body": e.body,
            "minute_ref": e.minute_ref,
            "decided_on": iso(e.effective_on),
            "version": e.version,
            "reason": e.reason,
            "actor": e.actor,
            "recorded_at": iso(e.timestamp),
        }

    return decide


@_item
def signed_off(view: View, e: Any) -> None:
    view["signed_off"] = {
        "version": e.version,
        "board": e.board,
        "minute_ref": e.minute_ref,
        "decided_on": iso(e.effective_on),
        "actor": e.actor,
        "recorded_at": iso(e.timestamp),
    }
    # Every sign-off is kept, so that a revised document still shows the earlier ones.
    view.setdefault("signoffs", []).append(dict(view["signed_off"]))


@_item
def signoff_revoked(view: View, e: Any) -> None:
    view["signed_off"] = None
    view["revocations"].append(
        {"version": e.version, "reason": e.reason, "actor": e.actor, "at": iso(e.timestamp)}
    )


# Users


def user_registered(store: ViewStore, e: Any) -> None:
    store.put("user", str(e.originator_id), new_user_view(e))


def user_roles_changed(store: ViewStore, e: Any) -> None:
    key = str(e.originator_id)
    view = store.get("user", key)
    assert view is not None, f"user {key} has no view"
    view.update(roles=list(e.roles), agency=e.agency)
    store.put("user", key, view)


_HANDLERS: dict[str, Callable[[ViewStore, Any], None]] = {
    "Plan.Registered": plan_registered,
    "Plan.GroupAdded": group_added,
    "Plan.PoliciesChanged": policies_changed,
    "Plan.PeriodClosed": period_closed,
    "Plan.PeriodClosedEarly": period_closed_early,
    "Plan.PeriodReopened": period_reopened,
    "Plan.PeriodReclosed": period_reclosed,
    "Plan.NarrativeRecorded": narrative_recorded,
    "Action.Added": action_added,
    "Action.Amended": action_amended,
    "Action.StatusChanged": status_changed,
    "Action.ProgressReported": progress_reported,
    "Action.RagAssessed": rag_assessed,
    "Action.MilestoneAchieved": milestone_achieved,
    "Action.IndicatorMeasured": indicator_measured,
    "Action.EvidenceSubmitted": evidence_submitted,
    "Action.EvidenceAccepted": _action(_evidence_decided("accepted")),
    "Action.EvidenceRejected": _action(_evidence_decided("rejected")),
    "GovernanceItem.Opened": item_opened,
    "GovernanceItem.Revised": item_revised,
    "GovernanceItem.ApprovedByAgency": _item(_decided(True)),
    "GovernanceItem.RejectedByAgency": _item(_decided(False)),
    "GovernanceItem.SignedOff": signed_off,
    "GovernanceItem.SignOffRevoked": signoff_revoked,
    "User.Registered": user_registered,
    "User.RolesChanged": user_roles_changed,
}
