"""The web application in this process (Starlette's test client) over a real store, for
tests of its rules that need no browser: sessions, hosts, throttles, headers."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():
    # It works with the httpx installed; the warning is about a future release.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from config.settings import Settings
from engine.runtime import Runtime
from engine.service.accounts import Accounts
from tests.conftest import ADMIN, AGENCIES, LEAD, action_spec, people

BASE = "http://actiontrail.test"
PASSWORD = "correct horse battery"


@dataclass
class Site:
    rt: Runtime
    app: Any
    accounts: Accounts

    def client(self, base_url: str = BASE) -> TestClient:
        return TestClient(self.app, base_url=base_url, follow_redirects=False)

    def signed_in(self, email: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        sign_in(client, email, password)
        return client


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_in(client.get("/sign-in").text)
    response = client.post(
        "/sign-in", data={"csrf_token": token, "email": email, "password": password}
    )
    assert response.status_code == 303, response.text[:500]
    return response


def open_site(db_url: str, tmp_path: Path, **settings: Any) -> Site:
    from engine.web.app import create_app

    rt = Runtime.open(
        Settings(database_url=db_url, files_dir=str(tmp_path / "files"), base_url=BASE, **settings)
    )
    people(rt)
    rt.app.create_plan(ADMIN, "plan", "Safeguarding plan", agencies=AGENCIES)
    rt.app.add_group(ADMIN, "plan", "1", "Recommendation 1")
    rt.app.add_action(ADMIN, "plan", action_spec("1.1"))
    accounts = Accounts(rt.engine)
    for email in (ADMIN, LEAD):
        accounts.set_password(email, PASSWORD)
    return Site(rt, create_app(rt), accounts)


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    s = open_site(db_url, tmp_path)
    yield s
    s.rt.close()
