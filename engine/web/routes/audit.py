"""The auditor's view, read only: the plan as of a moment or as it was on a date, what
changed between two moments, the history with filters, an export download and the
tamper-evidence check.

The replay, diff, export and verification are the audit package's (engine.web.auditing
asks for them); this module only shows the answers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from domain.errors import InvalidInput
from engine.web import auditing, reads
from engine.web.context import SignedIn, web
from engine.web.describe import describe
from engine.web.pages import page
from engine.web.times import local_input_to_utc
from projections import queries

router = APIRouter()

PAGE_SIZE = 200
FILTERS = ("subject", "actor", "kind", "since", "until")
REPLAYS = ("at", "on", "from", "to")


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


def past(request: Request, slug: str, params: dict[str, str]) -> dict[str, Any] | None:
    """The plan as of a moment (`at`) or as it was on a date (`on`), whichever was asked."""
    rt = web(request).rt
    at = auditing.moment(params.get("at"), "As of")
    on = auditing.day(params.get("on"), "Effective on")
    if at is not None and on is not None:
        raise InvalidInput("show the plan as of a moment or as it was on a date, not both")
    if at is not None:
        return auditing.plan_as_of(rt, slug, at)
    if on is not None:
        return auditing.plan_effective(rt, slug, on)
    return None


def diff(request: Request, slug: str, params: dict[str, str]) -> dict[str, Any] | None:
    start = auditing.moment(params.get("from"), "From")
    end = auditing.moment(params.get("to"), "To")
    if start is None or end is None:
        return None
    return auditing.plan_diff(web(request).rt, slug, start, end)


def audit_context(request: Request, slug: str, params: dict[str, str]) -> dict[str, Any]:
    doc = reads.document(web(request).cache, slug)
    return {
        "doc": doc,
        "slug": slug,
        "params": params,
        "limit": PAGE_SIZE,
        "subjects": [a["ref"] for a in doc["actions"]] + [g["key"] for g in doc["governance"]],
        "kinds": sorted(_KINDS),
        "past": past(request, slug, params),
        "diff": diff(request, slug, params),
        "today": doc["as_of"],
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
    params = {k: request.query_params.get(k, "").strip() for k in (*FILTERS, *REPLAYS)}
    context = await run_in_threadpool(audit_context, request, slug, params)
    return page(request, viewer, "audit.html", context)


@router.get("/plans/{slug}/audit/export", include_in_schema=False)
async def export(request: Request, slug: str, viewer: SignedIn) -> Response:
    chunks = await run_in_threadpool(auditing.export_stream, web(request).rt, slug)
    return StreamingResponse(
        chunks,
        media_type=auditing.EXPORT_MEDIA_TYPE,
        headers=auditing.attachment(auditing.download_name(slug, "export.jsonl")),
    )


@router.get("/plans/{slug}/audit/verify", include_in_schema=False)
async def verify(request: Request, slug: str, viewer: SignedIn) -> Response:
    doc = await run_in_threadpool(reads.document, web(request).cache, slug)
    result = await run_in_threadpool(auditing.verification, web(request).rt, slug)
    return page(
        request,
        viewer,
        "audit_verify.html",
        {"doc": doc, "slug": slug, "result": result, "shown": auditing.PROBLEMS_SHOWN},
    )
