"""Refusals as pages a person can act on (or JSON for the API); never a stack trace."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from config.logging import get_logger
from domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from engine.web.context import (
    ApiAuthRequired,
    CsrfRefused,
    LinkScopeRefused,
    SignInRequired,
    session_of,
)
from engine.web.security import SECURITY_HEADERS
from engine.web.templating import action_url, render
from engine.web.throttle import Throttled

log = get_logger(__name__)

# Most specific first: the first class an error is an instance of decides.
DOMAIN_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "Not found"),
    (PermissionDenied, 403, "Not allowed"),
    (InvalidInput, 400, "Please check what you entered"),
    (Conflict, 409, "Someone else got there first"),
    (DomainError, 400, "That cannot be done"),
]


def domain_status(error: DomainError) -> tuple[int, str]:
    for cls, status, title in DOMAIN_STATUS:
        if isinstance(error, cls):
            return status, title
    return 400, "That cannot be done"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, status: int, title: str, message: str, **extra: Any) -> Response:
    if is_api(request):
        return JSONResponse({"error": title, "message": message}, status_code=status)
    session = session_of(request)
    response = render(
        request,
        "error.html",
        {
            "title": title,
            "message": message,
            "status": status,
            "viewer": None,
            "signed_in": bool(session and session.email),
            "back": request.headers.get("referer") if _same_origin_referer(request) else None,
            **extra,
        },
        status_code=status,
    )
    # Unexpected errors are answered outside the middleware that adds these.
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name.decode(), value.decode())
    return response


def _same_origin_referer(request: Request) -> bool:
    referer = request.headers.get("referer", "")
    return referer.startswith(str(request.base_url))


async def on_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status, title = domain_status(exc)
    return error_page(request, status, title, str(exc))


async def on_sign_in_required(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return _api_unauthorised()
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


async def on_scope_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LinkScopeRefused)
    return error_page(
        request,
        403,
        "This link opens one action only",
        f"You signed in from a reminder link, which opens action {exc.ref} and nothing "
        "else. Sign in with your password to see the rest of actiontrail.",
        scoped_action=action_url(exc.slug, exc.ref),
        offer_sign_in=True,
    )


async def on_csrf_refused(request: Request, exc: Exception) -> Response:
    return error_page(
        request,
        403,
        "This form has expired",
        "The form was sent without a valid security token: it may have been open for "
        "too long, or it came from another site. Go back, reload the page and try again.",
    )


async def on_api_auth(request: Request, exc: Exception) -> Response:
    return _api_unauthorised()


def _api_unauthorised() -> Response:
    return JSONResponse(
        {"error": "Unauthorised", "message": "send 'Authorization: Bearer TOKEN'"},
        status_code=401,
        headers={"www-authenticate": "Bearer"},
    )


async def on_throttled(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Throttled)
    return error_page(
        request,
        429,
        "Too many attempts",
        f"Too many wrong {exc.what} came from your address. Wait fifteen minutes and "
        "try again.",
    )


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Page not found", 405: "Not allowed here", 413: "Too large"}
    messages = {
        404: "There is no page at this address. Check the address, or start again from "
        "your actions.",
        405: "This address does not accept that kind of request.",
    }
    return error_page(
        request,
        exc.status_code,
        titles.get(exc.status_code, "Request refused"),
        messages.get(exc.status_code, str(exc.detail)),
    )


async def on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', [])[1:]) or 'request'}: {e.get('msg')}"
        for e in exc.errors()
    )
    if is_api(request):
        return JSONResponse(
            {"error": "Please check what you sent", "message": problems}, status_code=422
        )
    return error_page(request, 400, "Please check what you entered", problems)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("web.unexpected_error", path=request.url.path)
    return error_page(
        request,
        500,
        "Something went wrong",
        "actiontrail could not finish this request. Nothing was half-saved: each change "
        "is recorded whole or not at all. Try again; if it keeps happening, tell your "
        "administrator the time it happened.",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, on_domain_error)
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(LinkScopeRefused, on_scope_refused)
    app.add_exception_handler(CsrfRefused, on_csrf_refused)
    app.add_exception_handler(ApiAuthRequired, on_api_auth)
    app.add_exception_handler(Throttled, on_throttled)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)
