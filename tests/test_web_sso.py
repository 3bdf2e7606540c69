"""Single sign-on against a real OpenID Connect provider (oidc-provider-mock, started here
in a subprocess): the code flow end to end, and the answers that must sign nobody in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import select

from config.settings import Settings
from domain.errors import InvalidInput
from engine.service.accounts import web_sessions
from engine.web.sso import CALLBACK_PATH, SsoConfig, SsoRefused
from tests.conftest import LEAD
from tests.test_web_helpers import (
    PASSWORD,
    PEOPLE,
    browser,  # noqa: F401  (fixture)
    free_port,
    seed_demo,
    start_server,
    stop_server,
)
from tests.web_inprocess import BASE, Site, open_site


@dataclass
class Provider:
    url: str
    process: subprocess.Popen[bytes]

    def register(self, redirect_uri: str) -> tuple[str, str]:
        """A new client of the provider: (client id, client secret)."""
        answer = httpx.post(f"{self.url}/oauth2/clients", json={"redirect_uris": [redirect_uri]})
        assert answer.status_code == 201, answer.text
        return answer.json()["client_id"], answer.json()["client_secret"]

    def person(self, email: str, verified: bool | None = True, name: str = "", **more: Any) -> str:
        claims: dict[str, Any] = {"email": email, "name": name or email, **more}
        if verified is not None:
            claims["email_verified"] = verified
        answer = httpx.put(f"{self.url}/users/{email}", json=claims)
        assert answer.status_code == 204, answer.text
        return email


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    port = free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
             "--require-registration", "--require-nonce"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/.well-known/openid-configuration").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the provider did not start: {log.read_text()}")
        time.sleep(0.2)
    yield Provider(url, process)
    process.terminate()
    process.wait(timeout=15)


def sso_site(provider: Provider, db_url: str, tmp_path: Path, **settings: Any) -> Site:
    client_id, secret = provider.register(BASE + CALLBACK_PATH)
    return open_site(
        db_url,
        tmp_path,
        oidc_issuer=provider.url,
        oidc_client_id=client_id,
        oidc_client_secret=secret,
        **settings,
    )


@pytest.fixture
def site(provider: Provider, db_url: str, tmp_path: Path) -> Iterator[Site]:
    s = sso_site(provider, db_url, tmp_path, oidc_allowed_domains="partner.example=Partner")
    yield s
    s.rt.close()


def begin(client: Any, next_path: str = "/account") -> str:
    """Starts a sign-in here; the provider's authorization address it leads to."""
    answer = client.get("/sign-in/sso", params={"next": next_path})
    assert answer.status_code == 303, answer.text[:300]
    location = str(answer.headers["location"])
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["state"] and query["nonce"]
    return location


def authorize(authorization_url: str, sub: str) -> str:
    """The person signs in at the provider; the callback address it sends them back to."""
    answer = httpx.post(authorization_url, data={"sub": sub})
    assert answer.status_code == 302, answer.text[:300]
    return str(answer.headers["location"])


def come_back(client: Any, callback: str) -> Any:
    assert callback.startswith(BASE + CALLBACK_PATH), callback
    return client.get(callback.removeprefix(BASE))


