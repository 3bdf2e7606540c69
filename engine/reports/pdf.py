"""The board paper as a PDF: the HTML report printed by WeasyPrint with its print
stylesheet (A4 landscape, page numbers, headings kept with what follows them).

The PDF's dates are the report's own generation time, so the same report gives the
same bytes."""

from __future__ import annotations

from engine.reports.build import Report
from engine.reports.documents import render_html
from engine.reports.text import plain


def render_pdf(report: Report) -> bytes:
    from weasyprint import HTML

    document = HTML(string=render_html(report), base_url=None).render()
    stamp = report.generated_at.replace(microsecond=0).isoformat()
    document.metadata.title = plain(report.title)
    document.metadata.authors = ["actiontrail"]
    document.metadata.generator = "actiontrail"
    document.metadata.created = stamp
    document.metadata.modified = stamp
    data = document.write_pdf()
    assert data is not None
    return bytes(data)
