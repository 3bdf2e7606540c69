"""Hosts the site answers to, links on the configured address, throttled secrets, text
that cannot be made to read differently, and downloads that are never shown as pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.web import make_action_link
from engine.web.routes.actions import served_media_type
from engine.web.templating import templates
from engine.web.throttle import ADDRESS_FAILURES, PASSWORD_FAILURES
from tests.conftest import ADMIN, AGENCIES, LEAD, action_spec
from tests.web_inprocess import BASE, PASSWORD, Site, csrf_in, open_site, site  # noqa: F401

BIDI = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
ISOLATE = "\u2066"  # LEFT-TO-RIGHT ISOLATE


def test_unknown_host_headers_are_refused(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    evil = client.get("/account", headers={"host": "evil.example"})
    assert evil.status_code == 400
    assert "evil.example" not in evil.text
    assert client.get("/account").status_code == 200


def test_links_are_built_on_the_base_url_whatever_host_is_named(
    db_url: str, tmp_path: Path
) -> None:
    s = open_site(db_url, tmp_path, trusted_hosts="intranet.example, 10.0.0.5")
    try:
        client = s.client("http://intranet.example")
        token = csrf_in(client.get("/sign-in").text)
        client.post("/sign-in", data={"csrf_token": token, "email": LEAD, "password": PASSWORD})
        page = client.get("/account")
        assert page.status_code == 200
        calendar = re.search(r'id="cal-url"[^>]*value="([^"]+)"', page.text)
        assert calendar and calendar.group(1).startswith(f"{BASE}/calendar/")
        assert "intranet.example" not in page.text
        feed = client.get(calendar.group(1).removeprefix(BASE))
        assert feed.status_code == 200
        urls = re.findall(rb"URL:(\S+)", feed.content)
        assert urls and all(u.startswith(BASE.encode()) for u in urls)
        assert s.client("http://10.0.0.5").get("/sign-in").status_code == 200
        assert s.client("http://elsewhere.example").get("/sign-in").status_code == 400
    finally:
        s.rt.close()


def test_the_current_password_is_throttled_on_change(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    token = csrf_in(client.get("/account").text)

    def change(current: str) -> int:
        return client.post(
            "/account/password",
            data={"csrf_token": token, "current": current, "new": "x" * 12, "again": "x" * 12},
        ).status_code

    assert [change(f"wrong {n}") for n in range(PASSWORD_FAILURES)] == [400] * PASSWORD_FAILURES
    assert change(PASSWORD) == 429  # right, but too late
    assert site.accounts.check_password(LEAD, PASSWORD)
    assert not site.accounts.check_password(LEAD, "x" * 12)


def test_api_tokens_are_throttled_per_address(site: Site) -> None:  # noqa: F811
    good = site.accounts.create_token(LEAD, "script")
    api = site.client()
    assert api.get("/api/v1/me", headers={"authorization": f"Bearer {good}"}).status_code == 200
    for n in range(ADDRESS_FAILURES):
        bad = api.get("/api/v1/me", headers={"authorization": f"Bearer at_guess{n}"})
        assert bad.status_code == 401
    refused = api.get("/api/v1/me", headers={"authorization": f"Bearer {good}"})
    assert refused.status_code == 429
    assert "API tokens" in refused.json()["message"]


def test_calendar_addresses_are_throttled_per_address(site: Site) -> None:  # noqa: F811
    secret = site.accounts.calendar_secret(LEAD)
    client = site.client()
    assert client.get(f"/calendar/{secret}.ics").status_code == 200
    for n in range(ADDRESS_FAILURES):
        assert client.get(f"/calendar/guess{n}.ics").status_code == 404
    assert client.get(f"/calendar/{secret}.ics").status_code == 429


@pytest.mark.persistence
def test_email_links_are_throttled_per_address(site: Site) -> None:  # noqa: F811
    link = make_action_link(site.rt.settings, LEAD, "plan", "1.1").removeprefix(BASE)
    client = site.client()
    assert client.get(link).status_code == 303
    for n in range(ADDRESS_FAILURES):
        assert client.get(f"/link/forged{n}").status_code == 403
    assert site.client().get(link).status_code == 429


def test_invisible_characters_are_shown_in_every_page(site: Site) -> None:  # noqa: F811
    title = f"Audit {BIDI}fdp.exe{ISOLATE} files"
    site.rt.app.add_action(ADMIN, "plan", action_spec("1.2", title=title))
    site.rt.runner.catch_up()
    client = site.signed_in(LEAD)
    for path in ("/", "/plans/plan", "/plans/plan/actions/1.2", "/plans/plan/audit"):
        html = client.get(path).text
        assert "Audit \\u202efdp.exe\\u2066 files" in html, path
        assert BIDI not in html and ISOLATE not in html, path


def test_every_template_writes_through_the_filter() -> None:
    env = templates().env
    rendered = env.from_string("<p title='{{ a }}'>{{ b|upper }} {{ c }}</p>").render(
        a=f"x{BIDI}y", b="\u200bz", c="line one\nline two\tend"
    )
    assert rendered == "<p title='x\\u202ey'>\\u200bZ line one\nline two\tend</p>"


@pytest.mark.persistence
def test_reports_download_as_attachments_never_as_pages(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    for fmt in ("html", "md", "csv"):
        response = client.get(f"/plans/plan/reports/progress.{fmt}")
        assert response.status_code == 200, response.text[:300]
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")
    token = site.accounts.create_token(LEAD)
    api = site.client().get(
        "/api/v1/plans/plan/reports/progress.html", headers={"authorization": f"Bearer {token}"}
    )
    assert api.status_code == 200 and api.headers["content-type"].startswith("text/html")
    assert api.headers["content-disposition"].startswith("attachment;")
    assert api.headers["content-security-policy"].startswith("sandbox")


def test_evidence_downloads_as_an_attachment_in_a_sandbox(site: Site) -> None:  # noqa: F811
    client = site.signed_in(LEAD)
    token = site.accounts.create_token(LEAD)
    uploaded = site.client().post(
        "/api/v1/plans/plan/actions/1.1/evidence/files",
        files={"file": ("notes.txt", b"<script>alert(1)</script>", "text/plain")},
        headers={"authorization": f"Bearer {token}"},
    )
    assert uploaded.status_code == 200, uploaded.text
    response = client.get("/plans/plan/actions/1.1/evidence/E1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"].startswith("sandbox")


def test_a_governance_document_downloads_by_version_as_an_attachment(
    site: Site,  # noqa: F811
) -> None:
    stored = site.rt.files.put_bytes("terms.pdf", b"%PDF-1.4 terms", "application/pdf")
    site.rt.app.open_item(
        ADMIN, "plan", "tor", "Terms of reference", AGENCIES[:1], "terms.pdf", stored.sha256
    )
    client = site.signed_in(LEAD)
    response = client.get("/plans/plan/governance/tor/document/1")
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 terms"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'attachment; filename="v1-terms.pdf"'
    assert client.get("/plans/plan/governance/tor/document/2").status_code == 404
    site.rt.files.path_for(stored.sha256).unlink()
    missing = client.get("/plans/plan/governance/tor/document/1")
    assert missing.status_code == 404
    assert "version 1 of &#39;tor&#39; is not in the file store" in missing.text


def test_html_and_svg_evidence_is_never_served_as_a_page() -> None:
    for stored in ("text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", None):
        assert served_media_type(stored) == "application/octet-stream"
    assert served_media_type("application/pdf") == "application/pdf"
