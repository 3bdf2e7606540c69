"""How each event changes the views. Used by the SQL read model and by in-memory replays.

Each event class has its handler, found by the event's class (``functools.singledispatch``),
or is named in IGNORED. An event of any other class is an error, not skipped: a read model
that silently missed a kind of event would go on showing something the record does not say.
tests/test_event_handlers.py fails when an aggregate declares an event that is in neither.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import singledispatch
from typing import Protocol, TypeVar

from domain.action import Action
from domain.base import TrailAggregate
from domain.chain_adoption import ChainAdoption
from domain.dispatch import Dispatch
from domain.governance import AgencyDecision, GovernanceItem
from domain.plan import Plan
from domain.users import User
from projections.views import (
    View,
    id_text,
    iso,
    moment_text,
    new_action_view,
    new_item_view,
    new_plan_view,
    new_user_view,
)

E = TypeVar("E", bound=TrailAggregate.Event)

# Events that change no view: the reminder outbox reads the dispatches itself.
# Events that change no view, named so that leaving them out is a decision: the outbox
# follows Dispatch's events itself, and an admin's adoption of unchained events is read
# by `verify` and `history`, not by the views.
IGNORED: frozenset[type[TrailAggregate.Event]] = frozenset(
    {
        Dispatch.Queued,
        Dispatch.Claimed,
        Dispatch.Sent,
        Dispatch.Failed,
        ChainAdoption.Adopted,
    }
)


class ViewStore(Protocol):
    def get(self, kind: str, key: str) -> View | None: ...

    def put(self, kind: str, key: str, view: View) -> None: ...


class UnhandledEvent(TypeError):
    """An event of a class that has no handler here and is not declared as ignored."""


def event_kind(event: object) -> str:
    """'Action.RagAssessed' and the like: the aggregate and the event's name, as the
    history keeps it."""
    return type(event).__qualname__


def apply_event(store: ViewStore, event: object) -> None:
    kind = type(event)
    handler = _handler_of.get(kind)
    if handler is None:
        handler = _handler_of[kind] = _apply.dispatch(kind)
    handler(event, store)


# Each class's handler as found by `_apply`, looked up directly: a rebuild applies
# hundreds of thousands of events, and singledispatch's own lookup costs more.
_handler_of: dict[type, Callable[[object, ViewStore], None]] = {}


@singledispatch
def _apply(event: object, store: ViewStore) -> None:
    kind = type(event)
    raise UnhandledEvent(
        f"no read-model handler for {kind.__module__}:{kind.__qualname__}: add one in "
        "projections/reducer.py, or name the class in IGNORED there"
    )


def _ignore(event: TrailAggregate.Event, store: ViewStore) -> None:
    pass


for _ignored in IGNORED:
    _apply.register(_ignored, _ignore)


def handles(
    cls: type[E],
) -> Callable[[Callable[[E, ViewStore], None]], Callable[[E, ViewStore], None]]:
    """Registers the decorated function as the handler of the event class ``cls``."""

    def register(fn: Callable[[E, ViewStore], None]) -> Callable[[E, ViewStore], None]:
        _apply.register(cls, fn)
        _handler_of.clear()
        return fn

    return register


def handled_classes() -> frozenset[type]:
    """The event classes that have a handler of their own."""
    return frozenset(c for c in _apply.registry if c is not object and c not in IGNORED)


def _touch(view: View, e: TrailAggregate.Event) -> None:
    view["updated_at"] = iso(e.timestamp)
    if "version" in view:
        view["version"] = e.originator_version


def _updating(
    kind: str, what: str
) -> Callable[[Callable[[View, E], None]], Callable[[E, ViewStore], None]]:
    """A handler that changes the existing view of the event's aggregate."""

    def wrap(fn: Callable[[View, E], None]) -> Callable[[E, ViewStore], None]:
        def handle(e: E, store: ViewStore) -> None:
            key = id_text(e.originator_id)
            view = store.get(kind, key)
            assert view is not None, f"{what} {key} has no view"
            fn(view, e)
            # _touch, inline: this runs for nearly every event.
            view["updated_at"] = moment_text(e.timestamp)
            if "version" in view:
                view["version"] = e.originator_version
            store.put(kind, key, view)

        return handle

    return wrap


