"""The board paper as a PDF: the HTML report printed by WeasyPrint with its print
stylesheet (A4 landscape, page numbers, headings kept with what follows them).

The PDF's dates are the report's own generation time, so the same report gives the
same bytes."""

from __future__ import annotations

import re

from engine.reports.build import Report
from engine.reports.documents import render_html
from engine.reports.text import plain


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    document = HTML(string=breakable(render_html(report, printed=True)), base_url=None).render()
    stamp = report.generated_at.replace(microsecond=0).isoformat()
    document.metadata.title = plain(report.title)
    document.metadata.authors = ["actiontrail"]
    document.metadata.generator = "actiontrail"
    document.metadata.created = stamp
    document.metadata.modified = stamp
    data = document.write_pdf()
    assert data is not None
    return bytes(data)


# Text between tags, and a run of characters no line could break within.
_TEXT = re.compile(r">([^<]+)<")
_RUN = re.compile(r"(\S{120})(?=\S)")


def breakable(html: str) -> str:
    """The HTML with a zero-width space after every 120 characters of a run with no
    space in it (longer than any hash in the checkpoint): a line can break there, and
    laying out a page stays quick whatever was written (a single word of 40,000
    characters would otherwise take minutes)."""
    return _TEXT.sub(lambda m: ">" + _RUN.sub("\\1\u200b", m.group(1)) + "<", html)
