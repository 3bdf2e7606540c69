"""The board paper as a PDF: the HTML report printed by WeasyPrint with its print
stylesheet (A4 landscape, page numbers, headings kept with what follows them).

The PDF's dates are the report's own generation time, so the same report gives the
same bytes."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from engine.reports.build import Report
from engine.reports.documents import render_html
from engine.reports.text import plain

if TYPE_CHECKING:
    from weasyprint import CSS


def render_pdf(report: Report) -> bytes:
    document = _printer()(
        string=breakable(render_html(report, printed=True)), base_url=None
    ).render()
    stamp = report.generated_at.replace(microsecond=0).isoformat()
    document.metadata.title = plain(report.title)
    document.metadata.authors = ["actiontrail"]
    document.metadata.generator = "actiontrail"
    document.metadata.created = stamp
    document.metadata.modified = stamp
    data = document.write_pdf()
    assert data is not None
    return bytes(data)


# Rules of WeasyPrint's user-agent stylesheet that style a pseudo-element of every
# element: `::marker` (which only a list item or a summary shows) and the footnote and
# note markers (a report floats nothing into footnotes). Each gives every element of
# the document a style of its own to compute, six in all: some 40,000 styles for a
# 500-action report, more than half of the time spent on its styles.
_EVERY_MARKER = re.compile(r"^::marker\b", re.MULTILINE)
_NOTES = re.compile(r"^::(?:footnote|note)-[\w-]+ \{[^}]*\}\n?", re.MULTILINE)


def user_agent_css(ua: str) -> str:
    """WeasyPrint's user-agent stylesheet with its pseudo-element rules kept to the
    elements that show them."""
    return _NOTES.sub("", _EVERY_MARKER.sub("li::marker, summary::marker", ua))


@cache
def _printer() -> Any:
    """WeasyPrint's HTML class, printing with the lighter user-agent stylesheet when
    WeasyPrint's own can be read (otherwise with WeasyPrint's own)."""
    from weasyprint import CSS, HTML

    try:
        from weasyprint.html import UA, UA_COUNTER_STYLE
    except ImportError:  # pragma: no cover - a WeasyPrint that moved its stylesheet
        return HTML
    sheet = CSS(string=user_agent_css(UA), counter_style=UA_COUNTER_STYLE)

    class PrintedHTML(HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
            return [sheet]

    return PrintedHTML


# Text between tags, and a run of characters no line could break within.
_TEXT = re.compile(r">([^<]+)<")
_RUN = re.compile(r"(\S{120})(?=\S)")


def breakable(html: str) -> str:
    """The HTML with a zero-width space after every 120 characters of a run with no
    space in it (longer than any hash in the checkpoint): a line can break there, and
    laying out a page stays quick whatever was written (a single word of 40,000
    characters would otherwise take minutes)."""
    return _TEXT.sub(lambda m: ">" + _RUN.sub("\\1\u200b", m.group(1)) + "<", html)
