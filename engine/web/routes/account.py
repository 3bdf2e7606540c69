"""A person's own settings: password, API tokens and their calendar feed."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from icalendar import Calendar, Event
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from domain.errors import InvalidInput, NotFound, PermissionDenied
from domain.users import Role
from domain.values import Status
from engine.web import reads
from engine.web.context import (
    SignedIn,
    Viewer,
    client_address,
    csrf_guard,
    session_record,
    viewer_for,
    web,
)
from engine.web.pages import form_fields, page, safe_next
from engine.web.routes.auth import start_session
from engine.web.templating import action_url
from engine.web.throttle import throttled_lookup

router = APIRouter(dependencies=[Depends(csrf_guard)])
feed_router = APIRouter()


# An API token outlives the session that made it, so it is made only by someone who
# proved who they are a moment ago, not by whoever finds a browser left signed in.
TOKEN_SIGN_IN_SECONDS = 15 * 60


def site_url(request: Request) -> str:
    """Links are built on the configured address, never on the Host a request names."""
    return web(request).rt.settings.base_url.rstrip("/")


def account_context(request: Request, viewer: Viewer, **extra: Any) -> dict[str, Any]:
    state = web(request)
    secret = state.accounts.calendar_secret(viewer.email)
    base = site_url(request)
    return {
        "calendar_url": f"{base}/calendar/{secret}.ics",
        "tokens": state.accounts.tokens(viewer.email),
        "new_token": None,
        "error": None,
        **extra,
    }


@router.get("/account", include_in_schema=False)
async def account(request: Request, viewer: SignedIn) -> Response:
    context = await run_in_threadpool(account_context, request, viewer)
    return page(request, viewer, "account.html", context)


@router.post("/account/password", include_in_schema=False)
async def change_password(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    fields = await form_fields(request)
    current, new, again = (fields.get(k, "") for k in ("current", "new", "again"))
    error = None
    error_field = "pw-current"  # the field the problem is about, for the error summary
    status = 400
    throttle = state.throttles.password_change
    sso = state.extras.get("sso")
    if sso is not None and not sso.passwords:
        raise PermissionDenied("passwords are turned off here: your organisation's sign-in is used")
    if throttle.blocked(viewer.email):
        error = (
            "Too many wrong current passwords. Wait fifteen minutes and try again, or ask "
            "your administrator to reset your password."
        )
        status = 429
    elif not await run_in_threadpool(state.accounts.check_password, viewer.email, current):
        throttle.failed(viewer.email)
        error = "Your current password is not right."
    elif new != again:
        error, error_field = "The new password and its repeat differ.", "pw-again"
    else:
        try:
            await run_in_threadpool(state.accounts.set_password, viewer.email, new)
        except InvalidInput as e:
            error, error_field = str(e), "pw-new"
    if error:
        context = await run_in_threadpool(
            account_context, request, viewer, error=error, error_field=error_field
        )
        return page(request, viewer, "account.html", context, status_code=status)
    throttle.cleared(viewer.email)
    # The change ended every session, this one too: the person, who has just proved who
    # they are, gets a new one.
    response = RedirectResponse("/account?done=password", status_code=303)
    await start_session(request, response, viewer.email, "password")
    return response


@router.post("/account/tokens", include_in_schema=False)
async def new_token(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    fields = await form_fields(request)
    label = fields.get("label", "").strip()[:200] or None
    record = session_record(request)
    if record is None or time.time() - record.signed_in_at > TOKEN_SIGN_IN_SECONDS:
        error = (
            "For safety, an API token can be created only within 15 minutes of signing "
            "in. Sign out, sign in again, and then create the token."
        )
        context = await run_in_threadpool(account_context, request, viewer, error=error)
        return page(request, viewer, "account.html", context, status_code=403)
    token = await run_in_threadpool(state.accounts.create_token, viewer.email, label)
    context = await run_in_threadpool(account_context, request, viewer, new_token=token)
    return page(request, viewer, "account.html", context)


@router.post("/account/tokens/{digest}/revoke", include_in_schema=False)
async def revoke_token(request: Request, digest: str, viewer: SignedIn) -> Response:
    state = web(request)
    if not await run_in_threadpool(state.accounts.revoke_token, viewer.email, digest):
        raise NotFound("no such API token of yours")
    return RedirectResponse("/account?done=token", status_code=303)


@router.post("/account/calendar", include_in_schema=False)
async def rotate_calendar(request: Request, viewer: SignedIn) -> Response:
    state = web(request)
    await run_in_threadpool(state.accounts.calendar_secret, viewer.email, True)
    return RedirectResponse("/account?done=calendar", status_code=303)


def calendar_for(request: Request, email: str) -> bytes:
    """Every open deadline of the person's actions: plan finishes and dated success
    criteria, as all-day events, each linking to its action."""
    state = web(request)
    base = site_url(request)
    cal = Calendar()
    cal.add("prodid", "-//actiontrail//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "actiontrail deadlines")
    stamp = datetime.now(tz=UTC)
    for mine in reads.my_actions(state.cache, email):
        a = mine.action
        url = base + action_url(mine.slug, a["ref"])
        dates: list[tuple[str, str, str]] = []
        if a["plan_finish"] and not a["recurrence"]:
            dates.append(("finish", a["plan_finish"], f"Due: {a['ref']} {a['title']}"))
        for n, c in enumerate(a["success_criteria"], 1):
            if c.get("due") and not c.get("achieved_on"):
                dates.append((f"c{n}", c["due"], f"Milestone {a['ref']}.{n}: {c['text']}"))
        for suffix, due, summary in dates:
            start = date.fromisoformat(due[:10])
            event = Event()
            event.add("uid", f"{mine.slug}/{a['ref']}/{suffix}@actiontrail")
            event.add("dtstamp", stamp)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(days=1))
            event.add("summary", summary[:200])
            event.add(
                "description", f"{mine.plan_title}\nStatus: {Status(a['status']).value}\n{url}"
            )
            event.add("url", url)
            cal.add_component(event)
    return bytes(cal.to_ical())


@feed_router.get("/calendar/{secret}.ics", include_in_schema=False)
async def calendar_feed(request: Request, secret: str) -> Response:
    """No session: calendar programs fetch this by its secret address alone."""
    state = web(request)
    email = await run_in_threadpool(
        throttled_lookup,
        state.throttles.calendar,
        client_address(request),
        "calendar addresses",
        lambda: state.accounts.calendar_owner(secret),
    )
    if email is None:
        raise NotFound("no calendar at this address (it may have been replaced by a new one)")
    body = await run_in_threadpool(calendar_for, request, email)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"cache-control": "private, max-age=300", "referrer-policy": "no-referrer"},
    )


@router.post("/admin/users/{email}/sign-out", include_in_schema=False)
async def sign_out_everywhere(request: Request, email: str, viewer: SignedIn) -> Response:
    """An administrator ends every session and reminder link of a person at once (a
    lost laptop, someone who has left)."""
    if not viewer.has(Role.ADMIN):
        raise PermissionDenied("only an administrator can sign someone out everywhere")
    state = web(request)
    person = await run_in_threadpool(viewer_for, state, email, None)
    if person is None:
        raise NotFound(f"no user '{email}'")
    await run_in_threadpool(state.accounts.sign_out_everywhere, person.email)
    target = safe_next(request.query_params.get("next"))
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}done=signed-out-everywhere", status_code=303)
