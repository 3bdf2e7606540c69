"""Signing in and out, and reminder links that open one action."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from domain.errors import PermissionDenied
from engine.web.context import (
    anonymous_session,
    client_address,
    csrf_guard,
    session_of,
    viewer_for,
    web,
)
from engine.web.ops import count_sign_in_failure
from engine.web.pages import clear_session, form_fields, page, safe_next, set_session
from engine.web.security import LinkScope
from engine.web.templating import action_url
from engine.web.throttle import throttled_lookup

router = APIRouter(dependencies=[Depends(csrf_guard)])

def sign_in_options(request: Request, **context: Any) -> dict[str, Any]:
    """What the sign-in page offers: the organisation's sign-in, passwords, or both."""
    sso = web(request).extras.get("sso")
    target = context.get("next") or safe_next(request.query_params.get("next"))
    return {
        "sso": sso is not None,
        "passwords": sso is None or sso.passwords,
        "sso_url": "/sign-in/sso?" + urlencode({"next": target}),
        **context,
    }


@router.get("/sign-in", include_in_schema=False)
async def sign_in_form(request: Request) -> Response:
    session = session_of(request)
    fresh = session is None
    if session is None:
        session = anonymous_session(request)
    response = page(
        request,
        None,
        "sign_in.html",
        sign_in_options(
            request,
            csrf=session.csrf,
            next=safe_next(request.query_params.get("next")),
            email="",
        ),
    )
    if fresh:
        set_session(request, response, session)
    return response


@router.post("/sign-in", include_in_schema=False)
async def sign_in(request: Request) -> Response:
    state = web(request)
    fields = await form_fields(request)
    email = fields.get("email", "").strip().lower()
    password = fields.get("password", "")
    target = safe_next(fields.get("next"))
    session = session_of(request)
    assert session is not None  # csrf_guard refused the post otherwise
    sso = state.extras.get("sso")
    if sso is not None and not sso.passwords:
        raise PermissionDenied(
            "passwords are turned off here: sign in with your organisation's account"
        )
    if state.throttles.sign_in.blocked(email):
        return _sign_in_refused(
            request,
            session.csrf,
            target,
            email,
            "Too many failed attempts for this address. Wait fifteen minutes "
            "and try again, or ask your administrator to reset your password.",
            429,
        )
    ok = await run_in_threadpool(state.accounts.check_password, email, password)
    viewer = await run_in_threadpool(viewer_for, state, email, None) if ok else None
    if viewer is None:
        state.throttles.sign_in.failed(email)
        return _sign_in_refused(
            request,
            session.csrf,
            target,
            email,
            "That email and password do not match an account.",
            400,
        )
    state.throttles.sign_in.cleared(email)
    response = RedirectResponse(target, status_code=303)
    await start_session(request, response, viewer.email, "password")
    return response


def _sign_in_refused(
    request: Request, csrf: str, target: str, email: str, error: str, status_code: int
) -> Response:
    """The sign-in form again with the address typed and why it was refused, counted as
    a failed sign-in."""
    count_sign_in_failure(request)
    return page(
        request,
        None,
        "sign_in.html",
        {
            **sign_in_options(request),
            "csrf": csrf,
            "next": target,
            "email": email,
            "error": error,
        },
        status_code=status_code,
    )


async def start_session(
    request: Request,
    response: Response,
    email: str,
    kind: str,
    scope: LinkScope | None = None,
) -> None:
    """A new session in the database and its cookie, with a new CSRF token, so one
    planted before sign-in is worthless after."""
    state = web(request)
    epoch = await run_in_threadpool(state.accounts.epoch, email)
    sid = await run_in_threadpool(state.accounts.start_session, email, kind)
    set_session(request, response, state.signer.new_session(email, epoch, scope, sid))


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    session = session_of(request)
    if session is not None:
        await run_in_threadpool(web(request).accounts.end_session, session.sid)
    response = RedirectResponse("/sign-in?done=signed-out", status_code=303)
    clear_session(request, response)
    return response


@router.get("/link/{token}", include_in_schema=False)
async def action_link(request: Request, token: str) -> Response:
    """A reminder email's link: a session for that one action, unless the person is
    already signed in properly (then they keep their full session)."""
    state = web(request)
    address = client_address(request)
    found = throttled_lookup(
        state.throttles.link, address, "email links", lambda: state.signer.load_link(token)
    )
    if found is None:
        return page(
            request,
            None,
            "error.html",
            {
                "title": "This link has expired",
                "message": "Links in reminder emails work for seven days. Sign in with your "
                "password, or use the link in a newer reminder.",
                "status": 403,
                "offer_sign_in": True,
            },
            status_code=403,
        )
    email, scope, epoch = found
    current = await run_in_threadpool(state.accounts.epoch, email)
    viewer = await run_in_threadpool(viewer_for, state, email, None)
    if viewer is None or current != epoch:
        state.throttles.link.failed(address)
        return page(
            request,
            None,
            "error.html",
            {
                "title": "This link no longer works",
                "message": "The account's sign-in details have changed since this link was "
                "sent. Sign in with your password instead.",
                "status": 403,
                "offer_sign_in": True,
            },
            status_code=403,
        )
    target = action_url(scope.slug, scope.ref)
    response = RedirectResponse(target, status_code=303)
    existing = session_of(request)
    full_session = (
        existing is not None
        and existing.email == email
        and existing.scope is None
        and await run_in_threadpool(
            state.accounts.live_session, existing.sid, email, state.limits
        )
        is not None
    )
    if not full_session:
        await start_session(request, response, email, "link", scope)
    response.headers["referrer-policy"] = "no-referrer"
    return response
