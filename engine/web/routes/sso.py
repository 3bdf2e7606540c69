"""Signing in with the organisation's account (OpenID Connect), when an issuer is set."""

from __future__ import annotations

import hmac

import structlog
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from domain.errors import DomainError
from engine.web.context import viewer_for, web
from engine.web.pages import page, safe_next
from engine.web.routes.auth import start_session
from engine.web.sso import CALLBACK_PATH, SsoConfig, SsoRefused

router = APIRouter()
log = structlog.get_logger(__name__)

# Ties the provider's answer to the browser that began the sign-in: a code and state
# sent to someone else's browser (login CSRF) find no matching cookie there.
FLOW_COOKIE = "actiontrail_sso"


def sso_of(request: Request) -> SsoConfig | None:
    config: SsoConfig | None = web(request).extras.get("sso")
    return config


def refusal(request: Request, e: SsoRefused) -> Response:
    log.info("web.sso_refused", reason=e.message)
    response = page(
        request,
        None,
        "error.html",
        {
            "title": e.title,
            "message": e.message,
            "status": e.status,
            "offer_sign_in": True,
            "sign_in_label": "Back to the sign-in page",
        },
        status_code=e.status,
    )
    response.delete_cookie(FLOW_COOKIE, path=CALLBACK_PATH)
    return response


def _not_set_up(request: Request) -> Response:
    return refusal(
        request, SsoRefused("Single sign-on is not set up", "Sign in with your password.", 404)
    )


@router.get("/sign-in/sso", include_in_schema=False)
async def begin(request: Request) -> Response:
    config = sso_of(request)
    if config is None:
        return _not_set_up(request)
    state = web(request)
    flow = await run_in_threadpool(
        state.accounts.start_sso, safe_next(request.query_params.get("next"))
    )
    try:
        url = await run_in_threadpool(
            config.authorization_url, flow.state, flow.nonce, flow.code_verifier
        )
    except SsoRefused as e:
        return refusal(request, e)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        flow.state,
        max_age=10 * 60,
        httponly=True,
        samesite="lax",
        secure=state.secure_cookies,
        path=CALLBACK_PATH,
    )
    return response


@router.get(CALLBACK_PATH, include_in_schema=False)
async def callback(request: Request) -> Response:
    config = sso_of(request)
    if config is None:
        return _not_set_up(request)
    try:
        return await finish(request, config)
    except SsoRefused as e:
        return refusal(request, e)


async def finish(request: Request, config: SsoConfig) -> Response:
    state = web(request)
    params = request.query_params
    if params.get("error"):
        raise SsoRefused(
            "Sign-in was not completed",
            f"Your organisation's sign-in answered '{params.get('error')}'. Start again "
            "from the sign-in page.",
            400,
        )
    sent_state = params.get("state", "")
    cookie_state = request.cookies.get(FLOW_COOKIE, "")
    if not sent_state or not hmac.compare_digest(sent_state, cookie_state):
        raise SsoRefused(
            "This sign-in was not started here",
            "The answer from your organisation's sign-in does not match a sign-in begun in "
            "this browser. Start again from the sign-in page.",
            400,
        )
    flow = await run_in_threadpool(state.accounts.take_sso, sent_state)
    if flow is None:
        raise SsoRefused(
            "This sign-in has already been used or has expired",
            "Each sign-in works once and for ten minutes. Start again from the sign-in page.",
            400,
        )
    code = params.get("code", "")
    if not code:
        raise SsoRefused("Sign-in was not completed", "The provider sent no code.", 400)
    id_token = await run_in_threadpool(config.exchange, code, flow.code_verifier)
    identity = await run_in_threadpool(config.verify, id_token, flow.nonce)
    viewer = await run_in_threadpool(viewer_for, state, identity.email, None)
    enrolled = False
    if viewer is None:
        allowed, agency = config.enrolment_agency(identity.email)
        if not allowed:
            raise SsoRefused(
                "You do not have an actiontrail account",
                f"Your organisation signed you in as {identity.email}, but no actiontrail "
                "account uses that address. Ask your plan administrator to add you.",
            )
        try:
            await run_in_threadpool(
                state.rt.app.enrol_signed_in, identity.email, identity.name, agency
            )
        except DomainError as e:
            raise SsoRefused("You could not be added", str(e)) from None
        enrolled = True
        log.info("web.sso_enrolled", email=identity.email, agency=agency)
    target = "/?done=enrolled" if enrolled else flow.next
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(FLOW_COOKIE, path=CALLBACK_PATH)
    await start_session(request, response, identity.email, "sso")
    return response
