"""Credentials: password hashes, API tokens, calendar secrets and the signing key.

They live in tables of their own in the read-model database, never in the event log,
so that a password or a token can be changed or withdrawn without rewriting history.
A rebuild of the read models leaves these tables alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Column,
    Engine,
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
