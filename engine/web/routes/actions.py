"""A lead's home (My actions), the action page, its update form and its evidence."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from domain.action import MAX_EVIDENCE_BYTES
from domain.errors import Conflict, DomainError, NotFound
from engine.adapters.files import ALLOWED_MEDIA_TYPES
from engine.web import reads
from engine.web.context import (
    SignedIn,
    SignedInForAction,
    Viewer,
    csrf_guard,
    read_positions,
    web,
)
from engine.web.describe import describe
from engine.web.errors import domain_status
from engine.web.pages import form_fields, page, safe_next, stored_download
from engine.web.security import DOWNLOAD_HEADERS
from engine.web.templating import action_url
from engine.web.updates import UpdateForm, Upload, apply_update, clean_name, refused_field
from projections import queries

router = APIRouter(dependencies=[Depends(csrf_guard)])

ACCEPT = ",".join(
    sorted({".pdf", ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods", ".ppt", ".pptx", ".txt",
            ".csv", ".md", ".png", ".jpg", ".jpeg", ".eml"})
)  # fmt: skip


def upload_hints() -> dict[str, Any]:
    return {
        "accept": ACCEPT,
        "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024),
    }


@router.get("/", include_in_schema=False)
async def home(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    mine = await run_in_threadpool(reads.my_actions, state.cache, viewer.email)
    sections = [
        ("Overdue", "overdue", [m for m in mine if m.action["overdue"]]),
        ("Due in the next four weeks", "due-soon", [m for m in mine if m.due_soon]),
        (
            "Waiting for an update this period",
            "needs-update",
            [m for m in mine if m.needs_update and not m.action["overdue"] and not m.due_soon],
        ),
    ]
    sections.append(
        (
            "Up to date",
            "up-to-date",
            [m for m in mine if not (m.action["overdue"] or m.due_soon or m.needs_update)],
        )
    )
    return page(
        request,
        viewer,
        "home.html",
        {
            "sections": sections,
            "count": len(mine),
            "hints": upload_hints(),
            "next_statuses": reads.NEXT_STATUSES,
        },
    )


def action_data(state: Any, slug: str, ref: str, at: Any = None) -> dict[str, Any]:
    """The action as assessed, with its history, computed once per read-model change."""

    def compute() -> dict[str, Any]:
        doc = reads.document(state.cache, slug, at)
        action = reads.find_action(doc, ref)
        plan_view = queries.plan(state.rt.engine, slug)
        rows = queries.history_rows(state.rt.engine, plan_view, queries.HistoryFilter(subject=ref))
        people = reads.people(state.cache)
        timeline = [
            {
                **r,
                "what": describe(r),
                "who": (people.get(r["actor"] or "") or {}).get("name") or r["actor"],
            }
            for r in reversed(rows)
        ]
        group = next((g for g in doc["groups"] if g["ref"] == action["group"]), None)
        return {"doc": doc, "action": action, "timeline": timeline, "group": group}

    if at is None:
        at = state.cache.positions()
    data: dict[str, Any] = state.cache.get(("action", slug, ref), compute, at)
    return data


def indicator_charts(action: dict[str, Any]) -> dict[str, Any]:
    """Each indicator's readings over time against its target and red threshold."""
    from engine.reports.indicators import indicator_svg, readings_of

    return {
        i["name"]: indicator_svg(
            i["name"],
            i.get("unit") or "",
            readings_of(action, i["name"]),
            i["target"],
            i.get("red_threshold"),
        )
        for i in action.get("indicators") or []
    }


def action_page(
    request: Request,
    viewer: Viewer,
    slug: str,
    ref: str,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    error_field: str = "status",
    conflict: bool = False,
    status_code: int = 200,
    at: Any = None,
) -> Response:
    state = web(request)
    data = action_data(state, slug, ref, at)
    action = data["action"]
    return page(
        request,
        viewer,
        "action.html",
        {
            **data,
            "slug": slug,
            "can_update": reads.may_update(action, viewer.email),
            "is_accountable": reads.is_accountable(action, viewer.email),
            "next_statuses": reads.NEXT_STATUSES.get(action["status"], []),
            "typed": typed or {},
            "error": error,
            # The form's fields are named u-<field>: the problem links to its own.
            "errors": [(f"u-{error_field.replace('_', '-')}", error)] if error else [],
            "conflict": conflict,
            "hints": upload_hints(),
            "period_label": reads.period_label(data["doc"]["period"]),
            "indicator_charts": indicator_charts(action),
        },
        status_code=status_code,
    )


