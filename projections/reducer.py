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
    view["readings"][e.name] = {"value": e.value, "measured_on": iso(e.effective_on)}


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


# Plan owners, agencies and amendments; re-baselining; deactivation


@_plan
def owner_added(view: View, e: Any) -> None:
    view["owners"] = [*view.get("owners", []), e.email]


@_plan
def owner_removed(view: View, e: Any) -> None:
    view["owners"] = [o for o in view.get("owners", []) if o != e.email]


@_plan
def agency_added(view: View, e: Any) -> None:
    view["agencies"] = [*view["agencies"], e.name]
    view["retired_agencies"] = [a for a in view.get("retired_agencies", []) if a != e.name]


@_plan
def agency_renamed(view: View, e: Any) -> None:
    view["agencies"] = [e.new_name if a == e.name else a for a in view["agencies"]]
    view.setdefault("renamed_agencies", {})[e.name] = e.new_name


@_plan
def agency_retired(view: View, e: Any) -> None:
    view["agencies"] = [a for a in view["agencies"] if a != e.name]
    view["retired_agencies"] = [*view.get("retired_agencies", []), e.name]


@_plan
def plan_amended(view: View, e: Any) -> None:
    view[e.field] = iso(e.new)


@_action
def action_rebaselined(view: View, e: Any) -> None:
    view["plan_start"] = iso(e.new_start)
    view["plan_finish"] = iso(e.new_finish)
    view["amendments"] += 1


def _user_active(active: bool) -> Callable[[ViewStore, Any], None]:
    def handle(store: ViewStore, e: Any) -> None:
        key = str(e.originator_id)
        view = store.get("user", key)
        assert view is not None, f"user {key} has no view"
        view["active"] = active
        store.put("user", key, view)

    return handle


_HANDLERS: dict[str, Callable[[ViewStore, Any], None]] = {
    "Plan.Registered": plan_registered,
    "Plan.GroupAdded": group_added,
    "Plan.PoliciesChanged": policies_changed,
    "Plan.PeriodClosed": period_closed,
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
    "Plan.OwnerAdded": owner_added,
    "Plan.OwnerRemoved": owner_removed,
    "Plan.AgencyAdded": agency_added,
    "Plan.AgencyRenamed": agency_renamed,
    "Plan.AgencyRetired": agency_retired,
    "Plan.Amended": plan_amended,
    "Action.Rebaselined": action_rebaselined,
    "User.Deactivated": _user_active(False),
    "User.Reactivated": _user_active(True),
}
