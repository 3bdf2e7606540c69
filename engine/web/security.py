"""Signed session cookies, CSRF tokens, reminder-email links and security headers."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.links import LINK_MAX_AGE, LinkScope, LinkSigner

SESSION_COOKIE = "actiontrail_session"
SESSION_MAX_AGE = 12 * 60 * 60  # a working day, then sign in again
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


# What every download carries: saved, not shown; its type as declared, not guessed; and
# were a browser to show it anyway, shown in a sandbox with nothing allowed, so a file
# can never run as a page of this site.
DOWNLOAD_HEADERS = {
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'",
}


def download_headers(name: str) -> dict[str, str]:
    """Headers for a file sent as an attachment named name (safe characters only)."""
    return {"content-disposition": f'attachment; filename="{name}"', **DOWNLOAD_HEADERS}


@dataclass(frozen=True)
class Session:
    email: str
    csrf: str
    epoch: int
    scope: LinkScope | None = None
    # The id of the session's row in web_sessions; empty before sign-in.
    sid: str = ""

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"u": self.email, "c": self.csrf, "e": self.epoch, "i": self.sid}
        if self.scope:
            data["s"] = [self.scope.slug, self.scope.ref]
        return data

    @classmethod
    def from_data(cls, data: Any) -> Session | None:
        if not isinstance(data, dict):
            return None
        try:
            scope = data.get("s")
            return cls(
                email=str(data["u"]),
                csrf=str(data["c"]),
                epoch=int(data["e"]),
                scope=LinkScope(str(scope[0]), str(scope[1])) if scope else None,
                sid=str(data.get("i") or ""),
            )
        except (KeyError, TypeError, ValueError, IndexError):
            return None


class Signer:
    """Signs sessions and links with the one secret key, under separate salts so a
    cookie cannot be replayed as a link or the other way round."""

    def __init__(self, secret_key: str, session_max_age: int = SESSION_MAX_AGE) -> None:
        self.session_max_age = session_max_age
        self._sessions = URLSafeTimedSerializer(secret_key, salt="actiontrail.session")
        self._links = LinkSigner(secret_key)

    def new_session(
        self, email: str, epoch: int, scope: LinkScope | None = None, sid: str = ""
    ) -> Session:
        return Session(
            email=email, csrf=secrets.token_urlsafe(24), epoch=epoch, scope=scope, sid=sid
        )

    def dump_session(self, session: Session) -> str:
        return str(self._sessions.dumps(session.to_data()))

    def load_session(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=self.session_max_age)
        except (BadSignature, SignatureExpired):
            return None
        return Session.from_data(data)

    def dump_link(self, email: str, slug: str, ref: str, epoch: int) -> str:
        return self._links.dump(email, slug, ref, epoch)

    def load_link(
        self, token: str, max_age: int = LINK_MAX_AGE
    ) -> tuple[str, LinkScope, int] | None:
        """(email, scope, epoch) of a valid link, or None if forged or too old."""
        return self._links.load(token, max_age)


def csrf_matches(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf, str(submitted))


class SecurityHeaders:
    """Adds the security headers to every response, pages and API alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over a limit before they are read into memory or disk:
    uploads may be as large as the evidence limit, anything else much smaller."""

    def __init__(self, app: ASGIApp, upload_limit: int, other_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.other_limit = other_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        is_multipart = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.upload_limit if is_multipart else self.other_limit
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            if refused:
                await _too_large(send, limit)


class BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = (
        f"<!doctype html><title>Too large</title><h1>That upload is too large</h1>"
        f"<p>The most a request may carry is {limit // (1024 * 1024)} MB. "
        "Go back and choose a smaller file.</p>"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})