_plan = _updating("plan", "plan")
_action = _updating("action", "action")
_item = _updating("item", "governance item")


# Plans


@handles(Plan.Registered)
def plan_registered(e: Plan.Registered, store: ViewStore) -> None:
    key = id_text(e.originator_id)
    store.put("plan", key, new_plan_view(key, e))


@handles(Plan.GroupAdded)
@_plan
def group_added(view: View, e: Plan.GroupAdded) -> None:
    view["groups"].append(
        {
            "ref": e.ref,
            "title": e.title,
            "parent": e.parent,
            "page": e.page,
            "evidence_expected": list(e.evidence_expected),
        }
    )


@handles(Plan.PoliciesChanged)
@_plan
def policies_changed(view: View, e: Plan.PoliciesChanged) -> None:
    view["rag_policy"] = dict(e.rag)
    view["reminder_policy"] = dict(e.reminders)


@handles(Plan.PeriodClosed)
def period_closed(e: Plan.PeriodClosed, store: ViewStore) -> None:
    _freeze_period(e, store)


def _freeze_period(
    e: Plan.PeriodClosed | Plan.PeriodClosedEarly | Plan.PeriodReclosed, store: ViewStore
) -> None:
    """What every close keeps: the period in the plan's list, and its frozen view."""
    key = id_text(e.originator_id)
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


@handles(Plan.PeriodClosedEarly)
def period_closed_early(e: Plan.PeriodClosedEarly, store: ViewStore) -> None:
    _freeze_period(e, store)
    _amend_period(store, e, early=True, early_reason=e.reason)


@handles(Plan.PeriodReopened)
def period_reopened(e: Plan.PeriodReopened, store: ViewStore) -> None:
    """The period is open again; what its first close froze stays in its view (a report
    or an as-of view between the closes shows it) beside when and why it reopened."""
    key = id_text(e.originator_id)
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


@handles(Plan.PeriodReclosed)
def period_reclosed(e: Plan.PeriodReclosed, store: ViewStore) -> None:
    key = id_text(e.originator_id)
    before = store.get("period", f"{key}:{e.period}") or {}
    earlier = {k: before[k] for k in ("closed_at", "closed_by", "as_of", "lists") if k in before}
    _freeze_period(e, store)
    _amend_period(
        store,
        e,
        early=e.early,
        early_reason=e.reason if e.early else None,
        reclose_reason=None if e.early else e.reason,
        reopenings=before.get("reopenings", []),
        earlier_closes=[*before.get("earlier_closes", []), earlier],
    )


def _amend_period(
    store: ViewStore,
    e: Plan.PeriodClosedEarly | Plan.PeriodReclosed,
    **changes: object,
) -> None:
    period_key = f"{e.originator_id}:{e.period}"
    period = store.get("period", period_key)
    assert period is not None
    period.update(changes, state="closed")
    store.put("period", period_key, period)


@handles(Plan.NarrativeRecorded)
@_plan
def narrative_recorded(view: View, e: Plan.NarrativeRecorded) -> None:
    narratives = view.setdefault("narratives", {})
    narratives[e.period] = {
        "overview": e.overview,
        "risks": e.risks,
        "issues": e.issues,
        "by": e.actor,
        "at": iso(e.timestamp),
    }


# Actions


def _when(e: Action.StatusChanged | Action.RagAssessed) -> str:
    """The day it took effect, or else the moment it was recorded."""
    effective = e.effective_on
    return effective.isoformat() if effective else moment_text(e.timestamp)


