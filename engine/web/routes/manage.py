"""Running plans in the browser: admins' user pages, and what a plan's owners do (owners,
agencies, people and invitations, imports with their dry run, governance items, the
set-up list, re-baselining). Every change goes through the application service, which
checks the person's right again; the pages refuse (403) anyone without it."""

from __future__ import annotations

import secrets
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from domain import permissions
from domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from domain.users import Role
from domain.values import Person, Recurrence
from engine.web.context import SignedIn, Viewer, csrf_guard, web
from engine.web.pages import form_fields, page, set_session
from engine.web.templating import plan_url
from projections import queries
from projections.setup import plan_setup

router = APIRouter(dependencies=[Depends(csrf_guard)])

IMPORT_SUFFIXES = (".csv", ".tsv", ".xlsx", ".docx")
MAX_IMPORT_BYTES = 10 * 1024 * 1024

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


def _user(request: Request, viewer: Viewer) -> Any:
    return web(request).rt.app.user(viewer.email)


def managed_plan(request: Request, viewer: Viewer, slug: str) -> Any:
    """The plan, if the viewer runs it (an admin or one of its owners); 403 otherwise."""
    app = web(request).rt.app
    plan = app.plan(slug)
    permissions.require_plan_manager(app.user(viewer.email), plan, "manage")
    return plan


def _require_admin(request: Request, viewer: Viewer, doing: str) -> None:
    permissions.require_admin(_user(request, viewer), doing)


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("done", ""))


def _back(slug: str, done: str, suffix: str = "/manage") -> RedirectResponse:
    return RedirectResponse(plan_url(slug, f"{suffix}?done={done}"), status_code=303)


