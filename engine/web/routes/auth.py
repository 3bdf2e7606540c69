"""Signing in and out, and reminder links that open one action."""

from __future__ import annotations

import threading
import time

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from engine.web.context import csrf_guard, session_of, viewer_for, web
from engine.web.ops import count_sign_in_failure
from engine.web.pages import clear_session, form_fields, page, safe_next, set_session
from engine.web.templating import action_url

router = APIRouter(dependencies=[Depends(csrf_guard)])

MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60


class Throttle:
    """Slows password guessing: after five failures for an address, sign-in for it is
    refused for fifteen minutes (per process; enough to make guessing impractical)."""

    def __init__(self) -> None:
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, email: str) -> bool:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(email, []) if now - t < LOCKOUT_SECONDS]
            self._failures[email] = recent
            return len(recent) >= MAX_FAILURES

    def failed(self, email: str) -> None:
        with self._lock:
            self._failures.setdefault(email, []).append(time.monotonic())

    def cleared(self, email: str) -> None:
        with self._lock:
            self._failures.pop(email, None)


throttle = Throttle()


@router.get("/sign-in", include_in_schema=False)
async def sign_in_form(request: Request) -> Response:
    state = web(request)
    session = session_of(request)
    fresh = session is None
    if session is None:
        # An anonymous session carries the token the sign-in form posts back.
        session = state.signer.new_session("", 0)
        request.state.session = session
    response = page(
        request,
        None,
        "sign_in.html",
        {"csrf": session.csrf, "next": safe_next(request.query_params.get("next")), "email": ""},
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
    if throttle.blocked(email):
        count_sign_in_failure(request)
        return page(
            request,
            None,
            "sign_in.html",
            {
                "csrf": session.csrf,
                "next": target,
                "email": email,
                "error": "Too many failed attempts for this address. Wait fifteen minutes "
                "and try again, or ask your administrator to reset your password.",
            },
            status_code=429,
        )
    ok = await run_in_threadpool(state.accounts.check_password, email, password)
    viewer = await run_in_threadpool(viewer_for, state, email, None) if ok else None
    if viewer is None:
        throttle.failed(email)
        count_sign_in_failure(request)
        return page(
            request,
            None,
            "sign_in.html",
            {
                "csrf": session.csrf,
                "next": target,
                "email": email,
                "error": "That email and password do not match an account.",
            },
            status_code=400,
        )
    throttle.cleared(email)
    epoch = await run_in_threadpool(state.accounts.epoch, viewer.email)
    response = RedirectResponse(target, status_code=303)
    # A new token on sign-in, so one planted before it is worthless after.
    set_session(request, response, state.signer.new_session(viewer.email, epoch))
    return response


@router.post("/sign-out", include_in_schema=False)
async def sign_out(request: Request) -> Response:
    response = RedirectResponse("/sign-in?done=signed-out", status_code=303)
    clear_session(request, response)
    return response


@router.get("/link/{token}", include_in_schema=False)
async def action_link(request: Request, token: str) -> Response:
    """A reminder email's link: a session for that one action, unless the person is
    already signed in properly (then they keep their full session)."""
    state = web(request)
    found = state.signer.load_link(token)
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
        and existing.epoch == current
    )
    if not full_session:
        set_session(request, response, state.signer.new_session(email, current, scope))
    response.headers["referrer-policy"] = "no-referrer"
    return response
