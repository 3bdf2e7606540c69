"""Single sign-on with an OpenID Connect provider (Microsoft Entra ID, say), by Authlib.

The authorization code flow with PKCE: the person is sent to the provider with a state,
a nonce and a code challenge; the provider sends them back with a code, which is
exchanged (with the client secret and the code verifier) for an ID token. The token's
signature is checked against the provider's published keys, and its issuer, audience,
expiry and nonce against what was asked for. The person is then the user whose email
the provider has verified.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, cast

from config.settings import Settings
from domain.errors import InvalidInput

CALLBACK_PATH = "/sign-in/sso/callback"
SCOPES = "openid email profile"
# The provider's discovery document and keys are read again after this long, and at
# once when a token names a key not seen before (the provider rotated its keys).
METADATA_SECONDS = 60 * 60
HTTP_TIMEOUT = 15.0
CLOCK_LEEWAY = 60


class SsoRefused(Exception):
    """The provider's answer cannot sign anyone in; the message says why, for a person."""

    def __init__(self, title: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.title = title
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in."""

    email: str
    name: str


# Microsoft Entra ID sends no email_verified for work accounts; its optional claim
# xms_edov says the tenant owns the address's domain, which stands in for it.
_DOMAIN_VERIFIED = (True, "true", "1", 1)


def email_verified(claims: dict[str, Any]) -> bool:
    """The provider vouches for the address: email_verified, or where that is absent,
    Entra ID's xms_edov. An explicit email_verified false is never overridden."""
    if "email_verified" in claims:
        return claims["email_verified"] is True
    return claims.get("xms_edov") in _DOMAIN_VERIFIED


def parse_domains(text: str | None) -> dict[str, str | None]:
    """'council.example=Council, nhs.example=NHS Trust' as {domain: agency}; a domain
    without '=' enrols people with no agency."""
    domains: dict[str, str | None] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        domain, _, agency = part.partition("=")
        domain = domain.strip().lower().lstrip("@")
        if not domain or "." not in domain or " " in domain:
            raise InvalidInput(
                f"ACTIONTRAIL_OIDC_ALLOWED_DOMAINS: '{part.strip()}' is not a domain "
                "(write domain=Agency, separated by commas)"
            )
        domains[domain] = agency.strip() or None
    return domains


@dataclass
class SsoConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    allowed_domains: dict[str, str | None]
    passwords: bool
    _metadata: dict[str, Any] | None = None
    _keys: dict[str, Any] | None = None
    _read_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: Settings) -> SsoConfig | None:
        """None when no issuer is set; a clear line naming what is missing otherwise."""
        passwords = settings.password_sign_in.strip().lower()
        if passwords not in ("on", "off"):
            raise InvalidInput(
                f"ACTIONTRAIL_PASSWORD_SIGN_IN must be 'on' or 'off', not '{passwords}'"
            )
        if not settings.oidc_issuer:
            if passwords == "off":
                raise InvalidInput(
                    "ACTIONTRAIL_PASSWORD_SIGN_IN=off needs ACTIONTRAIL_OIDC_ISSUER: "
                    "without single sign-on nobody could sign in"
                )
            return None
        for name in ("oidc_client_id", "oidc_client_secret"):
            if not getattr(settings, name):
                raise InvalidInput(f"ACTIONTRAIL_OIDC_ISSUER is set but {name.upper()} is not")
        return cls(
            issuer=settings.oidc_issuer.rstrip("/"),
            client_id=str(settings.oidc_client_id),
            client_secret=str(settings.oidc_client_secret),
            redirect_uri=settings.base_url.rstrip("/") + CALLBACK_PATH,
            allowed_domains=parse_domains(settings.oidc_allowed_domains),
            passwords=passwords == "on",
        )

    # The provider's published configuration

    def metadata(self, refresh: bool = False) -> dict[str, Any]:
        with self._lock:
            stale = time.monotonic() - self._read_at > METADATA_SECONDS
            if self._metadata is None or refresh or stale:
                self._metadata, self._keys = self._fetch()
                self._read_at = time.monotonic()
            return self._metadata

    def keys(self, refresh: bool = False) -> dict[str, Any]:
        self.metadata(refresh)
        assert self._keys is not None
        return self._keys

    def _fetch(self) -> tuple[dict[str, Any], dict[str, Any]]:
        import httpx

        url = f"{self.issuer}/.well-known/openid-configuration"
        try:
            meta = httpx.get(url, timeout=HTTP_TIMEOUT).raise_for_status().json()
            if str(meta.get("issuer", "")).rstrip("/") != self.issuer:
                raise SsoRefused(
                    "Single sign-on is misconfigured",
                    f"The provider at {self.issuer} says its issuer is "
                    f"'{meta.get('issuer')}'. Tell your administrator.",
                    502,
                )
            keys = httpx.get(str(meta["jwks_uri"]), timeout=HTTP_TIMEOUT).raise_for_status()
            return meta, keys.json()
        except (httpx.HTTPError, ValueError, KeyError) as e:
            raise SsoRefused(
                "Your organisation's sign-in could not be reached",
                f"actiontrail could not read the sign-in provider's settings ({type(e).__name__})."
                " Try again in a minute; if it keeps happening, tell your administrator.",
                502,
            ) from None

    # The flow

    def client(self) -> Any:
        from authlib.integrations.httpx_client import OAuth2Client

        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=SCOPES,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT,
        )

    def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        with self.client() as client:
            url, _ = client.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                state=state,
                nonce=nonce,
                code_verifier=code_verifier,
            )
        return str(url)

    def exchange(self, code: str, code_verifier: str) -> str:
        """The ID token the code is worth; the provider refuses a code used before."""
        from authlib.integrations.base_client.errors import OAuthError
        from authlib.oauth2.rfc6749.errors import OAuth2Error

        try:
            with self.client() as client:
                token = client.fetch_token(
                    self.metadata()["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except (OAuthError, OAuth2Error) as e:
            raise SsoRefused(
                "Sign-in was not completed",
                "Your organisation's sign-in did not accept this sign-in "
                f"({getattr(e, 'error', None) or 'refused'}); it may have been used already or "
                "taken too long. Start again from the sign-in page.",
                400,
            ) from None
        except Exception as e:  # network failures, malformed answers
            raise SsoRefused(
                "Your organisation's sign-in could not be reached",
                f"actiontrail could not finish signing you in ({type(e).__name__}). "
                "Start again from the sign-in page.",
                502,
            ) from None
        id_token = token.get("id_token")
        if not id_token:
            raise SsoRefused("Sign-in was not completed", "The provider sent no ID token.", 400)
        return str(id_token)

    def verify(self, id_token: str, nonce: str) -> Identity:
        """The identity in a signed ID token meant for this site and this sign-in."""
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        refused = "This sign-in cannot be accepted"
        try:
            try:
                token = jwt.decode(id_token, KeySet.import_key_set(cast(Any, self.keys())))
            except JoseError:
                # Perhaps signed with a key the provider has just published.
                fresh = KeySet.import_key_set(cast(Any, self.keys(refresh=True)))
                token = jwt.decode(id_token, fresh)
        except (JoseError, ValueError) as e:
            raise SsoRefused(
                refused,
                f"The ID token's signature does not match the provider's keys ({e}).",
            ) from None
        claims = token.claims
        registry = jwt.JWTClaimsRegistry(
            leeway=CLOCK_LEEWAY,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        try:
            registry.validate(claims)
        except JoseError as e:
            what = {
                "aud": "it was issued for another application (audience)",
                "nonce": "it does not belong to this sign-in (nonce)",
                "iss": "it comes from another issuer",
                "exp": "it has expired",
            }.get(str(getattr(e, "claim", "")), str(e))
            raise SsoRefused(refused, f"The ID token cannot be used: {what}.") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.client_id:
            raise SsoRefused(refused, "The ID token was issued to another party (azp).")
        email = str(claims.get("email") or "").strip().lower()
        if not email:
            raise SsoRefused(
                "No email address came with this sign-in",
                "Your organisation's sign-in did not say your email address. Ask your "
                "administrator to release the 'email' claim to actiontrail.",
            )
        if not email_verified(claims):
            raise SsoRefused(
                "Your email address is not verified",
                f"Your organisation's sign-in has not verified the address {email}, so it "
                "cannot be matched to an actiontrail account. Ask your administrator.",
            )
        name = str(claims.get("name") or claims.get("preferred_username") or email)
        return Identity(email=email, name=name.strip()[:200] or email)

    def enrolment_agency(self, email: str) -> tuple[bool, str | None]:
        """(allowed, agency) for enrolling an unknown person with this address."""
        domain = email.rpartition("@")[2]
        if domain in self.allowed_domains:
            return True, self.allowed_domains[domain]
        return False, None
