"""Helpers every page route shares: rendering with the layout's needs, cookies, forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from domain.errors import InvalidInput, NotFound
from engine.web import reads
from engine.web.context import Viewer, read_positions, web
from engine.web.security import SESSION_COOKIE, Session
from engine.web.templating import render

NOTICES = {
    "updated": "Your update was saved.",
    "decided": "The decision was recorded.",
    "signed-off": "The sign-off was recorded.",
    "password": "Your password was changed.",
    "calendar": "Your calendar address was changed; the old one no longer works.",
    "token": "The API token was withdrawn.",
    "evidence": "The evidence decision was recorded.",
    "signed-out": "You are signed out.",
    "enrolled": "Welcome. Your account was made from your organisation's sign-in; an "
    "administrator will give you your roles, and then your actions and plans will show.",
    "signed-out-everywhere": "That person is signed out everywhere; their reminder links "
    "no longer work.",
}


def page(
    request: Request,
    viewer: Viewer | None,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    state = web(request)
    plans = (
        reads.plans(state.cache, read_positions(request)) if viewer and not viewer.scoped else []
    )
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        template,
        {"viewer": viewer, "nav_plans": plans, "notice": notice, **context},
        status_code=status_code,
    )


def set_session(request: Request, response: Response, session: Session) -> None:
    state = web(request)
    response.set_cookie(
        SESSION_COOKIE,
        state.signer.dump_session(session),
        max_age=state.signer.session_max_age,
        httponly=True,
        samesite="lax",
        secure=state.secure_cookies,
        path="/",
    )


def clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=web(request).secure_cookies)


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a posted form (files are read where they are expected)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in must not bounce a person elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def picked_date(value: str, label: str) -> date:
    """A date from a form's date picker; InvalidInput naming the field when it is none."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label} '{value}' is not a date (use the date picker)") from None


def form_date(value: str, label: str) -> date | None:
    """A date from a form's date picker, or None when the field was left empty."""
    value = value.strip()
    return picked_date(value, label) if value else None


def stored_download(
    request: Request,
    sha256: str,
    filename: str,
    media_type: str,
    missing: str,
    headers: dict[str, str] | None = None,
) -> FileResponse:
    """A file of the file store, sent as an attachment; NotFound saying `missing` when
    the store no longer holds it."""
    path = web(request).rt.files.path_for(sha256)
    if not path.is_file():
        raise NotFound(missing)
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        content_disposition_type="attachment",
        headers=headers,
    )
