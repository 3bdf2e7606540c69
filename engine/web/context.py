"""What every request works with: the runtime, the signed-in person and their session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from domain.errors import NotFound
from domain.users import Role
from engine.runtime import Runtime
from engine.service.accounts import Accounts, SessionLimits, SessionRecord
from engine.web.cache import ReadCache
from engine.web.security import SESSION_COOKIE, Session, Signer, csrf_matches
from engine.web.throttle import Throttles, throttled_lookup


@dataclass
class WebState:
    rt: Runtime
    accounts: Accounts
    signer: Signer
    cache: ReadCache
    secure_cookies: bool = False
    limits: SessionLimits = SessionLimits(60 * 60, 12 * 60 * 60)
    throttles: Throttles = field(default_factory=Throttles)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as the pages see them."""

    email: str
    name: str
    roles: frozenset[str]
    agency: str | None
    session: Session | None = None  # None when signed in by an API token

    def has(self, role: Role) -> bool:
        return role.value in self.roles

    @property
    def scoped(self) -> bool:
        return bool(self.session and self.session.scope)

    @property
    def csrf(self) -> str:
        return self.session.csrf if self.session else ""


class SignInRequired(Exception):
    """No valid session: the person is sent to the sign-in page."""


class LinkScopeRefused(Exception):
    """A session from a reminder link reached beyond its one action."""

    def __init__(self, slug: str, ref: str) -> None:
        super().__init__(f"this link opens action {ref} of {slug} only")
        self.slug = slug
        self.ref = ref


class CsrfRefused(Exception):
    """A form arrived without this session's token: from another site, or stale."""


class ApiAuthRequired(Exception):
    """An API call without a valid bearer token."""


def web(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def session_of(request: Request) -> Session | None:
    if not hasattr(request.state, "session"):
        request.state.session = web(request).signer.load_session(
            request.cookies.get(SESSION_COOKIE)
        )
    session: Session | None = request.state.session
    return session


def anonymous_session(request: Request) -> Session:
    """A new session for someone not signed in, taken as this request's: it carries the
    token a form posts back before its owner has signed in."""
    session = web(request).signer.new_session("", 0)
    request.state.session = session
    return session


def client_address(request: Request) -> str:
    """Who is asking, for the throttles: the connecting address."""
    return request.client.host if request.client else "unknown"


def session_record(request: Request) -> SessionRecord | None:
    """The live session behind this request, once a signed-in dependency has checked it."""
    record: SessionRecord | None = getattr(request.state, "session_record", None)
    return record


def read_positions(request: Request) -> Any:
    """How far the read models had got when this request began, read once per request."""
    if not hasattr(request.state, "positions"):
        request.state.positions = web(request).cache.positions()
    return request.state.positions


def viewer_for(
    state: WebState, email: str, session: Session | None, at: Any = None
) -> Viewer | None:
    """The person from the users read model (kept current on every save), else from
    their events; the engine checks roles again on every command whichever is used."""
    from engine.web.reads import people

    view = people(state.cache, at).get(email.strip().lower())
    if view is not None:
        # A deactivated person has no viewer: no sign-in, session, token or link works.
        if not view.get("active", True):
            return None
        return Viewer(
            email=view["email"],
            name=view["name"],
            roles=frozenset(view["roles"]),
            agency=view["agency"],
            session=session,
        )
    try:
        user = state.rt.app.user(email)
    except NotFound:
        return None
    if not user.active:
        return None
    return Viewer(
        email=user.email,
        name=user.name,
        roles=frozenset(r.value for r in user.roles),
        agency=user.agency,
        session=session,
    )


def _signed_in(request: Request) -> Viewer:
    state = web(request)
    session = session_of(request)
    if session is None or not session.email:
        raise SignInRequired
    # The cookie is only a key: sign-out, a password change, "sign out everywhere" and
    # the time limits end the session in the database, and then the cookie opens nothing.
    record = state.accounts.live_session(session.sid, session.email, state.limits)
    if record is None:
        raise SignInRequired
    request.state.session_record = record
    viewer = viewer_for(state, session.email, session, read_positions(request))
    if viewer is None:
        raise SignInRequired
    return viewer


def viewer_if_signed_in(request: Request) -> Viewer | None:
    """The signed-in person, or None: for the pages anyone may read."""
    try:
        return _signed_in(request)
    except SignInRequired:
        return None


async def signed_in(request: Request) -> Viewer:
    """Any page but an action's: a session from a reminder link is refused."""
    # Two small indexed reads: cheaper on the event loop than a hop to a worker thread.
    viewer = _signed_in(request)
    if viewer.session and viewer.session.scope:
        scope = viewer.session.scope
        raise LinkScopeRefused(scope.slug, scope.ref)
    return viewer


async def signed_in_for_action(request: Request, slug: str, ref: str) -> Viewer:
    """An action's page and forms: a reminder link's session reaches its own action."""
    viewer = _signed_in(request)
    scope = viewer.session.scope if viewer.session else None
    if scope and (scope.slug != slug or scope.ref != ref):
        raise LinkScopeRefused(scope.slug, scope.ref)
    return viewer


async def csrf_guard(request: Request) -> None:
    """Every form post carries the session's token (a hidden field, or a header for
    scripts); without it the post is refused before anything runs."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    session = session_of(request)
    if session is None:
        raise CsrfRefused
    submitted = request.headers.get("x-csrf-token")
    if submitted is None:
        form = await request.form()
        value = form.get("csrf_token")
        submitted = value if isinstance(value, str) else None
    if not csrf_matches(session, submitted):
        raise CsrfRefused


bearer = HTTPBearer(
    auto_error=False,
    description="A personal API token: `actiontrail users token EMAIL`, or the Account page",
)


def _api_viewer(request: Request, token: str) -> Viewer:
    state = web(request)
    email = throttled_lookup(
        state.throttles.api_token,
        client_address(request),
        "API tokens",
        lambda: state.accounts.token_owner(token),
    )
    if email is None:
        raise ApiAuthRequired
    viewer = viewer_for(state, email, None)
    if viewer is None:
        raise ApiAuthRequired
    return viewer


async def api_viewer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Viewer:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiAuthRequired
    return await run_in_threadpool(_api_viewer, request, credentials.credentials.strip())


# What routes declare to get the person making the request.
SignedIn = Annotated[Viewer, Depends(signed_in)]
SignedInForAction = Annotated[Viewer, Depends(signed_in_for_action)]
ApiUser = Annotated[Viewer, Depends(api_viewer)]
