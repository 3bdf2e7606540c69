"""The plans list, a plan's dashboard and its governance sign-off matrix."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from domain.errors import Conflict, InvalidInput, NotFound
from domain.users import Role
from engine.web import chart, reads
from engine.web.context import SignedIn, Viewer, csrf_guard, read_positions, web
from engine.web.pages import form_fields, page, picked_date, stored_download
from engine.web.templating import fragment, plan_url
from projections import queries

router = APIRouter(dependencies=[Depends(csrf_guard)])


@router.get("/plans", include_in_schema=False)
async def plan_list(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    plans = await run_in_threadpool(reads.plans, state.cache)
    counts = await run_in_threadpool(queries.action_counts, state.rt.engine)
    return page(request, viewer, "plans.html", {"plans": plans, "counts": counts})


def dashboard_body(request: Request, slug: str, filters: reads.Filters) -> tuple[Any, Markup]:
    """The plan and the dashboard's content, rendered once per read-model change and
    filter choice: it is the same for everyone who may see the plan."""
    state = web(request)
    at = read_positions(request)
    doc = reads.document(state.cache, slug, at)

    def compute() -> Markup:
        return fragment(
            "dashboard_body.html",
            {
                "doc": doc,
                "view": reads.dashboard(doc, filters),
                "filters": filters,
                "choices": reads.filter_choices(doc),
                "chart": Markup(chart.rag_chart(doc["period_summaries"])),
                "legend": chart.legend(),
                "period_label": reads.period_label(doc["period"]),
            },
        )

    body: Markup = state.cache.get(("dashboard", slug, filters.key()), compute, at)
    return doc, body


@router.get("/plans/{slug}", include_in_schema=False)
async def plan_dashboard(
    request: Request,
    viewer: SignedIn,
    slug: str,
    rag: str = "",
    lead: str = "",
    agency: str = "",
    group: str = "",
) -> Response:
    filters = reads.Filters(rag=rag, lead=lead, agency=agency, group=group)
    state = web(request)
    at = read_positions(request)
    doc = state.cache.peek(("document", slug), at)
    body = state.cache.peek(("dashboard", slug, filters.key()), at)
    if doc is None or body is None:
        doc, body = await run_in_threadpool(dashboard_body, request, slug, filters)
    return page(request, viewer, "dashboard.html", {"doc": doc, "body": body, "slug": slug})


# Which field of the decision form a refusal is about, by the words of the rule that
# refused it (domain.governance): the error summary links to that field.
DECISION_FIELDS = (("governing body", "body"), ("reason", "reason"), ("date", "date"))


def decision_field(message: str) -> str:
    return next((f for words, f in DECISION_FIELDS if words in message), "body")


def governance_context(request: Request, viewer: Viewer, slug: str) -> dict[str, Any]:
    state = web(request)
    doc = reads.document(state.cache, slug)
    plan_view = queries.plan(state.rt.engine, slug)
    raw = {i["key"]: i for i in queries.items(state.rt.engine, plan_view)}
    is_approver = viewer.has(Role.APPROVER) and viewer.agency in doc["agencies"]
    rows = []
    for row in doc["governance"]:
        mine = next((c for c in row["agencies"] if c["agency"] == viewer.agency), None)
        rows.append(
            {
                **row,
                "item": raw.get(row["key"], {}),
                "waiting_for_me": bool(is_approver and mine and mine["state"] != "approved"),
                "my_cell": mine if is_approver else None,
                "pending": [c["agency"] for c in row["agencies"] if c["state"] != "approved"],
            }
        )
    return {
        "doc": doc,
        "slug": slug,
        "rows": rows,
        "errors": [],
        "refused": None,
        "is_approver": is_approver,
        "is_secretary": viewer.has(Role.SECRETARY),
        # The plan's own today: a demo plan is shown, and decided on, as of its last day.
        "today": reads.plan_today(plan_view).isoformat(),
    }


@router.get("/plans/{slug}/governance", include_in_schema=False)
async def governance(request: Request, slug: str, viewer: SignedIn) -> Response:
    context = await run_in_threadpool(governance_context, request, viewer, slug)
    return page(request, viewer, "governance.html", context)


def _version(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@router.post("/plans/{slug}/governance/{key}/decision", include_in_schema=False)
async def decide_item(request: Request, slug: str, key: str, viewer: SignedIn) -> Response:
    state = web(request)
    fields = await form_fields(request)
    approve = fields.get("decision") == "approve"

    def decide() -> None:
        state.rt.app.decide_item(
            viewer.email,
            slug,
            key,
            fields.get("agency", ""),
            approve,
            fields.get("body", ""),
            picked_date(fields.get("decided_on", ""), "The decision date"),
            minute_ref=fields.get("minute_ref", "").strip() or None,
            version=_version(fields.get("version", "")),
            reason=fields.get("reason", "").strip() or None,
        )

    try:
        await run_in_threadpool(decide)
    except (InvalidInput, Conflict) as e:
        # The page again, the problem at the top and beside its field, what was typed kept.
        context = await run_in_threadpool(governance_context, request, viewer, slug)
        index = next((n for n, r in enumerate(context["rows"], 1) if r["key"] == key), 0)
        if not index:
            raise
        field = f"{decision_field(str(e))}-{index}"
        context.update(errors=[(field, str(e))], refused={"key": key, "typed": fields})
        status = 409 if isinstance(e, Conflict) else 400
        return page(request, viewer, "governance.html", context, status_code=status)
    return RedirectResponse(plan_url(slug, "/governance?done=decided"), status_code=303)


@router.post("/plans/{slug}/governance/{key}/sign-off", include_in_schema=False)
async def sign_off(request: Request, slug: str, key: str, viewer: SignedIn) -> Response:
    state = web(request)
    fields = await form_fields(request)
    await run_in_threadpool(
        lambda: state.rt.app.sign_off(
            viewer.email,
            slug,
            key,
            fields.get("board", "").strip(),
            picked_date(fields.get("decided_on", ""), "The sign-off date"),
            minute_ref=fields.get("minute_ref", "").strip() or None,
            version=_version(fields.get("version", "")),
        )
    )
    return RedirectResponse(plan_url(slug, "/governance?done=signed-off"), status_code=303)


@router.get("/plans/{slug}/governance/{key}/document/{version}", include_in_schema=False)
async def item_document(
    request: Request, slug: str, key: str, version: str, viewer: SignedIn
) -> Response:
    state = web(request)
    plan_view = await run_in_threadpool(queries.plan, state.rt.engine, slug)
    items = await run_in_threadpool(queries.items, state.rt.engine, plan_view)
    item = next((i for i in items if i["key"] == key), None)
    entry = (item or {}).get("versions", {}).get(version)
    if item is None or entry is None:
        raise NotFound(f"governance item '{key}' has no version {version}")
    return stored_download(
        request,
        entry["sha256"],
        f"v{version}-{item['document_name']}",
        "application/octet-stream",
        f"version {version} of '{key}' is not in the file store",
    )
