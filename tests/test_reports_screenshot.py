"""The HTML reports in a real browser: screenshots under test-artifacts/reports for
people to look at, and the print layout checked on A4 landscape (no page wider than
the paper, no cell whose text is cut off, headers repeated on each page)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.clock import FixedClock
from engine.reports import ReportFormat, ReportKind, build_report, render
from engine.runtime import Runtime
from tests.test_reports import hostile, leeds_on_sqlite  # noqa: F401  (fixture)
from tests.test_web_helpers import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "reports"
# A4 landscape less the 10 mm margins, at the browser's 96 pixels to the inch.
PRINT_WIDTH = round((297 - 20) / 25.4 * 96)

CLIPPED = """
() => [...document.querySelectorAll('td, th')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => el.textContent.trim().slice(0, 40))
"""


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("kind", list(ReportKind))
def test_report_reads_well_on_screen_and_on_a4_landscape(
    leeds: Runtime, browser: Any, kind: ReportKind
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html = ARTIFACTS / f"{kind.value}-2009-08.html"
    html.write_bytes(render(build_report(leeds, "leeds-iwc", kind, "2009-08"), ReportFormat.HTML))

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(html.as_uri())
    page.screenshot(path=str(ARTIFACTS / f"{kind.value}-screen.png"), full_page=True)
    page.screenshot(path=str(ARTIFACTS / f"{kind.value}-screen-top.png"))

    page.set_viewport_size({"width": PRINT_WIDTH, "height": 800})
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / f"{kind.value}-print.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PRINT_WIDTH
    assert page.evaluate(CLIPPED) == []
    heads = page.evaluate(
        "[...document.querySelectorAll('thead')].map(t => getComputedStyle(t).display)"
    )
    assert heads and set(heads) == {"table-header-group"}
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / f"{kind.value}-2009-08.pdf").write_bytes(pdf)
    page.close()


@pytest.mark.parametrize("kind", [ReportKind.PROGRESS, ReportKind.EXCEPTION])
def test_a_very_long_line_wraps_within_the_page(
    leeds: Runtime, clock: FixedClock, browser: Any, kind: ReportKind
) -> None:
    """A narrative of one unbroken 40,000-character line, in the full table and in the
    exception report's cards."""
    hostile(leeds, clock)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    html = ARTIFACTS / f"{kind.value}-long-line.html"
    html.write_bytes(render(build_report(leeds, "leeds-iwc", kind, None), ReportFormat.HTML))
    page = browser.new_page(viewport={"width": PRINT_WIDTH, "height": 800})
    page.goto(html.as_uri())
    page.emulate_media(media="print")
    assert page.evaluate("document.documentElement.scrollWidth") <= PRINT_WIDTH
    assert page.evaluate(CLIPPED) == []
    page.close()
