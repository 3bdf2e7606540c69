"""Running plans in the browser: the plans a person runs, plan creation (admins), and
what a plan's owners do on its Manage page (owners, agencies, details, people and their
invitations, policies, governance items, assignments, re-baselining). Every change goes
through the application service, which checks the person's right again; the pages refuse
(403) anyone without it. Users are in routes.users, imports and set-up in routes.setup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from domain import permissions
from domain.errors import DomainError, InvalidInput, PermissionDenied
from domain.users import Role
from engine.web.context import SignedIn, Viewer, csrf_guard, web
from engine.web.invitations import invite
from engine.web.pages import form_fields, page
from engine.web.templating import plan_url
from projections import queries
from projections.setup import plan_setup

router = APIRouter(dependencies=[Depends(csrf_guard)])

NOTICES = {
    "owners": "The plan's owners were changed.",
    "agencies": "The plan's agencies were changed.",
    "person": "The person was added.",
    "invited": "The invitation was sent.",
    "imported": "The plan was recorded from the file.",
    "item": "The governance item was opened.",
    "setup": "The action was set up.",
    "rebaselined": "The actions were re-baselined.",
    "amended": "The plan was amended.",
    "users": "The user was changed.",
    "created": "The plan was created.",
    "policies": "The plan's policies were changed.",
    "assigned": "The action's people were changed.",
}


def managed_plan(request: Request, viewer: Viewer, slug: str) -> Any:
    """The plan, if the viewer runs it (an admin or one of its owners); 403 otherwise."""
    app = web(request).rt.app
    plan = app.plan(slug)
    permissions.require_plan_manager(app.user(viewer.email), plan, "manage")
    return plan


def notice_of(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


def back_to(slug: str, done: str, suffix: str = "/manage") -> RedirectResponse:
    return RedirectResponse(plan_url(slug, f"{suffix}?done={done}"), status_code=303)


# Plans the viewer manages, and plan creation (admins)


@router.get("/manage", include_in_schema=False)
async def manage_home(request: Request, viewer: SignedIn) -> Response:
    state = web(request)

    def context() -> dict[str, Any]:
        user = state.rt.app.user(viewer.email)
        state.rt.catch_up()
        plans = [
            p
            for p in queries.plans(state.rt.engine)
            if user.has(Role.ADMIN) or viewer.email in p.get("owners", [])
        ]
        return {"plans": plans, "is_admin": user.has(Role.ADMIN)}

    ctx = await run_in_threadpool(context)
    if not ctx["plans"] and not ctx["is_admin"]:
        raise PermissionDenied(
            f"{viewer.email} may not manage plans: only admins and plans' owners may"
        )
    return page(
        request, viewer, "manage.html", {**ctx, "active": "manage", "done": notice_of(request)}
    )


@router.post("/manage/plans", include_in_schema=False)
async def create_plan(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    f = await form_fields(request)
    slug = f.get("slug", "").strip().lower()
    await run_in_threadpool(
        lambda: state.rt.app.create_plan(
            viewer.email,
            slug,
            f.get("title", ""),
            organisation=f.get("organisation", "").strip() or None,
            agencies=[a.strip() for a in f.get("agencies", "").split(",") if a.strip()],
        )
    )
    owner = f.get("owner", "").strip()
    if owner:
        await run_in_threadpool(
            lambda: state.rt.app.add_plan_owner(viewer.email, slug, owner, "named at creation")
        )
    return back_to(slug, "created")


# One plan


def plan_context(request: Request, viewer: Viewer, slug: str) -> dict[str, Any]:
    state = web(request)
    managed_plan(request, viewer, slug)
    state.rt.catch_up()
    view = queries.plan(state.rt.engine, slug)
    people = [u for u in queries.users(state.rt.engine) if u.get("active", True)]
    return {
        "slug": slug,
        "plan": view,
        "doc": view,  # for the plan's tabs
        "people": [u for u in people if u["agency"] in view["agencies"]],
        "everyone": people,
        "setup_count": len(plan_setup(state.rt.engine, view)),
        "actions": queries.actions(state.rt.engine, view),
    }


@router.get("/plans/{slug}/manage", include_in_schema=False)
async def plan_manage(request: Request, slug: str, viewer: SignedIn) -> Response:
    ctx = await run_in_threadpool(plan_context, request, viewer, slug)
    return page(
        request, viewer, "plan_manage.html", {**ctx, "active": "manage", "done": notice_of(request)}
    )


@router.post("/plans/{slug}/manage/owners", include_in_schema=False)
async def plan_owners(request: Request, slug: str, viewer: SignedIn) -> Response:
    app = web(request).rt.app
    f = await form_fields(request)
    email, reason = f.get("email", ""), f.get("reason", "").strip() or None
    if f.get("op") == "remove":
        await run_in_threadpool(lambda: app.remove_plan_owner(viewer.email, slug, email, reason))
    else:
        await run_in_threadpool(lambda: app.add_plan_owner(viewer.email, slug, email, reason))
    return back_to(slug, "owners")


@router.post("/plans/{slug}/manage/agencies", include_in_schema=False)
async def plan_agencies(request: Request, slug: str, viewer: SignedIn) -> Response:
    app = web(request).rt.app
    f = await form_fields(request)
    op, name, reason = f.get("op", "add"), f.get("name", ""), f.get("reason", "")
    if op == "rename":
        new = f.get("new_name", "")
        await run_in_threadpool(lambda: app.rename_agency(viewer.email, slug, name, new, reason))
    elif op == "retire":
        await run_in_threadpool(lambda: app.retire_agency(viewer.email, slug, name, reason))
    else:
        await run_in_threadpool(lambda: app.add_agency(viewer.email, slug, name, reason))
    return back_to(slug, "agencies")


@router.post("/plans/{slug}/manage/amend", include_in_schema=False)
async def plan_amend(request: Request, slug: str, viewer: SignedIn) -> Response:
    app = web(request).rt.app
    f = await form_fields(request)
    await run_in_threadpool(
        lambda: app.amend_plan(
            viewer.email, slug, f.get("field", ""), f.get("value", ""), f.get("reason", "")
        )
    )
    return back_to(slug, "amended")


@router.post("/plans/{slug}/manage/people", include_in_schema=False)
async def plan_person(request: Request, slug: str, viewer: SignedIn) -> Response:
    """Add a lead or accountable officer of one of the plan's agencies, and invite them."""
    state = web(request)
    form = await request.form()
    f = {k: v for k, v in form.items() if isinstance(v, str)}
    roles = [r for r in form.getlist("roles") if isinstance(r, str)] or ["lead"]
    email = f.get("email", "").strip().lower()
    user = await run_in_threadpool(
        lambda: state.rt.app.add_plan_person(
            viewer.email, slug, email, f.get("name", ""), roles, f.get("agency", "")
        )
    )
    if f.get("invite"):
        title = (await run_in_threadpool(state.rt.app.plan, slug)).title
        await invite(request, viewer, user.email, user.name, title)
        return back_to(slug, "invited")
    return back_to(slug, "person")


