"""The auditor's view, read only: the plan as of a moment, what changed between two
moments, the history with filters, an export download and the tamper-evidence check.

The replay, diff, export and verification are the audit package's; this module only
asks for them and shows the answers.
"""

from __future__ import annotations

import importlib
import io
import re
from datetime import datetime
from types import ModuleType
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from domain.errors import InvalidInput
from domain.plan import plan_id
from engine.web import reads
from engine.web.context import SignedIn, web
from engine.web.describe import describe
from engine.web.pages import page
from engine.web.times import local_input_to_utc
from projections import queries

router = APIRouter()

PAGE_SIZE = 200
FILTERS = ("subject", "actor", "kind", "since", "until")


def audit_module(name: str, needs: str) -> ModuleType | None:
    """A part of the audit package, where this installation has it."""
    try:
        module = importlib.import_module(f"engine.audit.{name}")
    except ImportError:
        return None
    return module if hasattr(module, needs) else None


def moment(value: str, label: str) -> datetime | None:
    try:
        text = local_input_to_utc(value, end=True)
    except ValueError as e:
        raise InvalidInput(f"{label}: {e}") from None
    return datetime.fromisoformat(text) if text else None


def history(request: Request, slug: str, params: dict[str, str]) -> dict[str, Any]:
    state = web(request)
    plan_view = queries.plan(state.rt.engine, slug)
    try:
        since = local_input_to_utc(params.get("since", ""), end=False)
        until = local_input_to_utc(params.get("until", ""), end=True)
    except ValueError as e:
        raise InvalidInput(str(e)) from None
    rows = queries.history_rows(
        state.rt.engine,
        plan_view,
        queries.HistoryFilter(
            subject=params.get("subject") or None,
            actor=params.get("actor") or None,
            kind=params.get("kind") or None,
            since=since,
            until=until,
        ),
    )
    people = reads.people(state.cache)
    shown = [
        {**r, "what": describe(r), "who": (people.get(r["actor"] or "") or {}).get("name")}
        for r in rows[-PAGE_SIZE:]
    ]
    shown.reverse()
    return {"rows": shown, "total": len(rows), "actors": sorted(people)}


def as_of(request: Request, slug: str, at: str) -> dict[str, Any] | None:
    module = audit_module("as_of", "document_as_of")
    when = moment(at, "As of")
    if module is None or when is None:
        return None
    doc: dict[str, Any] = module.document_as_of(web(request).rt, slug, when)
    return doc


def diff(request: Request, slug: str, start: str, end: str) -> dict[str, Any] | None:
    module = audit_module("diff", "diff_plan")
    t1, t2 = moment(start, "From"), moment(end, "To")
    if module is None or t1 is None or t2 is None:
        return None
    if t2 < t1:
        raise InvalidInput("the second moment of a comparison must come after the first")
    result: dict[str, Any] = module.diff_plan(web(request).rt, slug, t1, t2)
    return result


def audit_context(request: Request, slug: str, params: dict[str, str]) -> dict[str, Any]:
    doc = reads.document(web(request).cache, slug)
    return {
        "doc": doc,
        "slug": slug,
        "params": params,
        "limit": PAGE_SIZE,
        "subjects": [a["ref"] for a in doc["actions"]] + [g["key"] for g in doc["governance"]],
        "kinds": sorted(_KINDS),
        "asof": as_of(request, slug, params.get("at", "")),
        "diff": diff(request, slug, params.get("from", ""), params.get("to", "")),
        "can_replay": audit_module("as_of", "document_as_of") is not None,
        "can_diff": audit_module("diff", "diff_plan") is not None,
        "can_export": audit_module("export", "export_plan") is not None,
        "can_verify": can_verify(request),
        **history(request, slug, params),
    }


_KINDS = {
    "Action.Added",
    "Action.Amended",
    "Action.RagAssessed",
    "Action.StatusChanged",
    "Action.ProgressReported",
    "Action.MilestoneAchieved",
    "Action.IndicatorMeasured",
    "Action.EvidenceSubmitted",
    "Action.EvidenceAccepted",
    "Action.EvidenceRejected",
    "GovernanceItem.Opened",
    "GovernanceItem.Revised",
    "GovernanceItem.ApprovedByAgency",
    "GovernanceItem.RejectedByAgency",
    "GovernanceItem.SignedOff",
    "Plan.PeriodClosed",
}


@router.get("/plans/{slug}/audit", include_in_schema=False)
async def audit(request: Request, slug: str, viewer: SignedIn) -> Response:
    params = {k: request.query_params.get(k, "").strip() for k in (*FILTERS, "at", "from", "to")}
    context = await run_in_threadpool(audit_context, request, slug, params)
    return page(request, viewer, "audit.html", context)


def can_verify(request: Request) -> bool:
    recorder = web(request).rt.app.recorder
    return audit_module("verify", "verify_store") is not None and hasattr(recorder, "chain_head")


def export_text(request: Request, slug: str) -> str:
    module = audit_module("export", "export_plan")
    if module is None:
        raise InvalidInput("exports are not available in this installation")
    out = io.StringIO()
    module.export_plan(web(request).rt, slug, out)
    return out.getvalue()


@router.get("/plans/{slug}/audit/export", include_in_schema=False)
async def export(request: Request, slug: str, viewer: SignedIn) -> Response:
    text = await run_in_threadpool(export_text, request, slug)
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", f"{slug}-export.jsonl")
    return Response(
        text.encode("utf-8"),
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def verification(request: Request, slug: str) -> dict[str, Any]:
    if not can_verify(request):
        raise InvalidInput("this store keeps no hash chain to verify")
    module = audit_module("verify", "verify_store")
    assert module is not None
    result = module.verify_store(web(request).rt.app, plan_id(slug))
    problems = result.problems_for(str(plan_id(slug)))
    return {
        "intact": not result.problems,
        "events": result.events,
        "links": result.links,
        "plan_events": result.plan.events if result.plan else None,
        "plan_head": result.plan.head if result.plan else None,
        "problems": [p.message() for p in problems[:50]],
        "other_problems": len(result.problems) - len(problems) + result.more_problems,
        "seconds": round(result.seconds, 2),
    }


@router.get("/plans/{slug}/audit/verify", include_in_schema=False)
async def verify(request: Request, slug: str, viewer: SignedIn) -> Response:
    doc = await run_in_threadpool(reads.document, web(request).cache, slug)
    result = await run_in_threadpool(verification, request, slug)
    return page(request, viewer, "audit_verify.html", {"doc": doc, "slug": slug, "result": result})