def _date(value: str, label: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{label} '{value}' is not a date (use the date picker)") from None


# Plans the viewer manages, and plan creation (admins)


@router.get("/manage", include_in_schema=False)
async def manage_home(request: Request, viewer: SignedIn) -> Response:
    state = web(request)

    def context() -> dict[str, Any]:
        user = state.rt.app.user(viewer.email)
        state.rt.runner.catch_up()
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
        request, viewer, "manage.html", {**ctx, "active": "manage", "done": _notice(request)}
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
    return _back(slug, "created")


# Users (admins)


@router.get("/manage/users", include_in_schema=False)
async def users_page(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    await run_in_threadpool(_require_admin, request, viewer, "manage users")

    def context() -> dict[str, Any]:
        state.rt.runner.catch_up()
        return {"users": queries.users(state.rt.engine), "roles": [r.value for r in Role]}

    ctx = await run_in_threadpool(context)
    return page(
        request, viewer, "users.html", {**ctx, "active": "manage", "done": _notice(request)}
    )


@router.post("/manage/users", include_in_schema=False)
async def add_user(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    form = await request.form()
    f = {k: v for k, v in form.items() if isinstance(v, str)}
    roles = [r for r in form.getlist("roles") if isinstance(r, str)]
    email = f.get("email", "").strip().lower()
    await run_in_threadpool(
        lambda: state.rt.app.add_user(
            viewer.email,
            email,
            f.get("name", ""),
            roles,
            agency=f.get("agency", "").strip() or None,
        )
    )
    if f.get("invite"):
        await _invite(request, viewer, email, f.get("name", ""), None)
    return RedirectResponse("/manage/users?done=users", status_code=303)


@router.post("/manage/users/{email}/{change}", include_in_schema=False)
async def change_user(request: Request, viewer: SignedIn, email: str, change: str) -> Response:
    state = web(request)
    app = state.rt.app
    form = await request.form()
    reason = str(form.get("reason") or "")
    if change == "roles":
        roles = [r for r in form.getlist("roles") if isinstance(r, str)]
        agency = str(form.get("agency") or "").strip() or None
        await run_in_threadpool(lambda: app.change_roles(viewer.email, email, roles, agency))
    elif change == "deactivate":
        await run_in_threadpool(lambda: app.deactivate_user(viewer.email, email, reason))
    elif change == "reactivate":
        await run_in_threadpool(lambda: app.reactivate_user(viewer.email, email, reason))
    elif change == "invite":
        await run_in_threadpool(_require_admin, request, viewer, "invite users")
        user = await run_in_threadpool(app.user, email)
        await _invite(request, viewer, user.email, user.name, None)
    else:
        raise NotFound(f"no change '{change}' for users")
    return RedirectResponse("/manage/users?done=users", status_code=303)


async def _invite(
    request: Request, viewer: Viewer, email: str, name: str, plan_title: str | None
) -> None:
    from engine.web.invitations import invitation_message, send_invitation

    state = web(request)
    token = await run_in_threadpool(state.accounts.create_invitation, email, viewer.email)
    message = invitation_message(state.rt.settings, email, name, viewer.name, token, plan_title)
    await send_invitation(state.rt.settings, message)


# Invitations: set a first password


@router.get("/invitation/{token}", include_in_schema=False)
async def invitation_form(request: Request, token: str) -> Response:
    state = web(request)
    email, why = await run_in_threadpool(state.accounts.invitation, token)
    if email is None:
        return _refused_invitation(request, why)
    session = state.signer.new_session("", 0)
    request.state.session = session
    response = page(
        request, None, "invitation.html", {"csrf": session.csrf, "email": email, "token": token}
    )
    set_session(request, response, session)
    return response


@router.post("/invitation/{token}", include_in_schema=False)
async def accept_invitation(request: Request, token: str) -> Response:
    state = web(request)
    f = await form_fields(request)
    password, again = f.get("password", ""), f.get("again", "")
    email, why = await run_in_threadpool(state.accounts.invitation, token)
    if email is None:
        return _refused_invitation(request, why)
    error = None
    if password != again:
        error = "The two passwords do not match."
    else:
        try:
            email = await run_in_threadpool(state.accounts.accept_invitation, token, password)
        except InvalidInput as e:
            error = str(e)
    if error:
        session = state.signer.new_session("", 0)
        request.state.session = session
        refused = page(
            request,
            None,
            "invitation.html",
            {"csrf": session.csrf, "email": email, "token": token, "error": error},
            status_code=400,
        )
        set_session(request, refused, session)
        return refused
    epoch = await run_in_threadpool(state.accounts.epoch, email)
    response = RedirectResponse("/?done=password", status_code=303)
    set_session(request, response, state.signer.new_session(email, epoch))
    return response


def _refused_invitation(request: Request, why: str) -> Response:
    return page(
        request,
        None,
        "error.html",
        {
            "title": "This invitation link does not work",
            "message": why,
            "status": 403,
            "offer_sign_in": True,
        },  # fmt: skip
        status_code=403,
    )


# One plan


def plan_context(request: Request, viewer: Viewer, slug: str) -> dict[str, Any]:
    state = web(request)
    managed_plan(request, viewer, slug)
    state.rt.runner.catch_up()
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
        request, viewer, "plan_manage.html", {**ctx, "active": "manage", "done": _notice(request)}
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
    return _back(slug, "owners")


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
    return _back(slug, "agencies")


@router.post("/plans/{slug}/manage/amend", include_in_schema=False)
async def plan_amend(request: Request, slug: str, viewer: SignedIn) -> Response:
    app = web(request).rt.app
    f = await form_fields(request)
    await run_in_threadpool(
        lambda: app.amend_plan(
            viewer.email, slug, f.get("field", ""), f.get("value", ""), f.get("reason", "")
        )
    )
    return _back(slug, "amended")


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
        await _invite(request, viewer, user.email, user.name, title)
        return _back(slug, "invited")
    return _back(slug, "person")


@router.post("/plans/{slug}/manage/invite", include_in_schema=False)
async def plan_invite(request: Request, slug: str, viewer: SignedIn) -> Response:
    """Invite (again) someone already registered, to set their password."""
    state = web(request)
    plan = await run_in_threadpool(managed_plan, request, viewer, slug)
    f = await form_fields(request)
    user = await run_in_threadpool(state.rt.app.user, f.get("email", ""))
    if not user.active:
        raise DomainError(f"user '{user.email}' is deactivated: an admin reactivates them first")
    await _invite(request, viewer, user.email, user.name, plan.title)
    return _back(slug, "invited")


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
    return _back(slug, "policies")


# Imports: the dry run first, then one button records it


def _uploads(request: Request) -> Path:
    return Path(web(request).rt.settings.files_dir) / "imports"


@router.post("/plans/{slug}/manage/import", include_in_schema=False)
async def import_dry_run(request: Request, slug: str, viewer: SignedIn) -> Response:
    from engine.importing.record import import_plan

    state = web(request)
    await run_in_threadpool(managed_plan, request, viewer, slug)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("choose the plan file to import (.csv, .tsv, .xlsx or .docx)")
    name = Path(upload.filename).name
    if Path(name).suffix.lower() not in IMPORT_SUFFIXES:
        raise InvalidInput(f"file '{name}' is not a .csv, .tsv, .xlsx or .docx file")
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"file '{name}' is over the limit of {MAX_IMPORT_BYTES} bytes")
    token = secrets.token_hex(16)
    folder = _uploads(request) / token
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    try:
        result = await run_in_threadpool(
            lambda: import_plan(state.rt, viewer.email, path, slug=slug, dry_run=True)
        )
    except DomainError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if not result.ok:
        shutil.rmtree(folder, ignore_errors=True)
    return page(
        request,
        viewer,
        "import_report.html",
        {
            "slug": slug,
            "result": result,
            "report": result.render_text(),
            "token": token,
            "file": name,
            "active": "manage",
        },  # fmt: skip
        status_code=200 if result.ok else 400,
    )


@router.post("/plans/{slug}/manage/import/record", include_in_schema=False)
async def import_record(request: Request, slug: str, viewer: SignedIn) -> Response:
    from engine.importing.record import import_plan

    state = web(request)
    f = await form_fields(request)
    token, name = f.get("token", ""), Path(f.get("file", "")).name
    if not token.isalnum() or not name:
        raise InvalidInput("this import has no file: upload it again")
    folder = _uploads(request) / token
    path = folder / name
    if not path.is_file():
        raise InvalidInput(f"file '{name}' is no longer waiting to be recorded: upload it again")
    result = await run_in_threadpool(lambda: import_plan(state.rt, viewer.email, path, slug=slug))
    if not result.ok:
        return page(
            request,
            viewer,
            "import_report.html",
            {
                "slug": slug,
                "result": result,
                "report": result.render_text(),
                "token": "",
                "file": name,
                "active": "manage",
            },  # fmt: skip
            status_code=400,
        )
    shutil.rmtree(folder, ignore_errors=True)
    return _back(slug, "imported", "/setup")


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
    return _back(slug, "item")


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
    return _back(slug, "rebaselined")


# The set-up list


@router.get("/plans/{slug}/setup", include_in_schema=False)
async def setup_list(request: Request, slug: str, viewer: SignedIn) -> Response:
    state = web(request)

    def context() -> dict[str, Any]:
        ctx = plan_context(request, viewer, slug)
        ctx["rows"] = plan_setup(state.rt.engine, ctx["plan"])
        return ctx

    ctx = await run_in_threadpool(context)
    return page(
        request,
        viewer,
        "setup.html",
        {
            **ctx,
            "active": "setup",
            "done": _notice(request),
            "recurrences": [r.value for r in Recurrence],
        },  # fmt: skip
    )


@router.post("/plans/{slug}/manage/assign", include_in_schema=False)
async def assign(request: Request, slug: str, viewer: SignedIn) -> Response:
    """Give any action of the plan new leads or a new accountable officer."""
    form = await request.form()
    ref = str(form.get("ref") or "").strip()
    if not ref:
        raise InvalidInput("choose the action to assign people to")
    await _set_up(request, slug, ref, viewer, form)
    return _back(slug, "assigned")


@router.post("/plans/{slug}/setup/{ref}", include_in_schema=False)
async def set_up(request: Request, slug: str, ref: str, viewer: SignedIn) -> Response:
    await _set_up(request, slug, ref, viewer, await request.form())
    return _back(slug, "setup", "/setup")


async def _set_up(request: Request, slug: str, ref: str, viewer: Viewer, form: Any) -> None:
    state = web(request)
    people = {u["email"]: u for u in await run_in_threadpool(queries.users, state.rt.engine)}

    def person(email: str) -> Person:
        u = people.get(email.strip().lower())
        if u is None:
            raise InvalidInput(f"'{email}' is not a registered person")
        return Person(u["name"], u["email"], u["agency"])

    leads = [person(e) for e in form.getlist("leads") if isinstance(e, str) and e.strip()]
    acc = str(form.get("accountable") or "").strip()
    recurrence = str(form.get("recurrence") or "").strip()
    version = str(form.get("version") or "")
    await run_in_threadpool(
        lambda: state.rt.app.set_up_action(
            viewer.email,
            slug,
            ref,
            str(form.get("reason") or "") or "set up from the plan's set-up list",
            leads=leads or None,
            accountable=person(acc) if acc else None,
            plan_finish=_date(str(form.get("finish") or ""), "The finish date"),
            recurrence=Recurrence(recurrence) if recurrence else None,
            expected_version=int(version) if version.isdigit() else None,
        )
    )