@router.get("/plans/{slug}/actions/{ref}", include_in_schema=False)
async def show_action(request: Request, slug: str, ref: str, viewer: SignedInForAction) -> Response:
    at = read_positions(request)
    if web(request).cache.peek(("action", slug, ref), at) is not None:
        # Already worked out for this state of the read models: answer without a thread.
        return action_page(request, viewer, slug, ref, at=at)
    return await run_in_threadpool(action_page, request, viewer, slug, ref, at=at)


async def read_upload(request: Request) -> Upload | None:
    form = await request.form()
    file = form.get("evidence")
    if not isinstance(file, UploadFile) or not file.filename:
        return None
    data = await file.read(MAX_EVIDENCE_BYTES + 1)
    return Upload(clean_name(file.filename), data, file.content_type)


@router.post("/plans/{slug}/actions/{ref}/update", include_in_schema=False)
async def update_action(
    request: Request, slug: str, ref: str, viewer: SignedInForAction
) -> Response:
    state = web(request)
    fields = await form_fields(request)
    upload = await read_upload(request)
    try:
        form = UpdateForm.from_fields(fields, upload)
    except DomainError as e:
        return await run_in_threadpool(
            action_page, request, viewer, slug, ref, typed=fields, error=str(e),
            error_field=refused_field(e), status_code=400,
        )  # fmt: skip
    doc = await run_in_threadpool(reads.document, state.cache, slug)
    try:
        await run_in_threadpool(
            apply_update, state.rt, viewer.email, slug, ref, form, doc["period"]
        )
    except Conflict:
        # Show the newer state and keep what the person typed, so nothing is lost.
        return await run_in_threadpool(
            action_page, request, viewer, slug, ref, typed=form.typed(), conflict=True,
            status_code=409,
        )  # fmt: skip
    except DomainError as e:
        status, _ = domain_status(e)
        return await run_in_threadpool(
            action_page, request, viewer, slug, ref, typed=form.typed(), error=str(e),
            error_field=refused_field(e), status_code=status,
        )  # fmt: skip
    target = safe_next(fields.get("next")) if fields.get("next") else action_url(slug, ref)
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}done=updated", status_code=303)


@router.get("/plans/{slug}/actions/{ref}/evidence/{evidence_id}", include_in_schema=False)
async def evidence_file(
    request: Request,
    slug: str,
    ref: str,
    evidence_id: str,
    viewer: SignedInForAction,
) -> Response:
    state = web(request)
    data = await run_in_threadpool(action_data, state, slug, ref)
    item = next((e for e in data["action"]["evidence"] if e["id"] == evidence_id), None)
    if item is None or not item["sha256"]:
        raise NotFound(f"action {ref} has no evidence file {evidence_id}")
    return stored_download(
        request,
        item["sha256"],
        item["name"],
        served_media_type(item["media_type"]),
        f"the file of evidence {evidence_id} is missing from the file store",
        headers=DOWNLOAD_HEADERS,
    )


def served_media_type(stored: str | None) -> str:
    """The stored type when it is one evidence may be; anything else (HTML or SVG in a
    store written before the list, say) as bytes a browser will only save."""
    return stored if stored in ALLOWED_MEDIA_TYPES else "application/octet-stream"


@router.post("/plans/{slug}/actions/{ref}/evidence/{evidence_id}/decision", include_in_schema=False)
async def decide_evidence(
    request: Request,
    slug: str,
    ref: str,
    evidence_id: str,
    viewer: SignedInForAction,
) -> Response:
    state = web(request)
    fields = await form_fields(request)
    accept = fields.get("decision") == "accept"
    await run_in_threadpool(
        state.rt.app.decide_evidence, viewer.email, slug, ref, evidence_id, accept,
        fields.get("reason", "").strip() or None,
    )  # fmt: skip
    return RedirectResponse(action_url(slug, ref) + "?done=evidence", status_code=303)
