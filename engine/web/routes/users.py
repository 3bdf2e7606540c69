"""Users in the browser (admins): list, add with roles and agency, change roles,
deactivate and reactivate, invite; and the invitation link where a person sets their
first password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from domain import permissions
from domain.errors import InvalidInput, NotFound
from domain.users import Role
from engine.web.context import SignedIn, Viewer, anonymous_session, csrf_guard, web
from engine.web.invitations import invite
from engine.web.pages import form_fields, page, set_session
from engine.web.routes.auth import start_session
from engine.web.routes.manage import notice_of
from projections import queries

router = APIRouter(dependencies=[Depends(csrf_guard)])


def _require_admin(request: Request, viewer: Viewer, doing: str) -> None:
    permissions.require_admin(web(request).rt.app.user(viewer.email), doing)


# Users (admins)


@router.get("/manage/users", include_in_schema=False)
async def users_page(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    await run_in_threadpool(_require_admin, request, viewer, "manage users")

    def context() -> dict[str, Any]:
        state.rt.catch_up()
        return {"users": queries.users(state.rt.engine), "roles": [r.value for r in Role]}

    ctx = await run_in_threadpool(context)
    return page(
        request, viewer, "users.html", {**ctx, "active": "manage", "done": notice_of(request)}
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
        await invite(request, viewer, email, f.get("name", ""), None)
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
        # Their sessions end and their reminder links are retired at once.
        await run_in_threadpool(state.accounts.sign_out_everywhere, email)
    elif change == "reactivate":
        await run_in_threadpool(lambda: app.reactivate_user(viewer.email, email, reason))
    elif change == "invite":
        await run_in_threadpool(_require_admin, request, viewer, "invite users")
        user = await run_in_threadpool(app.user, email)
        await invite(request, viewer, user.email, user.name, None)
    else:
        raise NotFound(f"no change '{change}' for users")
    return RedirectResponse("/manage/users?done=users", status_code=303)


# Invitations: set a first password


@router.get("/invitation/{token}", include_in_schema=False)
async def invitation_form(request: Request, token: str) -> Response:
    state = web(request)
    email, why = await run_in_threadpool(state.accounts.invitation, token)
    if email is None:
        return _refused_invitation(request, why)
    session = anonymous_session(request)
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
        session = anonymous_session(request)
        refused = page(
            request,
            None,
            "invitation.html",
            {"csrf": session.csrf, "email": email, "token": token, "error": error},
            status_code=400,
        )
        set_session(request, refused, session)
        return refused
    response = RedirectResponse("/?done=password", status_code=303)
    # Signed in as a password sign-in is: a session kept on the server, ended by sign-out.
    await start_session(request, response, email, "password")
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