@handles(Action.Added)
def action_added(e: Action.Added, store: ViewStore) -> None:
    key = id_text(e.originator_id)
    store.put("action", key, new_action_view(key, e))


@handles(Action.Amended)
@_action
def action_amended(view: View, e: Action.Amended) -> None:
    new = iso(e.new)
    if e.field == "success_criteria":
        achieved = {c["text"]: c.get("achieved_on") for c in view["success_criteria"]}
        new = [{**c, "achieved_on": achieved.get(c["text"])} for c in new or []]
    view[e.field] = new
    view["amendments"] += 1


@handles(Action.StatusChanged)
@_action
def status_changed(view: View, e: Action.StatusChanged) -> None:
    view["status"] = e.status
    view["status_reason"] = e.reason
    view["status_since"] = _when(e)
    if e.status == "completed":
        view["actual_finish"] = iso(e.effective_on)
    elif e.status in ("in_progress", "not_started"):
        view["actual_finish"] = None


@handles(Action.ProgressReported)
@_action
def progress_reported(view: View, e: Action.ProgressReported) -> None:
    view["progress"] = e.narrative
    view["risk"] = e.risk
    view["progress_period"] = e.period
    view["progress_at"] = moment_text(e.timestamp)


@handles(Action.RagAssessed)
@_action
def rag_assessed(view: View, e: Action.RagAssessed) -> None:
    view["reported_rag"] = e.rag
    view["rag_reason"] = e.reason
    view["rag_assessed_at"] = _when(e)
    view["rag_assessed_by"] = e.actor


@handles(Action.MilestoneAchieved)
@_action
def milestone_achieved(view: View, e: Action.MilestoneAchieved) -> None:
    view["success_criteria"][e.number - 1]["achieved_on"] = iso(e.effective_on)


@handles(Action.IndicatorMeasured)
@_action
def indicator_measured(view: View, e: Action.IndicatorMeasured) -> None:
    reading = {"value": e.value, "measured_on": iso(e.effective_on)}
    view["readings"][e.name] = reading
    # Every reading, for the chart of an indicator over time.
    view.setdefault("reading_history", {}).setdefault(e.name, []).append(dict(reading))


@handles(Action.EvidenceSubmitted)
@_action
def evidence_submitted(view: View, e: Action.EvidenceSubmitted) -> None:
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


def _evidence_decided(
    view: View, e: Action.EvidenceAccepted | Action.EvidenceRejected, state: str
) -> None:
    for item in view["evidence"]:
        if item["id"] == e.evidence_id:
            item.update(state=state, decided_by=e.actor, decision_reason=e.reason)


@handles(Action.EvidenceAccepted)
@_action
def evidence_accepted(view: View, e: Action.EvidenceAccepted) -> None:
    _evidence_decided(view, e, "accepted")


@handles(Action.EvidenceRejected)
@_action
def evidence_rejected(view: View, e: Action.EvidenceRejected) -> None:
    _evidence_decided(view, e, "rejected")


# Governance items


@handles(GovernanceItem.Opened)
def item_opened(e: GovernanceItem.Opened, store: ViewStore) -> None:
    key = id_text(e.originator_id)
    store.put("item", key, new_item_view(key, e))


@handles(GovernanceItem.Revised)
@_item
def item_revised(view: View, e: GovernanceItem.Revised) -> None:
    view["current_version"] = e.version
    view["document_name"] = e.document_name
    view["versions"][str(e.version)] = {
        "sha256": e.document_sha256,
        "at": iso(e.timestamp),
        "reason": e.reason,
    }


def _decided(
    view: View,
    e: AgencyDecision,
    approved: bool,
) -> None:
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


@handles(GovernanceItem.ApprovedByAgency)
@_item
def approved_by_agency(view: View, e: GovernanceItem.ApprovedByAgency) -> None:
    _decided(view, e, approved=True)


@handles(GovernanceItem.RejectedByAgency)
@_item
def rejected_by_agency(view: View, e: GovernanceItem.RejectedByAgency) -> None:
    _decided(view, e, approved=False)


