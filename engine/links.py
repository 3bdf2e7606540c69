"""Signed links into one action: made for reminder emails, checked by the web application.

A link signs its person in to that one action (its page and its update form) for 7 days,
however often it is used. Changing the person's password, or signing them out
everywhere, retires it: a link carries the sign-in epoch it was made under.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from config.settings import Settings

LINK_MAX_AGE = 7 * 24 * 60 * 60
# Apart from the sessions' salt, so that a cookie cannot be replayed as a link.
LINK_SALT = "actiontrail.action-link"


@dataclass(frozen=True)
class LinkScope:
    """An action a reminder link opens; a session with a scope reaches nothing else."""

    slug: str
    ref: str


class LinkSigner:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=LINK_SALT)

    def dump(self, email: str, slug: str, ref: str, epoch: int) -> str:
        return str(self._serializer.dumps({"u": email, "p": slug, "r": ref, "e": epoch}))

    def load(self, token: str, max_age: int = LINK_MAX_AGE) -> tuple[str, LinkScope, int] | None:
        """(email, scope, epoch) of a valid link, or None if forged or too old."""
        try:
            data = self._serializer.loads(token, max_age=max_age)
        except (BadSignature, SignatureExpired):
            return None
        try:
            return str(data["u"]), LinkScope(str(data["p"]), str(data["r"])), int(data["e"])
        except (KeyError, TypeError, ValueError):
            return None


@lru_cache(maxsize=8)
def _link_accounts(database_url: str) -> Any:
    # The signing key and the sign-in epochs are kept with the credentials.
    from engine.adapters.database import Database
    from engine.runtime import read_model_engine
    from engine.service.accounts import Accounts

    return Accounts(read_model_engine(Database.from_url(database_url)))


def make_action_link(settings: Settings, email: str, slug: str, ref: str) -> str:
    """The link for a reminder email that signs ``email`` in to action ``ref``."""
    accounts = _link_accounts(settings.database_url)
    key = email.strip().lower()
    signer = LinkSigner(accounts.secret_key(settings.secret_key))
    token = signer.dump(key, slug, ref, accounts.epoch(key))
    return f"{settings.base_url.rstrip('/')}/link/{token}"