@router.post("/plans/{slug}/manage/invite", include_in_schema=False)
async def plan_invite(request: Request, slug: str, viewer: SignedIn) -> Response:
    """Invite (again) someone already registered, to set their password."""
    state = web(request)
    plan = await run_in_threadpool(managed_plan, request, viewer, slug)
    f = await form_fields(request)
    user = await run_in_threadpool(state.rt.app.user, f.get("email", ""))
    if not user.active:
        raise DomainError(f"user '{user.email}' is deactivated: an admin reactivates them first")
    await invite(request, viewer, user.email, user.name, plan.title)
    return back_to(slug, "invited")


# RAG and reminder policies


RAG_FIELDS = ("display", "amber_days_before_finish", "milestone_tolerance_days",
              "indicator_tolerance_pct")  # fmt: skip
REMINDER_FIELDS = ("lead_times_working_days", "overdue_every_days", "escalate_after_days",
                   "period_request_working_days", "governance_chase_every_days")  # fmt: skip


def _setting(name: str, text: str) -> Any:
    """A typed setting from its form field; the domain checks its range."""
    text = text.strip()
    try:
        if name == "display":
            return text
        if name == "lead_times_working_days":
            return [int(v) for v in text.split(",") if v.strip()]
        if name == "indicator_tolerance_pct":
            return float(text)
        return int(text)
    except ValueError:
        raise InvalidInput(f"policy setting {name} '{text}' is not a number") from None


@router.post("/plans/{slug}/manage/policies", include_in_schema=False)
async def plan_policies(request: Request, slug: str, viewer: SignedIn) -> Response:
    from dataclasses import asdict

    app = web(request).rt.app
    f = await form_fields(request)
    plan = await run_in_threadpool(managed_plan, request, viewer, slug)
    current_rag, current_reminders = asdict(plan.rag_policy), asdict(plan.reminder_policy)
    rag = {
        n: _setting(n, f[n])
        for n in RAG_FIELDS
        if f.get(n, "").strip() and _setting(n, f[n]) != current_rag[n]
    }
    reminders = {
        n: _setting(n, f[n])
        for n in REMINDER_FIELDS
        if f.get(n, "").strip() and _setting(n, f[n]) != current_reminders[n]
    }
    await run_in_threadpool(
        lambda: app.change_policies(
            viewer.email, slug, f.get("reason", ""), rag=rag, reminders=reminders
        )
    )
    return back_to(slug, "policies")


# Governance items opened by the plan's owners


@router.post("/plans/{slug}/manage/governance", include_in_schema=False)
async def open_item(request: Request, slug: str, viewer: SignedIn) -> Response:
    state = web(request)
    form = await request.form()
    agencies = [a for a in form.getlist("agencies") if isinstance(a, str)]
    key = str(form.get("key") or "").strip()
    title = str(form.get("title") or "").strip()
    upload = form.get("document")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("a governance item needs its document")
    data = await upload.read()
    name = Path(upload.filename).name
    media = upload.content_type or "application/octet-stream"

    def record() -> None:
        with state.rt.files.storing_bytes(name, data, media) as stored:
            state.rt.app.open_item(
                viewer.email, slug, key, title or key, agencies, stored.name, stored.sha256
            )

    await run_in_threadpool(record)
    return back_to(slug, "item")


# Re-baselining several actions


@router.post("/plans/{slug}/manage/rebaseline", include_in_schema=False)
async def rebaseline(request: Request, slug: str, viewer: SignedIn) -> Response:
    app = web(request).rt.app
    form = await request.form()
    refs = [r for r in form.getlist("refs") if isinstance(r, str)]
    shift = str(form.get("shift") or "").strip()
    reason = str(form.get("reason") or "")
    await run_in_threadpool(
        lambda: app.rebaseline_actions(viewer.email, slug, reason, shift=shift, refs=refs)
    )
    return back_to(slug, "rebaselined")