@handles(GovernanceItem.SignedOff)
@_item
def signed_off(view: View, e: GovernanceItem.SignedOff) -> None:
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


@handles(GovernanceItem.SignOffRevoked)
@_item
def signoff_revoked(view: View, e: GovernanceItem.SignOffRevoked) -> None:
    view["signed_off"] = None
    view["revocations"].append(
        {"version": e.version, "reason": e.reason, "actor": e.actor, "at": iso(e.timestamp)}
    )


# Users


@handles(User.Registered)
def user_registered(e: User.Registered, store: ViewStore) -> None:
    store.put("user", id_text(e.originator_id), new_user_view(e))


@handles(User.RolesChanged)
def user_roles_changed(e: User.RolesChanged, store: ViewStore) -> None:
    key = id_text(e.originator_id)
    view = store.get("user", key)
    assert view is not None, f"user {key} has no view"
    view.update(roles=list(e.roles), agency=e.agency)
    store.put("user", key, view)


# Plan owners, agencies and amendments; re-baselining; deactivation


@handles(Plan.OwnerAdded)
@_plan
def owner_added(view: View, e: Plan.OwnerAdded) -> None:
    view["owners"] = [*view.get("owners", []), e.email]


@handles(Plan.OwnerRemoved)
@_plan
def owner_removed(view: View, e: Plan.OwnerRemoved) -> None:
    view["owners"] = [o for o in view.get("owners", []) if o != e.email]


@handles(Plan.AgencyAdded)
@_plan
def agency_added(view: View, e: Plan.AgencyAdded) -> None:
    view["agencies"] = [*view["agencies"], e.name]
    view["retired_agencies"] = [a for a in view.get("retired_agencies", []) if a != e.name]


@handles(Plan.AgencyRenamed)
@_plan
def agency_renamed(view: View, e: Plan.AgencyRenamed) -> None:
    view["agencies"] = [e.new_name if a == e.name else a for a in view["agencies"]]
    view.setdefault("renamed_agencies", {})[e.name] = e.new_name


@handles(Plan.AgencyRetired)
@_plan
def agency_retired(view: View, e: Plan.AgencyRetired) -> None:
    view["agencies"] = [a for a in view["agencies"] if a != e.name]
    view["retired_agencies"] = [*view.get("retired_agencies", []), e.name]


@handles(Plan.Amended)
@_plan
def plan_amended(view: View, e: Plan.Amended) -> None:
    view[e.field] = iso(e.new)


@handles(Action.Rebaselined)
@_action
def action_rebaselined(view: View, e: Action.Rebaselined) -> None:
    view["plan_start"] = iso(e.new_start)
    view["plan_finish"] = iso(e.new_finish)
    view["amendments"] += 1


@handles(Action.SheetImported)
@_action
def sheet_imported(view: View, e: Action.SheetImported) -> None:
    # The base a later import is compared with: each field as the sheet last gave it,
    # and the action's version when it did (changes after it are the application's).
    was = view.get("imported") or {"cells": {}, "since": {}}
    view["imported"] = {
        "file": e.file,
        "digest": e.digest,
        "at": iso(e.timestamp),
        "cells": {**was["cells"], **iso(e.cells)},
        "since": {**was["since"], **{name: e.originator_version for name in e.cells}},
    }


def _set_user_active(
    e: User.Deactivated | User.Reactivated, store: ViewStore, active: bool
) -> None:
    key = id_text(e.originator_id)
    view = store.get("user", key)
    assert view is not None, f"user {key} has no view"
    view["active"] = active
    store.put("user", key, view)


@handles(User.Deactivated)
def user_deactivated(e: User.Deactivated, store: ViewStore) -> None:
    _set_user_active(e, store, False)


@handles(User.Reactivated)
def user_reactivated(e: User.Reactivated, store: ViewStore) -> None:
    _set_user_active(e, store, True)
