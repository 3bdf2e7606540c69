"""The accessibility statement: readable signed out, linked from every page's footer,
and giving the contact for reporting a problem that the settings name."""

from __future__ import annotations

from pathlib import Path

from tests.web_inprocess import Site, open_site, site  # noqa: F401  (fixture)


def test_the_statement_is_readable_signed_out(site: Site) -> None:  # noqa: F811
    response = site.client().get("/accessibility")
    assert response.status_code == 200
    text = response.text
    for words in (
        "WCAG",
        "version 2.2",
        "level AA",
        "Accessibility Regulations 2018",
        "axe-core",
        "keyboard",
        "Automated rules find only part",
        "Known issues",
        "Equality and Human Rights Commission (EHRC)",
        "the administrator of actiontrail in your organisation",
    ):
        assert words in text, words
    # Signed out, the page offers no navigation of the signed-in site.
    assert 'aria-label="Main"' not in text


def test_the_statement_names_the_configured_contact(db_url: str, tmp_path: Path) -> None:
    for n, (contact, link) in enumerate((
        ("access@council.example", 'href="mailto:access@council.example"'),
        ("https://council.example/report", 'href="https://council.example/report"'),
        ("the council's digital team on 0113 000 0000", None),
    )):
        s = open_site(db_url, tmp_path / str(n), accessibility_contact=contact)
        try:
            text = s.client().get("/accessibility").text
        finally:
            s.rt.close()
        assert contact.replace("'", "&#39;") in text
        if link:
            assert link in text
        assert "the administrator of actiontrail in your organisation" not in text


def test_every_page_links_the_statement(site: Site) -> None:  # noqa: F811
    anyone = site.client()
    signed_in = site.signed_in("lead@council.example")
    for client, path in (
        (anyone, "/sign-in"),
        (anyone, "/no-such-page"),
        (signed_in, "/"),
        (signed_in, "/plans/plan"),
        (signed_in, "/accessibility"),
    ):
        text = client.get(path).text
        assert '<footer' in text and 'href="/accessibility"' in text.split("<footer", 1)[1], path
