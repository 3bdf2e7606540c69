"""Sessions kept in the database: they end when the person signs out, changes their
password or is signed out everywhere, and after the idle and absolute limits; on SQLite
and PostgreSQL."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from sqlalchemy import update

from config.settings import Settings
from domain.errors import InvalidInput
from engine.service.accounts import web_sessions
from tests.conftest import ADMIN, LEAD
from tests.web_inprocess import PASSWORD, Site, csrf_in, open_site, site  # noqa: F401

# What is stored, chained and read back is what these tests are about.
pytestmark = pytest.mark.persistence


def is_signed_in(client: object) -> bool:
    response = client.get("/account")  # type: ignore[attr-defined]
    if response.status_code == 303:
        assert response.headers["location"].startswith("/sign-in")
        return False
    assert response.status_code == 200, response.text[:300]
    return True


def age_sessions(s: Site, email: str, seconds: float, *columns: str) -> None:
    """Moves a person's sessions' times back, as if that long had passed."""
    with s.rt.engine.begin() as conn:
        conn.execute(
            update(web_sessions)
            .where(web_sessions.c.email == email)
            .values({c: getattr(web_sessions.c, c) - seconds for c in columns})
        )


def test_a_cookie_captured_before_sign_out_opens_nothing_after(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    captured = dict(client.cookies)
    page = client.get("/account").text
    assert client.post("/sign-out", data={"csrf_token": csrf_in(page)}).status_code == 303

    thief = site.client()
    thief.cookies.update(captured)
    assert not is_signed_in(thief)
    # Nor can it mint an API token with the page's CSRF token.
    minted = thief.post("/account/tokens", data={"csrf_token": csrf_in(page), "label": "x"})
    assert minted.status_code == 303 and minted.headers["location"].startswith("/sign-in")
    assert site.accounts.tokens(LEAD) == []


def test_a_password_change_ends_every_other_session_of_the_person(site: Site) -> None:  # noqa: F811
    here, elsewhere, other_person = (
        site.signed_in(LEAD),
        site.signed_in(LEAD),
        site.signed_in(ADMIN),
    )
    page = here.get("/account").text
    changed = here.post(
        "/account/password",
        data={
            "csrf_token": csrf_in(page),
            "current": PASSWORD,
            "new": "a brand new passphrase",
            "again": "a brand new passphrase",
        },
    )
    assert changed.status_code == 303, changed.text[:300]
    assert is_signed_in(here)  # the one who changed it carries on
    assert not is_signed_in(elsewhere)
    assert is_signed_in(other_person)


def test_an_admin_signs_a_person_out_everywhere(site: Site) -> None:  # noqa: F811
    laptop, phone = site.signed_in(LEAD), site.signed_in(LEAD)
    page = laptop.get("/account").text
    refused = laptop.post(f"/admin/users/{ADMIN}/sign-out", data={"csrf_token": csrf_in(page)})
    assert refused.status_code == 403
    assert is_signed_in(site.client()) is False

    admin = site.signed_in(ADMIN)
    done = admin.post(
        f"/admin/users/{LEAD}/sign-out", data={"csrf_token": csrf_in(admin.get("/account").text)}
    )
    assert done.status_code == 303
    assert "done=signed-out-everywhere" in done.headers["location"]
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(admin)
    assert is_signed_in(site.signed_in(LEAD))  # a new sign-in works as before


def test_end_sessions_of_ends_them_all_and_says_how_many(site: Site) -> None:  # noqa: F811
    clients = [site.signed_in(LEAD) for _ in range(3)]
    assert site.accounts.end_sessions_of(LEAD.upper()) == 3
    assert not any(is_signed_in(c) for c in clients)
    assert site.accounts.end_sessions_of(LEAD) == 0


def test_api_tokens_are_minted_only_soon_after_signing_in(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    age_sessions(site, LEAD, 16 * 60, "signed_in_at")
    page = client.get("/account").text
    refused = client.post("/account/tokens", data={"csrf_token": csrf_in(page), "label": "x"})
    assert refused.status_code == 403
    assert "within 15 minutes of signing in" in refused.text
    assert site.accounts.tokens(LEAD) == []

    fresh = site.signed_in(LEAD)
    page = fresh.get("/account").text
    made = fresh.post("/account/tokens", data={"csrf_token": csrf_in(page), "label": "x"})
    assert made.status_code == 200 and "at_" in made.text
    assert len(site.accounts.tokens(LEAD)) == 1


def test_sessions_end_after_the_idle_limit(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    age_sessions(site, LEAD, 59 * 60, "last_seen")
    assert is_signed_in(client)  # used within the hour: still going, and now touched
    age_sessions(site, LEAD, 61 * 60, "last_seen")
    assert not is_signed_in(client)


def test_sessions_end_after_the_absolute_limit_however_busy(db_url: str, tmp_path: Path) -> None:
    s = open_site(db_url, tmp_path, session_max_hours=2, session_idle_minutes=30)
    try:
        client = s.signed_in(LEAD)
        age_sessions(s, LEAD, 119 * 60, "started_at", "signed_in_at")
        assert is_signed_in(client)
        age_sessions(s, LEAD, 2 * 60, "started_at", "signed_in_at")
        assert not is_signed_in(client)
        # The idle limit came from the settings too.
        again = s.signed_in(LEAD)
        age_sessions(s, LEAD, 31 * 60, "last_seen")
        assert not is_signed_in(again)
    finally:
        s.rt.close()


def test_session_limits_come_from_the_environment() -> None:
    settings = Settings.load(
        {"ACTIONTRAIL_SESSION_IDLE_MINUTES": "20", "ACTIONTRAIL_SESSION_MAX_HOURS": "8"}
    )
    assert (settings.session_idle_minutes, settings.session_max_hours) == (20, 8)
    assert Settings.load({}).session_idle_minutes == 60
    with pytest.raises(InvalidInput, match="ACTIONTRAIL_SESSION_MAX_HOURS.*not 'eight'"):
        Settings.load({"ACTIONTRAIL_SESSION_MAX_HOURS": "eight"})
    with pytest.raises(InvalidInput, match="above 0"):
        Settings.load({"ACTIONTRAIL_SESSION_IDLE_MINUTES": "0"})


def test_a_session_id_is_stored_only_as_a_digest(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    session = site.app.state.web.signer.load_session(client.cookies.get("actiontrail_session"))
    with site.rt.engine.connect() as conn:
        rows = conn.execute(web_sessions.select()).all()
    assert len(rows) == 1 and rows[0].email == LEAD and rows[0].kind == "password"
    assert session.sid and rows[0].digest == hashlib.sha256(session.sid.encode()).hexdigest()
    assert rows[0].ended_at is None
    assert time.time() - rows[0].signed_in_at < 60
