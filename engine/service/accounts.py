"""Credentials: password hashes, API tokens, calendar secrets and the signing key.

They live in tables of their own in the read-model database, never in the event log,
so that a password or a token can be changed or withdrawn without rewriting history.
A rebuild of the read models leaves these tables alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from domain.errors import InvalidInput
from domain.users import normalise_email

web_metadata = MetaData()

credentials = Table(
    "web_credentials",
    web_metadata,
    Column("email", String(200), primary_key=True),
    Column("password_hash", Text, nullable=True),
    Column("calendar_secret", String(64), nullable=True, unique=True),
    # Raised to sign a person out everywhere: sessions and links carry the epoch
    # they were issued under.
    Column("epoch", Integer, nullable=False, default=0),
    Column("updated_at", String(40), nullable=False),
)

api_tokens = Table(
    "web_api_tokens",
    web_metadata,
    # Only a digest is kept: a leaked table does not leak usable tokens.
    Column("digest", String(64), primary_key=True),
    Column("email", String(200), nullable=False, index=True),
    Column("label", String(200), nullable=True),
    Column("created_at", String(40), nullable=False),
)

web_sessions = Table(
    "web_sessions",
    web_metadata,
    # The digest of the id the cookie carries: a leaked table opens no session.
    Column("digest", String(64), primary_key=True),
    Column("email", String(200), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # password, sso or link
    # Seconds since the epoch: when the person last proved who they are, when this
    # session began, when it was last used, and when it was ended (sign-out and so on).
    Column("signed_in_at", Float, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
)

web_sso_flows = Table(
    "web_sso_flows",
    web_metadata,
    # One row per single sign-on begun and not yet finished; taken (deleted) when the
    # provider sends the person back, so a state, and the code with it, works once.
    Column("state", String(64), primary_key=True),
    Column("nonce", String(64), nullable=False),
    Column("code_verifier", String(128), nullable=False),
    Column("next", Text, nullable=False),
    Column("started_at", Float, nullable=False),
)

web_secrets = Table(
    "web_secrets",
    web_metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# One-time links that let an invited person set their first password.
invitations = Table(
    "web_invitations",
    web_metadata,
    Column("digest", String(64), primary_key=True),  # of the token; the token is not kept
    Column("email", String(200), nullable=False, index=True),
    Column("expires_at", String(40), nullable=False),
    Column("used_at", String(40), nullable=True),
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
)

INVITATION_DAYS = 7
INVITATION_PREFIX = "inv_"

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "at_"

_hasher = PasswordHasher()


def _now() -> str:
    return datetime.now(tz=UTC).isoformat()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiToken:
    digest: str
    email: str
    label: str | None
    created_at: str


@dataclass(frozen=True)
class SessionRecord:
    email: str
    kind: str
    signed_in_at: float
    started_at: float
    last_seen: float


@dataclass(frozen=True)
class SessionLimits:
    """How long a session lasts unused (idle) and at most after it began (absolute)."""

    idle_seconds: float
    absolute_seconds: float


@dataclass(frozen=True)
class SsoFlow:
    state: str
    nonce: str
    code_verifier: str
    next: str


# A person has this long at their organisation's sign-in page.
SSO_FLOW_SECONDS = 10 * 60

# last_seen is written at most this often, so a busy page does not write on every view.
TOUCH_EVERY_SECONDS = 60.0


# Tables made by others meanwhile are seen on the next attempt; there are few tables.
_CREATE_ATTEMPTS = 10


class Accounts:
    """Reads and writes the credential tables through the read-model engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._stored_key: str | None = None
        for attempt in range(_CREATE_ATTEMPTS):
            try:
                web_metadata.create_all(engine)
                break
            except DBAPIError:
                # Another process or thread is making the same tables at this moment (a
                # scheduler and a sender rendering their first links, say); what it made
                # is skipped on the next attempt.
                if attempt == _CREATE_ATTEMPTS - 1:
                    raise

    # Signing key

    def secret_key(self, configured: str | None = None) -> str:
        """The configured key, else one generated on first use and kept, so every
        process sharing the database signs and checks with the same key."""
        if configured:
            return configured
        if self._stored_key is not None:
            # Written once and never changed, so read once: reminders make a link each.
            return self._stored_key
        with self.engine.connect() as conn:
            value = conn.execute(
                select(web_secrets.c.value).where(web_secrets.c.name == "session_key")
            ).scalar_one_or_none()
        if value:
            self._stored_key = str(value)
            return self._stored_key
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(web_secrets).values(name="session_key", value=secrets.token_hex(32))
                )
        except IntegrityError:
            pass  # another process generated it first; use theirs
        return self.secret_key()

    # Rows

    def _ensure_row(self, email: str) -> None:
        with self.engine.connect() as conn:
            found = conn.execute(
                select(credentials.c.email).where(credentials.c.email == email)
            ).first()
        if found:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(credentials).values(email=email, epoch=0, updated_at=_now()))
        except IntegrityError:
            pass

    def epoch(self, email: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(credentials.c.epoch).where(credentials.c.email == email.lower())
            ).scalar_one_or_none()
        return int(value or 0)

    # Passwords

    def set_password(self, email: str, password: str) -> None:
        """Sets a new password and signs the person out of every other session."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        key = normalise_email(email)
        self._ensure_row(key)
        with self.engine.begin() as conn:
            conn.execute(
                update(credentials)
                .where(credentials.c.email == key)
                .values(
                    password_hash=_hasher.hash(password),
                    epoch=credentials.c.epoch + 1,
                    updated_at=_now(),
                )
            )
        self.end_sessions_of(key)

    def has_password(self, email: str) -> bool:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(credentials.c.password_hash).where(credentials.c.email == email.lower())
            ).scalar_one_or_none()
        return bool(value)

    def check_password(self, email: str, password: str) -> bool:
        key = email.strip().lower()
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(credentials.c.password_hash).where(credentials.c.email == key)
            ).scalar_one_or_none()
        if not stored:
            # Same work as a real check, so timing does not tell who has an account.
            with contextlib.suppress(VerificationError):
                _hasher.verify(_DUMMY_HASH, password)
            return False
        try:
            _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(stored):
            with self.engine.begin() as conn:
                conn.execute(
                    update(credentials)
                    .where(credentials.c.email == key)
                    .values(password_hash=_hasher.hash(password), updated_at=_now())
                )
        return True

    def sign_out_everywhere(self, email: str) -> None:
        key = email.strip().lower()
        self._ensure_row(key)
        with self.engine.begin() as conn:
            conn.execute(
                update(credentials)
                .where(credentials.c.email == key)
                .values(epoch=credentials.c.epoch + 1, updated_at=_now())
            )
        self.end_sessions_of(key)

    # Sessions

    def start_session(self, email: str, kind: str, signed_in_at: float | None = None) -> str:
        """A new session's id, for the cookie; only its digest is kept."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                insert(web_sessions).values(
                    digest=_digest(session_id),
                    email=email.strip().lower(),
                    kind=kind,
                    signed_in_at=now if signed_in_at is None else signed_in_at,
                    started_at=now,
                    last_seen=now,
                    ended_at=None,
                )
            )
        return session_id

    def live_session(
        self, session_id: str, email: str, limits: SessionLimits
    ) -> SessionRecord | None:
        """The session if it is still going: not ended, used within the idle limit and
        begun within the absolute one; its use is noted."""
        if not session_id:
            return None
        digest = _digest(session_id)
        with self.engine.connect() as conn:
            row = conn.execute(select(web_sessions).where(web_sessions.c.digest == digest)).first()
        now = time.time()
        if (
            row is None
            or row.ended_at is not None
            or row.email != email.strip().lower()
            or now - row.last_seen > limits.idle_seconds
            or now - row.started_at > limits.absolute_seconds
        ):
            return None
        if now - row.last_seen > TOUCH_EVERY_SECONDS:
            with self.engine.begin() as conn:
                conn.execute(
                    update(web_sessions)
                    .where(web_sessions.c.digest == digest, web_sessions.c.ended_at.is_(None))
                    .values(last_seen=now)
                )
        return SessionRecord(row.email, row.kind, row.signed_in_at, row.started_at, now)

    def end_session(self, session_id: str) -> None:
        if not session_id:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(web_sessions)
                .where(web_sessions.c.digest == _digest(session_id))
                .where(web_sessions.c.ended_at.is_(None))
                .values(ended_at=time.time())
            )

    def end_sessions_of(self, email: str) -> int:
        """Ends every session of a person (a password change, a deactivation, an
        administrator's "sign out everywhere"); how many were going."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(web_sessions)
                .where(web_sessions.c.email == email.strip().lower())
                .where(web_sessions.c.ended_at.is_(None))
                .values(ended_at=time.time())
            )
        return int(result.rowcount or 0)

    # Single sign-on

    def start_sso(self, next_path: str) -> SsoFlow:
        flow = SsoFlow(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            next=next_path,
        )
        now = time.time()
        with self.engine.begin() as conn:
            # Flows never finished are cleared as new ones begin.
            conn.execute(delete(web_sso_flows).where(web_sso_flows.c.started_at < now - 86400))
            conn.execute(
                insert(web_sso_flows).values(
                    state=flow.state,
                    nonce=flow.nonce,
                    code_verifier=flow.code_verifier,
                    next=flow.next,
                    started_at=now,
                )
            )
        return flow

    def take_sso(self, state: str) -> SsoFlow | None:
        """The flow a state began, once: it is deleted as it is read."""
        if not state:
            return None
        with self.engine.begin() as conn:
            row = conn.execute(
                select(web_sso_flows).where(web_sso_flows.c.state == state)
            ).first()
            if row is None:
                return None
            taken = conn.execute(delete(web_sso_flows).where(web_sso_flows.c.state == state))
        if not taken.rowcount or time.time() - row.started_at > SSO_FLOW_SECONDS:
            return None  # another request took it first, or it is too old
        return SsoFlow(row.state, row.nonce, row.code_verifier, row.next)

    # API tokens

    def create_token(self, email: str, label: str | None = None) -> str:
        """A new bearer token; only its digest is kept, so it is shown once."""
        key = normalise_email(email)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    digest=_digest(token), email=key, label=label, created_at=_now()
                )
            )
        return token

    def token_owner(self, token: str) -> str | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self.engine.connect() as conn:
            value = conn.execute(
                select(api_tokens.c.email).where(api_tokens.c.digest == _digest(token))
            ).scalar_one_or_none()
        return str(value) if value else None

    def tokens(self, email: str) -> list[ApiToken]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(api_tokens)
                .where(api_tokens.c.email == email.lower())
                .order_by(api_tokens.c.created_at)
            ).all()
        return [ApiToken(r.digest, r.email, r.label, r.created_at) for r in rows]

    def revoke_token(self, email: str, digest: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(api_tokens).where(
                    api_tokens.c.email == email.lower(), api_tokens.c.digest == digest
                )
            )
        return bool(result.rowcount)

    # Invitations

    def create_invitation(self, email: str, by: str, days: int = INVITATION_DAYS) -> str:
        """A one-time token for the link in an invitation email; only its digest is kept."""
        key = normalise_email(email)
        token = INVITATION_PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(tz=UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(invitations).values(
                    digest=_digest(token),
                    email=key,
                    expires_at=(now + timedelta(days=days)).isoformat(),
                    used_at=None,
                    created_by=by,
                    created_at=now.isoformat(),
                )
            )
        return token

    def invitation(self, token: str) -> tuple[str | None, str]:
        """(email, "") for a link that may be used now, else (None, why not)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(invitations).where(invitations.c.digest == _digest(token))
            ).first()
        if row is None:
            return None, "This invitation link is not one we sent."
        if row.used_at:
            return None, "This invitation link has already been used. Sign in with your password."
        if row.expires_at < _now():
            return None, "This invitation link has expired. Ask for a new invitation."
        return str(row.email), ""

    def accept_invitation(self, token: str, password: str) -> str:
        """Sets the invited person's password and spends the link, once: of two uses at
        the same moment only one updates the row. Returns the email."""
        email, why = self.invitation(token)
        if email is None:
            raise InvalidInput(why)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
        with self.engine.begin() as conn:
            spent = conn.execute(
                update(invitations)
                .where(invitations.c.digest == _digest(token), invitations.c.used_at.is_(None))
                .values(used_at=_now())
            )
            if spent.rowcount != 1:
                raise InvalidInput(
                    "This invitation link has already been used. Sign in with your password."
                )
        self.set_password(email, password)
        return email

    # Calendar feeds

    def calendar_secret(self, email: str, rotate: bool = False) -> str:
        """The secret in a person's calendar feed address; rotating it retires the old
        address."""
        key = email.strip().lower()
        self._ensure_row(key)
        with self.engine.connect() as conn:
            current = conn.execute(
                select(credentials.c.calendar_secret).where(credentials.c.email == key)
            ).scalar_one_or_none()
        if current and not rotate:
            return str(current)
        fresh = secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(
                update(credentials)
                .where(credentials.c.email == key)
                .values(calendar_secret=fresh, updated_at=_now())
            )
        return fresh

    def calendar_owner(self, secret: str) -> str | None:
        if not secret:
            return None
        with self.engine.connect() as conn:
            value = conn.execute(
                select(credentials.c.email).where(credentials.c.calendar_secret == secret)
            ).scalar_one_or_none()
        return str(value) if value else None


_DUMMY_HASH = _hasher.hash("not a real password, only for even timing")