def with_param(url: str, **values: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(values)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_known_person_signs_in_by_their_verified_email(site: Site, provider: Provider) -> None:
    client = site.client()
    signed_in = come_back(client, authorize(begin(client), provider.person(LEAD.upper())))
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    account = client.get("/account")
    assert account.status_code == 200 and LEAD in account.text
    with site.rt.engine.connect() as conn:
        kinds = conn.execute(select(web_sessions.c.kind).where(web_sessions.c.email == LEAD))
        assert [k for (k,) in kinds] == ["sso"]


def test_a_code_works_once(site: Site, provider: Provider) -> None:
    client = site.client()
    callback = authorize(begin(client), provider.person(LEAD))
    assert come_back(client, callback).status_code == 303
    client.cookies.clear()

    replayed = site.client()
    again = come_back(replayed, callback)
    assert again.status_code == 400 and "not started here" in again.text
    # Even with a state of a sign-in begun in this browser, the provider refuses the code.
    fresh_state = parse_qs(urlsplit(begin(replayed)).query)["state"][0]
    code = parse_qs(urlsplit(callback).query)["code"][0]
    refused = replayed.get(CALLBACK_PATH, params={"code": code, "state": fresh_state})
    assert refused.status_code == 400 and "did not accept this sign-in" in refused.text
    assert replayed.get("/account").status_code == 303  # nobody signed in


def test_an_answer_for_another_sign_in_nonce_is_refused(site: Site, provider: Provider) -> None:
    client = site.client()
    tampered = with_param(begin(client), nonce="not-the-one-asked-for")
    answer = come_back(client, authorize(tampered, provider.person(LEAD)))
    assert answer.status_code == 403 and "(nonce)" in answer.text
    assert client.get("/account").status_code == 303


def test_an_id_token_for_another_application_is_refused(site: Site, provider: Provider) -> None:
    other_redirect = "http://other.example/callback"
    other_id, other_secret = provider.register(other_redirect)
    meta = httpx.get(f"{provider.url}/.well-known/openid-configuration").json()
    authorization = meta["authorization_endpoint"] + "?" + urlencode(
        {"response_type": "code", "client_id": other_id, "redirect_uri": other_redirect,
         "scope": "openid email", "nonce": "n-1", "state": "s-1"}
    )  # fmt: skip
    code = parse_qs(urlsplit(authorize(authorization, provider.person(LEAD))).query)["code"][0]
    token = httpx.post(
        meta["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": other_redirect},
        auth=(other_id, other_secret),
    ).json()["id_token"]
    config: SsoConfig = site.app.state.web.extras["sso"]
    with pytest.raises(SsoRefused, match=r"another application \(audience\)"):
        config.verify(token, "n-1")
    # A token altered after signing fails its signature, whatever it claims.
    head, body, signature = token.split(".")
    with pytest.raises(SsoRefused, match="signature"):
        config.verify(f"{head}.{body[:-4]}AAAA.{signature}", "n-1")


def test_an_unverified_email_signs_nobody_in(site: Site, provider: Provider) -> None:
    client = site.client()
    sub = provider.person(LEAD, verified=False)
    answer = come_back(client, authorize(begin(client), sub))
    assert answer.status_code == 403 and "has not verified the address" in answer.text
    assert client.get("/account").status_code == 303


def test_entra_ids_domain_verified_claim_stands_in_for_email_verified(
    site: Site, provider: Provider
) -> None:
    client = site.client()
    entra_style = provider.person(LEAD, verified=None, xms_edov=True)
    assert come_back(client, authorize(begin(client), entra_style)).status_code == 303
    assert client.get("/account").status_code == 200

    for claims in ({"verified": None}, {"verified": None, "xms_edov": False},
                   {"verified": False, "xms_edov": True}):  # fmt: skip
        other = site.client()
        sub = provider.person(LEAD, **claims)  # type: ignore[arg-type]
        answer = come_back(other, authorize(begin(other), sub))
        assert answer.status_code == 403 and "not verified" in answer.text, claims


def test_an_unknown_email_is_refused_unless_its_domain_is_allowed(
    site: Site, provider: Provider
) -> None:
    client = site.client()
    stranger = provider.person("someone@elsewhere.example")
    refused = come_back(client, authorize(begin(client), stranger))
    assert refused.status_code == 403
    assert "no actiontrail account uses that address" in refused.text
    assert "someone@elsewhere.example" in refused.text

    newcomer = provider.person("new.person@partner.example", name="Nell Newcomer")
    enrolled = come_back(client, authorize(begin(client), newcomer))
    assert enrolled.status_code == 303 and enrolled.headers["location"] == "/?done=enrolled"
    user = site.rt.app.user("new.person@partner.example")
    assert (user.name, user.agency, user.roles) == ("Nell Newcomer", "Partner", [])
    assert "administrator will give you your roles" in client.get("/?done=enrolled").text


def test_a_callback_not_begun_in_this_browser_is_refused(site: Site) -> None:
    answer = site.client().get(CALLBACK_PATH, params={"code": "x", "state": "y"})
    assert answer.status_code == 400 and "not started here" in answer.text


def test_passwords_can_be_turned_off_when_an_issuer_is_set(
    provider: Provider, db_url: str, tmp_path: Path
) -> None:
    s = sso_site(provider, db_url, tmp_path, password_sign_in="off")
    try:
        client = s.client()
        form = client.get("/sign-in").text
        assert "organisation's account" in form and 'name="password"' not in form
        # Posted as a script would, with the session's own CSRF token.
        csrf = s.app.state.web.signer.load_session(client.cookies["actiontrail_session"]).csrf
        posted = client.post(
            "/sign-in", data={"csrf_token": csrf, "email": LEAD, "password": PASSWORD}
        )
        assert posted.status_code == 403 and "passwords are turned off" in posted.text
    finally:
        s.rt.close()
    with pytest.raises(InvalidInput, match="needs ACTIONTRAIL_OIDC_ISSUER"):
        SsoConfig.from_settings(Settings(password_sign_in="off"))
    with pytest.raises(InvalidInput, match="OIDC_CLIENT_SECRET"):
        SsoConfig.from_settings(Settings(oidc_issuer="https://x.example", oidc_client_id="a"))


@pytest.mark.slow
def test_sign_in_with_the_organisations_account_in_a_browser(
    provider: Provider,
    browser: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'actiontrail.db'}"
    seed_demo(db_url, tmp_path / "files")
    port = free_port()
    client_id, secret = provider.register(f"http://127.0.0.1:{port}{CALLBACK_PATH}")
    for name, value in (("ISSUER", provider.url), ("CLIENT_ID", client_id),
                        ("CLIENT_SECRET", secret)):  # fmt: skip
        monkeypatch.setenv(f"ACTIONTRAIL_OIDC_{name}", value)
    server = start_server(db_url, tmp_path, port=port)
    try:
        email = provider.person(PEOPLE["rg"])
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{server.url}/plans")
        page.get_by_role("link", name="Sign in with your organisation's account").click()
        page.locator("input[name=sub]").fill(email)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{server.url}/plans")
        assert page.get_by_role("button", name="Sign out").is_visible()
        page.goto(f"{server.url}/")
        assert page.get_by_role("heading", name="My actions").is_visible()
        context.close()
    finally:
        stop_server(server)
    assert os.environ["ACTIONTRAIL_OIDC_ISSUER"] == provider.url
