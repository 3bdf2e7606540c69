"""The auditor's view: the plan's history with filters, read only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from domain.errors import InvalidInput
from engine.web import reads
from engine.web.context import SignedIn, web
from engine.web.describe import describe
from engine.web.pages import page
from engine.web.times import local_input_to_utc
from projections import queries

router = APIRouter()

PAGE_SIZE = 200


def audit_context(request: Request, slug: str, params: dict[str, str]) -> dict[str, Any]:
    state = web(request)
    doc = reads.document(state.cache, slug)
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
    return {
        "doc": doc,
        "slug": slug,
        "rows": shown,
        "total": len(rows),
        "limit": PAGE_SIZE,
        "params": params,
        "subjects": [a["ref"] for a in doc["actions"]] + [g["key"] for g in doc["governance"]],
        "actors": sorted(people),
        "kinds": sorted({r["kind"] for r in rows} | _KNOWN_KINDS),
    }


_KNOWN_KINDS = {
    "Action.RagAssessed",
    "Action.StatusChanged",
    "Action.ProgressReported",
    "Action.EvidenceSubmitted",
    "GovernanceItem.ApprovedByAgency",
    "GovernanceItem.SignedOff",
    "Plan.PeriodClosed",
}


@router.get("/plans/{slug}/audit", include_in_schema=False)
async def audit(request: Request, slug: str, viewer: SignedIn) -> Response:
    params = {
        k: request.query_params.get(k, "").strip()
        for k in ("subject", "actor", "kind", "since", "until")
    }
    context = await run_in_threadpool(audit_context, request, slug, params)
    return page(request, viewer, "audit.html", context)
